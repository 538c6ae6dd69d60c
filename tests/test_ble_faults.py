"""Injected faults, each observed from the client side through bleak, and checked against the ledger."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from imu_logger.ble.faults import Faults
from imu_logger.ble.virtual_backend import VirtualBleakClient, VirtualBleakScanner
from imu_logger.ble.world import VirtualSensorSpec, VirtualWorld
from imu_logger.sensors import get_model

ADDRESS = "C0:00:00:00:00:0A"


async def start(client: BleakClient, key: str, received: list) -> None:
    model = get_model(key)
    for uuid in model.notify_uuids:
        await client.start_notify(uuid, lambda ch, data: received.append((ch.uuid, bytes(data), time.monotonic())))
    for write in model.start_commands(model.rates_hz[0]):
        await client.write_gatt_char(write.uuid, write.data, response=write.response)


async def stop(client: BleakClient, key: str) -> None:
    """Stop as a session does: after unsubscribing nothing more is in flight, so nothing is lost."""
    for uuid in get_model(key).notify_uuids:
        await client.stop_notify(uuid)


def payloads(received: list) -> list[bytes]:
    return [r[1] for r in received]


async def run(key: str, faults: Faults, seconds: float) -> tuple[list, list]:
    received: list = []
    async with VirtualWorld([VirtualSensorSpec(key, ADDRESS, faults=faults)]) as world:
        async with BleakClient(ADDRESS, backend=VirtualBleakClient) as client:
            await start(client, key, received)
            await asyncio.sleep(seconds)
            await stop(client, key)
        return received, world.sent(ADDRESS)


async def test_every_nth_notification_is_dropped_and_the_ledger_says_which():
    received, sent = await run("witmotion", Faults(drop_every=5), 0.5)
    streamed = [s for s in sent if s.uuid == get_model("witmotion").notify_uuids[0]]
    assert len(streamed) > 20
    assert payloads(received) == [s.data for s in sent if not s.dropped]
    assert [s.dropped for s in streamed] == [(i + 1) % 5 == 0 for i in range(len(streamed))]


async def test_random_drops_are_reproducible_and_visible_as_counter_gaps():
    key = "open_nrf"
    model = get_model(key)
    received, sent = await run(key, Faults(drop_probability=0.3, seed=7), 1.0)
    assert payloads(received) == [s.data for s in sent if not s.dropped]
    dropped = sum(s.dropped for s in sent)
    assert 0 < dropped < len(sent)
    decoded = model.decode(*zip(*[(r[0], r[1]) for r in received]), np.array([r[2] for r in received]))
    gaps = np.diff(decoded.counter)
    # every run of lost packets followed by a received one shows as one jump of the sample counter
    data = [s.dropped for s in sent if s.uuid == model.notify_uuids[0]]
    last_received = len(data) - 1 - data[::-1].index(False)
    runs = sum(1 for i in range(last_received) if data[i] and (i == 0 or not data[i - 1]))
    assert runs >= 1 and np.count_nonzero(gaps > 1) == runs and gaps.min() == 1
    again, sent_again = await run(key, Faults(drop_probability=0.3, seed=7), 1.0)
    n = min(len(sent), len(sent_again))
    assert [s.dropped for s in sent[:n]] == [s.dropped for s in sent_again[:n]]


async def test_corrupted_notifications_are_flagged_by_the_models_checksum():
    key = "open_nrf"
    received, sent = await run(key, Faults(corrupt_probability=0.3, seed=3), 1.0)
    assert payloads(received) == [s.data for s in sent]
    corrupted = {i for i, s in enumerate(sent) if s.corrupted}
    assert corrupted
    decoded = get_model(key).decode([r[0] for r in received], payloads(received), np.array([r[2] for r in received]))
    assert {i for i, _ in decoded.corrupt} == corrupted


async def test_low_battery_is_read_by_the_client():
    for key in ("movella_dot", "open_nrf", "polar_verity", "thingy52"):
        model = get_model(key)
        async with VirtualWorld([VirtualSensorSpec(key, ADDRESS, faults=Faults(battery_percent=12))]):
            async with BleakClient(ADDRESS, backend=VirtualBleakClient) as client:
                assert model.decode_battery(await client.read_gatt_char(model.battery_uuid)) == 12


async def test_disconnect_fault_calls_back_then_the_sensor_readvertises_and_streams_again():
    key = "movella_dot"
    lost = asyncio.Event()
    first: list = []
    second: list = []
    async with VirtualWorld([VirtualSensorSpec(key, ADDRESS, faults=Faults(disconnect_at_s=0.3))]) as world:
        client = BleakClient(ADDRESS, lambda c: lost.set(), backend=VirtualBleakClient)
        await client.connect()
        await start(client, key, first)
        await asyncio.wait_for(lost.wait(), 2.0)
        assert not client.is_connected
        found = await BleakScanner.find_device_by_address(ADDRESS, timeout=2.0, backend=VirtualBleakScanner)
        assert found is not None
        async with BleakClient(found, backend=VirtualBleakClient) as again:
            await start(again, key, second)
            await asyncio.sleep(0.5)
            await stop(again, key)
        sent = world.sent(ADDRESS)
    assert first and second
    assert payloads(first) == [s.data for s in sent if s.connection == 1]
    assert payloads(second) == [s.data for s in sent if s.connection == 2]
    streamed_for = first[-1][2] - first[0][2]
    assert 0.2 < streamed_for < 0.45
    # the sensor clock kept running across the reconnection
    model = get_model(key)
    t1 = model.decode(*zip(*[(r[0], r[1]) for r in first]), np.array([r[2] for r in first])).sensor_time_s
    t2 = model.decode(*zip(*[(r[0], r[1]) for r in second]), np.array([r[2] for r in second])).sensor_time_s
    assert t2[0] > t1[-1]


async def test_clock_drift_shows_in_sensor_time_against_host_time():
    key = "movella_dot"
    model = get_model(key)
    slopes = {}
    for ppm in (0.0, 50_000.0):
        received, _ = await run(key, Faults(clock_drift_ppm=ppm), 1.2)
        decoded = model.decode([r[0] for r in received], payloads(received), np.array([r[2] for r in received]))
        # sensor seconds per host second, fitted over the stream
        slopes[ppm] = np.polyfit(decoded.host_time_s, decoded.sensor_time_s, 1)[0]
    assert abs(slopes[0.0] - 1.0) < 0.015
    assert abs(slopes[50_000.0] - 1.05) < 0.015


async def test_latency_bursts_hold_notifications_then_deliver_them_in_order():
    key = "movella_dot"
    faults = Faults(latency_burst_every_s=0.8, latency_burst_s=0.3, receive_jitter_s=0.01)
    received, sent = await run(key, faults, 2.0)
    assert payloads(received) == [s.data for s in sent][:len(received)]  # nothing lost or reordered
    arrival = np.array([r[2] for r in received])
    late = arrival - np.array([s.time_s for s in sent][:len(received)])
    assert late.min() >= 0.0 and late.max() == pytest.approx(0.3, abs=0.1)  # held for a whole burst
    assert np.median(late) < 0.1  # outside the bursts, only the jitter (and the loop's own delay)
    assert np.max(np.diff(arrival)) == pytest.approx(0.3, abs=0.1)  # silent through each burst


async def test_disconnect_every_drops_the_link_on_each_connection():
    key = "open_nrf"
    lost = asyncio.Event()
    async with VirtualWorld([VirtualSensorSpec(key, ADDRESS, faults=Faults(disconnect_every_s=0.3))]) as world:
        for _ in range(2):
            lost.clear()
            client = BleakClient(ADDRESS, lambda c: lost.set(), backend=VirtualBleakClient)
            await client.connect()
            await start(client, key, [])
            await asyncio.wait_for(lost.wait(), 2.0)
        assert {s.connection for s in world.sent(ADDRESS)} == {1, 2}
