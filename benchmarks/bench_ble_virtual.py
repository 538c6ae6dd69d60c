"""CPU cost of the virtual BLE stack: 4 virtual sensors streaming through Bumble and bleak.

Prints, for 4 sensors at 100 Hz (and 200 Hz where the model supports it) streamed for 10 s:
notifications per second, process CPU as a share of one core, CPU per notification, and the ratio
to a baseline run in the same process: the same samples encoded and decoded with no BLE at all.

Run: .venv/bin/python benchmarks/bench_ble_virtual.py [seconds]
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

import numpy as np
from bleak import BleakClient

from imu_logger.ble.sources import SimpleMotionSource
from imu_logger.ble.virtual_backend import VirtualBleakClient
from imu_logger.ble.world import VirtualWorld
from imu_logger.ble.virtual import default_specs
from imu_logger.sensors import get_model


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def stream_all(rate_hz: float, seconds: float) -> tuple[float, float, int]:
    """(wall s, CPU s, notifications received) of streaming every default sensor for ``seconds``."""
    specs = list(default_specs().values())
    counts = [0]
    async with VirtualWorld(specs, keep_ledger=False):
        clients = []
        for spec in specs:
            model = get_model(spec.model_key)
            client = BleakClient(spec.address, backend=VirtualBleakClient)
            await client.connect()
            for uuid in model.notify_uuids:
                await client.start_notify(uuid, lambda ch, data: counts.__setitem__(0, counts[0] + 1))
            for write in model.start_commands(rate_hz):
                await client.write_gatt_char(write.uuid, write.data, response=write.response)
            clients.append((client, model))
        counts[0] = 0
        c0, t0 = cpu_s(), time.monotonic()
        await asyncio.sleep(seconds)
        c1, t1 = cpu_s(), time.monotonic()
        n = counts[0]
        for client, model in clients:
            for uuid in model.notify_uuids:
                await client.stop_notify(uuid)
            await client.disconnect()
    return t1 - t0, c1 - c0, n


def baseline(rate_hz: float, seconds: float) -> float:
    """CPU s to encode and decode the same samples with no BLE: what the bytes alone cost."""
    c0 = cpu_s()
    for spec in list(default_specs().values()):
        model = get_model(spec.model_key)
        device = model.new_device(rate_hz)
        device.streaming = True
        for write in model.start_commands(rate_hz):
            device.on_write(write.uuid, write.data)
        rate = device.rate_hz
        source = SimpleMotionSource(fs_hz=rate)
        notes = []
        per_tick = max(1, round(rate * 0.02))
        for k in range(0, int(rate * seconds), per_tick):
            acc, gyr, mag = source.block(k / rate, per_tick)
            notes += device.encode(acc, gyr, mag, (k + np.arange(per_tick)) / rate)
        model.decode([u for u, _ in notes], [b for _, b in notes], np.arange(len(notes), dtype=float))
    return cpu_s() - c0


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    for rate in (100.0, 200.0):
        base = baseline(rate, seconds)
        wall, cpu, n = asyncio.run(stream_all(rate, seconds))
        print(f"4 sensors, {rate:.0f} Hz requested, {wall:.1f} s: {n / wall:.0f} notifications/s, "
              f"CPU {100 * cpu / wall:.1f} % of one core, {1e6 * cpu / max(n, 1):.0f} µs/notification, "
              f"{cpu / max(base, 1e-9):.1f}× the encode+decode baseline ({base:.2f} s CPU)")


if __name__ == "__main__":
    main()
