"""Speed of the compiled orientation kernels against the ahrs per-sample loop, same data, same process.

Run: .venv/bin/python benchmarks/bench_orientation.py [--seconds 60]
Prints samples/s of both, the ratio, and the largest angle between their results (rad).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from analysis.orientation import orientation, orientation_ahrs  # noqa: E402
from analysis.orientation.quaternion import angle_between  # noqa: E402

RATE_HZ = 100.0


def walking_like(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Gyroscope (rad/s) and accelerometer (m/s²) samples with gait-like swings, noise and a bias."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE_HZ
    phase = 2 * np.pi * 0.9 * t
    gyr = np.column_stack([0.4 * np.sin(phase + 1), 4.0 * np.sin(phase) ** 3, 0.6 * np.cos(2 * phase)])
    gyr += rng.normal(0, 0.02, (n, 3)) + [0.01, -0.02, 0.015]
    acc = np.column_stack([3.0 * np.sin(2 * phase), 1.0 * np.cos(phase), 9.81 + 4.0 * np.sin(phase) ** 2])
    acc += rng.normal(0, 0.1, (n, 3))
    return gyr, acc


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the test signal at 100 Hz")
    args = parser.parse_args()
    n = int(args.seconds * RATE_HZ)
    gyr, acc = walking_like(n)
    print(f"{n} samples at {RATE_HZ:.0f} Hz, one sensor, 6D (gyroscope + accelerometer)")
    print(f"{'filter':<14}{'ahrs samples/s':>16}{'kernel samples/s':>18}{'ratio':>10}{'max diff rad':>14}")
    for method in ("madgwick", "mahony", "ekf", "complementary"):
        orientation(gyr[:10], acc[:10], RATE_HZ, method)  # numba warm-up (compile or load cache)
        t_ahrs = best_time(lambda: orientation_ahrs(gyr, acc, RATE_HZ, method), 1)
        t_fast = best_time(lambda: orientation(gyr, acc, RATE_HZ, method), 5)
        diff = angle_between(orientation_ahrs(gyr, acc, RATE_HZ, method), orientation(gyr, acc, RATE_HZ, method))
        print(f"{method:<14}{n / t_ahrs:>16,.0f}{n / t_fast:>18,.0f}{t_ahrs / t_fast:>9.0f}x{diff.max():>14.1e}")
    t_vqf = best_time(lambda: orientation(gyr, acc, RATE_HZ, "vqf"), 3)
    print(f"{'vqf (offline)':<14}{'-':>16}{n / t_vqf:>18,.0f}{'-':>10}{'-':>14}")


if __name__ == "__main__":
    main()
