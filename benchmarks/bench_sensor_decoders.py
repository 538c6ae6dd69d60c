"""Decode throughput of every sensor model: one hour of motion at (about) 100 Hz per model.

Prints seconds per sensor-hour and the ratio against the baseline of the same run (a plain
numpy pass over the same bytes: b"".join + frombuffer), so figures compare across machines.
Run: .venv/bin/python benchmarks/bench_sensor_decoders.py [minutes]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from imu_logger.sensors import MODELS


def synthetic_motion(rate_hz: float, seconds: float, seed: int = 1) -> tuple[np.ndarray, ...]:
    """Walking-like signals: 1 Hz gait with harmonics, gravity on z, some noise."""
    rng = np.random.default_rng(seed)
    t = 5000.0 + np.arange(int(rate_hz * seconds)) / rate_hz
    phase = 2 * np.pi * 1.0 * t
    acc = np.column_stack([3 * np.sin(phase), 2 * np.sin(2 * phase), 9.81 + 4 * np.cos(phase)])
    gyr = np.column_stack([2 * np.sin(phase + 1), 0.5 * np.sin(2 * phase), 0.3 * np.cos(phase)])
    mag = np.tile([20.0, 5.0, -40.0], (t.size, 1))
    return acc + rng.normal(0, 0.05, acc.shape), gyr + rng.normal(0, 0.01, gyr.shape), mag, t


def notifications(key: str, minutes: float) -> tuple[list[str], list[bytes], np.ndarray, float]:
    model = MODELS[key]
    dev = model.new_device()
    replies = []
    for w in model.start_commands(100.0):
        replies += dev.on_write(w.uuid, w.data)
    acc, gyr, mag, t = synthetic_motion(dev.rate_hz, minutes * 60)
    out = list(replies)
    block = max(1, int(dev.rate_hz))
    for k in range(0, t.size, block):
        out += dev.encode(acc[k:k + block], gyr[k:k + block], mag[k:k + block], t[k:k + block])
    host = np.linspace(0, minutes * 60, len(out))
    return [u for u, _ in out], [p for _, p in out], host, dev.rate_hz


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    for key, model in MODELS.items():
        uuids, payloads, host, rate = notifications(key, minutes)
        t0 = time.perf_counter()
        np.frombuffer(b"".join(payloads), dtype=np.uint8).astype(np.float64)
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        decoded = model.decode(uuids, payloads, host)
        spent = time.perf_counter() - t0
        per_hour = spent * 60.0 / minutes
        print(f"{key:13s} {rate:6.1f} Hz  {len(payloads):8d} notifications  {len(decoded):8d} samples  "
              f"{per_hour:6.3f} s per sensor-hour  ({spent / max(base, 1e-9):6.1f} x baseline)")


if __name__ == "__main__":
    main()
