"""Virtual sensors on Bumble, reached through bleak's public API and our virtual backend."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from imu_logger.ble.sources import ArraySource, ReplaySource
from imu_logger.ble.virtual_backend import VirtualBleakClient, VirtualBleakScanner
from imu_logger.ble.world import VirtualSensorSpec, VirtualWorld
from imu_logger.ble.virtual import default_specs
from imu_logger.sensors import MODELS, get_model
from imu_logger.sensors.base import SensorModel

PLACEMENTS = {"left_shin", "left_foot", "right_shin", "right_foot"}


async def stream(client: BleakClient, model: SensorModel, rate_hz: float, seconds: float) -> list:
    """Subscribe, start, wait, stop: the (uuid, bytes, host time) the client received."""
    received: list[tuple[str, bytes, float]] = []
    for uuid in model.notify_uuids:
        await client.start_notify(uuid, lambda ch, data: received.append((ch.uuid, bytes(data), time.monotonic())))
    for write in model.start_commands(rate_hz):
        await client.write_gatt_char(write.uuid, write.data, response=write.response)
    await asyncio.sleep(seconds)
    for write in model.stop_commands():
        await client.write_gatt_char(write.uuid, write.data, response=write.response)
    for uuid in model.notify_uuids:
        await client.stop_notify(uuid)
    return received


def decode(model: SensorModel, received: list):
    return model.decode([r[0] for r in received], [r[1] for r in received], np.array([r[2] for r in received]))


def ramp_source(fs_hz: float, n: int = 4000) -> ArraySource:
    """A source whose samples are all distinct, within every model's range and resolution."""
    t = np.arange(n) / fs_hz
    acc = np.column_stack([2.0 * np.sin(2.0 * t), 1.0 + 0.002 * np.arange(n) % 3.0, 9.0 + 0.5 * np.cos(3.0 * t)])
    gyr = np.column_stack([0.8 * np.sin(5.0 * t), -0.5 * np.cos(4.0 * t), 0.3 * np.sin(7.0 * t + 1.0)])
    mag = np.column_stack([20.0 + 5.0 * np.sin(t), 3.0 * np.cos(t), -40.0 + 2.0 * np.sin(2.0 * t)])
    return ArraySource(acc, gyr, mag, fs_hz)


def quantum(values: np.ndarray) -> float:
    """The encoding's step, seen in decoded values: the smallest gap between distinct values."""
    distinct = np.unique(values)
    return float(np.diff(distinct).min())


async def test_scan_sees_the_four_default_sensors_with_names_rssi_and_services():
    specs = list(default_specs().values())
    assert {s.placement for s in specs} == PLACEMENTS
    assert len({s.model_key for s in specs}) == 4
    async with VirtualWorld(specs):
        found = await BleakScanner.discover(0.3, return_adv=True, backend=VirtualBleakScanner)
    assert set(found) == {s.address for s in specs}
    for spec in specs:
        device, adv = found[spec.address]
        model = get_model(spec.model_key)
        assert adv.local_name.startswith(model.name_prefix) and device.name == adv.local_name
        assert -100 < adv.rssi < 0
        assert {s.uuid for s in model.services()} <= set(adv.service_uuids)


async def test_scan_filters_on_service_uuid_and_calls_the_detection_callback():
    specs = list(default_specs().values())
    target = get_model(specs[0].model_key).services()[0].uuid
    seen = []
    async with VirtualWorld(specs):
        async with BleakScanner(lambda d, a: seen.append(d.address), service_uuids=[target],
                                backend=VirtualBleakScanner) as scanner:
            await asyncio.sleep(0.3)
        found = scanner.discovered_devices_and_advertisement_data
    assert set(found) == {specs[0].address} and set(seen) == {specs[0].address}


@pytest.mark.parametrize("key", sorted(MODELS))
async def test_model_streams_through_bleak_and_decodes_to_the_source(key):
    model = get_model(key)
    rate = model.rates_hz[0]
    spec = VirtualSensorSpec(key, "C0:00:00:00:00:01", source=ramp_source(rate))
    async with VirtualWorld([spec]) as world:
        async with BleakClient(spec.address, backend=VirtualBleakClient, timeout=5.0) as client:
            assert client.mtu_size >= model.min_mtu
            for service in model.services():
                found = client.services.get_service(service.uuid)
                assert found is not None
                for char in service.characteristics:
                    assert set(char.properties) <= set(found.get_characteristic(char.uuid).properties)
            if model.battery_uuid is not None:
                assert model.decode_battery(await client.read_gatt_char(model.battery_uuid)) == 100
            received = await stream(client, model, rate, 1.0)
        sent = world.sent(spec.address)
        truth = world.samples(spec.address)
    # in order and byte for byte what the device sent
    assert [r[1] for r in received] == [s.data for s in sent] and received
    decoded = decode(model, received)
    assert not decoded.corrupt
    assert 0 < len(decoded) <= len(truth)
    assert len(decoded) >= 0.6 * rate * 1.0  # streamed at about the configured rate
    # the device may hold back a partly filled last packet: compare the samples that arrived
    n = len(decoded)
    for got, sent_values in ((decoded.acc_mps2, truth.acc_mps2[:n]), (decoded.gyr_radps, truth.gyr_radps[:n])):
        assert np.abs(got - sent_values).max() <= 1.001 * quantum(got)
    if model.has_sensor_time:
        dt = np.diff(decoded.sensor_time_s)
        assert np.allclose(dt, 1.0 / truth_rate(truth), rtol=1e-3)


def truth_rate(truth) -> float:
    return 1.0 / float(np.median(np.diff(truth.sensor_time_s)))


async def test_notifications_arrive_in_order_as_bytearray():
    spec = list(default_specs().values())[0]
    model = get_model(spec.model_key)
    types = []
    async with VirtualWorld([spec]):
        async with BleakClient(spec.address, backend=VirtualBleakClient) as client:
            await client.start_notify(model.notify_uuids[0], lambda ch, data: types.append(type(data)))
            for write in model.start_commands(model.rates_hz[0]):
                await client.write_gatt_char(write.uuid, write.data, response=write.response)
            await asyncio.sleep(0.2)
    assert types and set(types) == {bytearray}


async def test_replay_source_sends_a_recordings_frames_as_they_were():
    key = "open_nrf"
    model = get_model(key)
    first = VirtualSensorSpec(key, "C0:00:00:00:00:01")
    async with VirtualWorld([first]):
        async with BleakClient(first.address, backend=VirtualBleakClient) as client:
            recorded = await stream(client, model, 100.0, 0.4)
    data = [r for r in recorded if r[0] == model.notify_uuids[0]]
    t0 = data[0][2]
    replay = ReplaySource([(u, b, t - t0) for u, b, t in data])
    second = VirtualSensorSpec(key, "C0:00:00:00:00:02", source=replay)
    async with VirtualWorld([second]) as world:
        async with BleakClient(second.address, backend=VirtualBleakClient) as client:
            replayed = await stream(client, model, 100.0, 0.6)
        sent = world.sent(second.address)
    frames = [r for r in replayed if r[0] == model.notify_uuids[0]]
    assert [r[1] for r in frames] == [r[1] for r in data]
    assert [s.data for s in sent] == [r[1] for r in replayed]
    # paced like the recording
    assert np.ptp([r[2] for r in frames]) == pytest.approx(np.ptp([r[2] for r in data]), abs=0.06)
