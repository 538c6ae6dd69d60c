"""Whole analysis of a 16-hour, 4-sensor, 100 Hz day from the recording file: time, memory, ratio to ahrs.

Run: .venv/bin/python benchmarks/bench_analyze.py [RECORDING] [--stages] [--profile N]

Without RECORDING, a simulated 16-hour day (seed 3, random mounting, sensor errors, scenario 'day')
is generated once with ``imu-logger simulate`` in a child process and cached as
/tmp/imu_logger_bench_16h.mcap (the simulator needs ~4.4 GB and ~2+ min; running it in a child keeps
its memory out of this process's peak). Then, in this process: read_recording → decode_recording →
analysis.pipeline.analyze, timed end to end, with the peak resident memory (ru_maxrss).
Baseline in the same run: the ahrs Madgwick filter's per-sample Python loop, timed on a 20 000-sample
slice of the same data and scaled to every sample of the day (4 sensors).

``--profile N`` runs the file-to-tables part under cProfile (which slows Python-heavy code, the reader
most) and prints its N costliest functions by own time and by cumulative time.
``--stages`` then runs calibration (analysis.calibration.calibrate) and the angle table
(analysis.angles.angles_from_calibration) once more on their own, printing each one's time and the peak
resident memory it added above what was resident when it started (sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/imu_logger_bench_16h.mcap")
SLICE = 20_000


def ensure_recording(path: Path) -> Path:
    """The cached 16 h simulated recording, generated in a child process when missing."""
    if path.is_file():
        return path
    print(f"generating the 16 h simulated day into {path} (once) ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "imu-logger"), "simulate", "--minutes", "960", "--fs", "100",
                    "--seed", "3", "--mounting", "random", "--out", str(path)], check=True)
    print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def madgwick_rate(acc: np.ndarray, gyr: np.ndarray, fs: float) -> float:
    """Samples per second of ahrs' Madgwick updateIMU called once per sample (Python loop)."""
    from ahrs.filters import Madgwick
    f = Madgwick(frequency=fs)
    q = np.array([1.0, 0.0, 0.0, 0.0])
    t0 = time.perf_counter()
    for i in range(len(acc)):  # the per-sample loop is the baseline being measured
        q = f.updateIMU(q, gyr=gyr[i], acc=acc[i])
    return len(acc) / (time.perf_counter() - t0)


class PeakRss:
    """Peak resident memory (GB) above the level at entry, sampled from /proc/self/statm in a thread."""

    def __enter__(self) -> "PeakRss":
        self.start = self.peak = _rss_gb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_gb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_gb())

    @property
    def added_gb(self) -> float:
        return self.peak - self.start

    def lap(self) -> float:
        """Peak (GB) since the previous lap (or the start); starts a new lap."""
        peak, self.peak = max(self.peak, _rss_gb()), _rss_gb()
        return peak


def _rss_gb() -> float:
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 ** 3


def stage_report(samples: dict) -> None:
    """Calibration and the angle table timed on their own, with the memory each adds."""
    from analysis.angles import angles_from_calibration
    from analysis.calibration import calibrate

    with PeakRss() as mem:
        t0 = time.perf_counter()
        cal = calibrate(samples)
        t_cal = time.perf_counter() - t0
    print(f"  stage calibration: {t_cal:6.1f} s, peak +{mem.added_gb:.2f} GB above {mem.start:.2f} GB")
    with PeakRss() as mem:
        t0 = time.perf_counter()
        angles = angles_from_calibration(cal)
        t_ang = time.perf_counter() - t0
    print(f"  stage ankle angles: {t_ang:6.1f} s, peak +{mem.added_gb:.2f} GB above {mem.start:.2f} GB "
          f"(table {angles.memory_usage(deep=True).sum() / 1024 ** 3:.2f} GB)")
    print(f"  calibration + angles: {t_cal + t_ang:.1f} s")


def main() -> None:
    from analysis.columns import ACC, GYR
    from analysis.pipeline import analyze
    from imu_logger.recording.reader import read_recording
    from imu_logger.samples.decode import decode_recording

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recording", nargs="?", type=Path, help=f"default: {CACHE} (generated once)")
    parser.add_argument("--stages", action="store_true", help="time calibration and angles on their own too")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile: print the N costliest functions")
    args = parser.parse_args()
    path = args.recording or ensure_recording(CACHE)
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    t0 = time.perf_counter()
    rec = read_recording(path)
    decoded = decode_recording(rec)
    del rec  # as `imu-logger analyze` does: the raw frames are not needed once decoded
    t_read = time.perf_counter() - t0
    samples = {p: s.data for p, s in decoded.items()}
    gaps = [s.gaps for s in decoded.values() if len(s.gaps)]
    import pandas as pd
    gaps = pd.concat(gaps, ignore_index=True) if gaps else None
    stages = []
    t1 = time.perf_counter()
    with PeakRss() as mem:
        res = analyze(samples, gaps, progress=lambda f, s: stages.append((time.perf_counter() - t1, s, mem.lap())))
    t_analyze = time.perf_counter() - t1
    total = time.perf_counter() - t0
    if profiler is not None:
        profiler.disable()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux: kB
    n = sum(len(df) for df in samples.values())
    hours = max(df["time_s"].iloc[-1] for df in samples.values()) / 3600
    first = next(iter(samples.values()))
    mid = len(first) // 2
    rate = madgwick_rate(first[list(ACC)].to_numpy(float)[mid:mid + SLICE],
                         first[list(GYR)].to_numpy(float)[mid:mid + SLICE],
                         decoded[next(iter(decoded))].rate_hz)
    ahrs_s = n / rate
    print(f"recording: {path} ({hours:.1f} h, {len(samples)} sensors, {n / 1e6:.1f} M samples)")
    print(f"read + decode {t_read:.1f} s; analyze {t_analyze:.1f} s; total {total:.1f} s (target <= 60 s)")
    prev = 0.0
    for t, s, peak in stages:
        print(f"  {t - prev:6.1f} s  before '{s}' (peak RSS in that step {peak:.2f} GB)")
        prev = t
    print(f"peak memory (max RSS) {peak_gb:.2f} GB (target <= 4 GB)")
    print(f"ahrs Madgwick per-sample loop: {rate:,.0f} samples/s -> {ahrs_s:.0f} s for the day's samples; "
          f"ratio ahrs / analyze end to end = {ahrs_s / total:.1f}x")
    walk = res.bouts[res.bouts["activity"] == "walking"]
    print(f"found {len(walk)} walking bouts, {len(res.strides)} strides; warnings: {len(res.warnings)}")
    if profiler is not None:
        for key in ("tottime", "cumulative"):
            print(f"--- cProfile, top {args.profile} by {key} (timings above are inflated by the profiler) ---")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(key).print_stats(args.profile)
    if args.stages:
        del res
        stage_report(samples)


if __name__ == "__main__":
    main()
