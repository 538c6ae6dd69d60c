"""The virtual bleak backend behaves as bleak's public API promises."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakError

from imu_logger.ble.virtual_backend import VirtualBleakClient, VirtualBleakScanner
from imu_logger.ble.virtual_sensor import DEVICE_MAX_MTU
from imu_logger.ble.world import VirtualSensorSpec, VirtualWorld, current_world
from imu_logger.errors import UserError
from imu_logger.sensors import get_model

WIT = VirtualSensorSpec("witmotion", "C0:00:00:00:00:21", name="WT901BLE68")
NRF = VirtualSensorSpec("open_nrf", "C0:00:00:00:00:22")


async def test_without_a_running_world_the_backend_says_how_to_start_one():
    with pytest.raises(UserError, match="--backend virtual"):
        current_world()
    with pytest.raises(UserError, match="no virtual sensors running"):
        await BleakScanner.discover(0.1, backend=VirtualBleakScanner)
    with pytest.raises(UserError, match="no virtual sensors running"):
        await BleakClient(WIT.address, backend=VirtualBleakClient).connect()


async def test_unknown_address_is_not_found():
    async with VirtualWorld([WIT]):
        with pytest.raises(BleakDeviceNotFoundError):
            await BleakClient("C0:00:00:00:00:99", backend=VirtualBleakClient).connect()


async def test_connection_state_name_mtu_and_solicited_disconnect():
    called = []
    async with VirtualWorld([WIT, NRF]) as world:
        client = BleakClient(WIT.address.lower(), lambda c: called.append(c), backend=VirtualBleakClient)
        assert not client.is_connected
        await client.connect()
        assert client.is_connected and client.name == "WT901BLE68"
        assert client.mtu_size == DEVICE_MAX_MTU
        char = client.services.get_characteristic(get_model("witmotion").notify_uuids[0])
        assert char.max_write_without_response_size == DEVICE_MAX_MTU - 3
        await client.disconnect()
        assert not client.is_connected
        with pytest.raises(BleakError):
            await client.read_gatt_char(char)
        assert world.sensor(WIT.address).connections == 1
    await asyncio.sleep(0)
    assert called == []  # only unsolicited disconnections call back


async def test_write_without_response_reaches_the_device_and_its_reply_is_notified():
    model = get_model("witmotion")
    replies = []
    async with VirtualWorld([WIT]) as world:
        async with BleakClient(WIT.address, backend=VirtualBleakClient) as client:
            await client.start_notify(model.notify_uuids[0], lambda ch, data: replies.append(bytes(data)))
            request = model.battery_request_commands()[0]
            await client.write_gatt_char(request.uuid, request.data, response=False)
            await asyncio.sleep(0.1)
            await client.stop_notify(model.notify_uuids[0])
        sent = world.sent(WIT.address)
    assert any(model.decode_battery(r) == 100 for r in replies if r[:2] == b"\x55\x71")
    assert [s.data for s in sent] == replies


async def test_stop_notify_stops_the_callbacks_and_the_device_stream():
    model = get_model("open_nrf")
    got = []
    async with VirtualWorld([NRF]) as world:
        async with BleakClient(NRF.address, backend=VirtualBleakClient) as client:
            await client.start_notify(model.notify_uuids[0], lambda ch, data: got.append(bytes(data)))
            for write in model.start_commands(100.0):
                await client.write_gatt_char(write.uuid, write.data, response=write.response)
            await asyncio.sleep(0.3)
            await client.stop_notify(model.notify_uuids[0])
            count, sent_count = len(got), len(world.sent(NRF.address))
            await asyncio.sleep(0.3)
            assert len(got) == count > 0
            assert len(world.sent(NRF.address)) == sent_count


async def test_services_filter_limits_discovery():
    model = get_model("open_nrf")
    wanted = model.services()[0].uuid
    async with VirtualWorld([NRF]):
        async with BleakClient(NRF.address, services=[wanted], backend=VirtualBleakClient) as client:
            assert [s.uuid for s in client.services] == [wanted]
            descriptors = client.services.get_characteristic(model.notify_uuids[0]).descriptors
            assert any(d.uuid.startswith("00002902") for d in descriptors)  # the CCCD
