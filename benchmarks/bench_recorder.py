"""Recorder cost: CPU time and disk bytes per sensor-hour, 4 sensors at 100 Hz and 200 Hz.

Two measurements, printed side by side:

* **recorder path** (what the logger itself spends): ten minutes of each model's real notification
  bytes are pushed through the session's notification callback, the half-second batching with live
  decoding and gap accounting, and the durable MCAP writer (fsync included), as fast as possible;
  CPU time is scaled to one sensor-hour and set against the 2 %-of-a-core budget (72 s per hour).
* **whole process, live**: `Session` recording four virtual sensors through bleak and Bumble in real
  time. This CPU also pays for the virtual sensors and the Python BLE stack on both sides, so it is an
  upper bound, not the recorder's cost on real hardware.

Run: ``.venv/bin/python benchmarks/bench_recorder.py [--live-seconds 20]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from imu_logger.recording.writer import RecordingWriter, SessionInfo
from imu_logger.sensors import get_model
from imu_logger.capture.session import FLUSH_INTERVAL_S, Backend, SensorLink, SensorTarget

BUDGET_S_PER_HOUR = 0.02 * 3600  # 2 % of one core
PLACEMENTS = ("left_shin", "left_foot", "right_shin", "right_foot")


def notifications(model_key: str, rate_hz: float, seconds: float) -> tuple[list[tuple[str, bytes]], float]:
    """The device's notifications for `seconds` of gentle motion, and the rate actually used."""
    model = get_model(model_key)
    rate = model.nominal_rate(rate_hz)
    device = model.new_device(rate)
    for w in model.start_commands(rate):
        device.on_write(w.uuid, w.data)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    acc = np.column_stack([np.sin(t), np.cos(t), 9.81 + 0.1 * np.sin(3 * t)])
    gyr = np.column_stack([0.5 * np.sin(2 * t), 0.2 * np.cos(t), 0.1 * np.sin(t)])
    mag = np.tile([20.0, 0.0, -40.0], (n, 1))
    out = []
    block = max(int(rate // 10), 1)
    for i in range(0, n, block):
        out += device.encode(acc[i:i + block], gyr[i:i + block], mag[i:i + block], t[i:i + block])
    return out, rate


def recorder_path(models: dict[str, str], rate_hz: float, seconds: float) -> tuple[float, float]:
    """CPU seconds and file bytes per sensor-hour through callback, batching and durable writes."""
    traffic = {p: notifications(m, rate_hz, seconds) for p, m in models.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mcap"
        writer = RecordingWriter(path, SessionInfo(time.time_ns(), time.monotonic_ns()))
        links = {}
        for placement, key in models.items():
            link = SensorLink(SensorTarget(placement, key, "AA:BB:CC:DD:EE:FF", rate_hz), Backend(),
                              lambda *a, **k: None)
            link.stats.connections = 1
            links[placement] = link
            writer.add_sensor(link.info())
        callbacks = {p: [link._make_callback(i) for i in range(len(link.model.notify_uuids))]
                     for p, link in links.items()}
        uuid_index = {p: {u: i for i, u in enumerate(links[p].model.notify_uuids)} for p in links}
        ticks = int(seconds / FLUSH_INTERVAL_S)
        cpu0 = time.process_time()
        for k in range(ticks):
            for placement, (notes, _) in traffic.items():
                lo, hi = (len(notes) * k) // ticks, (len(notes) * (k + 1)) // ticks
                for uuid, data in notes[lo:hi]:
                    callbacks[placement][uuid_index[placement][uuid]](None, bytearray(data))
            for placement, link in links.items():
                for batch in link.take_batches():
                    writer.write_batch(placement, batch)
            writer.flush()
        cpu = time.process_time() - cpu0
        writer.close({})
        size = os.path.getsize(path)
    scale = 3600.0 / seconds / len(models)
    return cpu * scale, size * scale


async def live(rate_hz: float, seconds: float) -> tuple[float, float]:
    """CPU seconds and bytes per sensor-hour of a live virtual session (BLE stacks included)."""
    from imu_logger.ble import virtual
    from imu_logger.capture.session import Session

    specs = virtual.default_specs()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "live.mcap"
        async with virtual.running(specs):
            targets = virtual.targets_for(specs)
            for t in targets:
                t.rate_hz = rate_hz
            session = Session(targets, out, virtual.VIRTUAL_BACKEND, duration_s=seconds)
            cpu0 = time.process_time()
            result = await session.run()
            cpu = time.process_time() - cpu0
        size = os.path.getsize(out)
    scale = 3600.0 / result.duration_s / len(specs)
    return cpu * scale, size * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="data per sensor, recorder path")
    parser.add_argument("--live-seconds", type=float, default=20.0)
    args = parser.parse_args()
    from imu_logger.ble.virtual import DEFAULT_MODELS
    print(f"models: {DEFAULT_MODELS}")
    print(f"{'rate':>6} | {'recorder CPU s/sensor-h':>24} {'% of a core':>11} {'x budget':>9} "
          f"{'MB/sensor-h':>12} | {'live CPU s/sensor-h':>20} {'% core':>7} {'MB/sensor-h':>12}")
    for rate in (100.0, 200.0):
        cpu, size = recorder_path(DEFAULT_MODELS, rate, args.seconds)
        lcpu, lsize = asyncio.run(live(rate, args.live_seconds))
        print(f"{rate:5.0f}  | {cpu:24.2f} {100 * cpu / 3600:10.3f}% {cpu / BUDGET_S_PER_HOUR:9.3f} "
              f"{size / 1e6:12.2f} | {lcpu:20.1f} {100 * lcpu / 3600:6.2f}% {lsize / 1e6:12.2f}")


if __name__ == "__main__":
    main()
