"""Scale of one run: a day's time, memory and ratio to ahrs; 48-hour and 7-day memory; a cohort's throughput.

Run: .venv/bin/python benchmarks/bench_scale.py [--parts day,simulate,48h,7d,cohort] [--cohort-minutes 30]

Every measurement runs in its own child process, whose peak resident memory (ru_maxrss) is its own:

1. **day**: the 16-hour, 4-sensor, 100 Hz simulated day of bench_analyze.py (seed 3, random mounting;
   generated once with ``imu-logger simulate`` into /tmp/imu_logger_bench_16h.mcap), from the file to
   the tables as ``imu-logger analyze`` does (imu_logger.api.analyze_recording: over two hours, decoded
   to a temporary sample store and analysed streamed, analysis.streamed); then the ahrs Madgwick
   per-sample loop on a 20 000-sample slice of the same data (read from a store of it), scaled to the
   day's samples, in the same child.
2. **simulate**: peak memory of ``imu-logger simulate`` for 60 and 240 minutes (chunked: it must not
   grow with minutes).
3. **48 h** and **7 d**: 3 and 7 days of 16 h of wear, the day written into one recording once per day
   (one connection per day: the sensor reconnects each morning, its counters restart), nights of 8 h
   between (the 7 days, ~1.5 GB, written to /tmp and deleted afterwards unless it was there); their ``analyze`` time and
   peak memory beside the day's.
4. **cohort**: 4 simulated recordings (--cohort-minutes each) through imu_logger.cohort.run_cohort,
   serially and on a 2-worker Dask LocalCluster; recordings per minute.

The machine is shared: repeat a run to see the spread.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_analyze import CACHE, SLICE, ensure_recording, madgwick_rate  # noqa: E402

CLI = str(ROOT / ".venv" / "bin" / "imu-logger")
MULTI_DAY = Path("/tmp/imu_logger_bench_48h.mcap")
WEEK = Path("/tmp/imu_logger_bench_7d.mcap")
NIGHT_S = 8 * 3600.0  # between two days of wear
DAYS_48H = 3


def _maxrss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux: kB


def child_analyze(path: Path, with_ahrs: bool) -> dict:
    """File to tables as `imu-logger analyze` does; time, peak memory, and the ahrs loop on a slice."""
    from analysis.columns import ACC, GYR
    from imu_logger.api import analyze_recording
    from imu_logger.samples.store import decode_to_store

    t0 = time.perf_counter()
    res = analyze_recording(path, progress=None)
    total = time.perf_counter() - t0
    n = int(res.inventory["samples"].sum())
    out = {"total_s": total, "samples": n, "hours": res.gait.duration_s / 3600, "peak_gb": _maxrss_gb(),
           "strides": len(res.strides)}
    if with_ahrs:  # after the timing: the slice's store is a second decode of the file
        with tempfile.TemporaryDirectory(prefix="imu_bench_slice_") as tmp:
            store = decode_to_store(path, Path(tmp) / "s")
            p = store.placements[0]
            first, last = store.span_s(p)
            df = store.read(p, 0.5 * (first + last), last)[:SLICE]
            out["ahrs_rate"] = madgwick_rate(df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float), 100.0)
    return out


def child_simulate(minutes: float, out: Path) -> dict:
    """`imu-logger simulate` in this process (its CLI function), for its peak memory."""
    from click.testing import CliRunner

    from imu_logger.cli import cli

    t0 = time.perf_counter()
    r = CliRunner().invoke(cli, ["simulate", "--minutes", str(minutes), "--seed", "3", "--out", str(out),
                                 "--overwrite"])
    if r.exit_code:
        raise SystemExit(r.output)
    return {"minutes": minutes, "time_s": time.perf_counter() - t0, "peak_gb": _maxrss_gb()}


def child_cohort(recordings: list[Path], out: Path, scheduler: str, workers: int | None) -> dict:
    from analysis import GaitPipeline
    from imu_logger.cohort import run_cohort

    t0 = time.perf_counter()
    table = run_cohort(recordings, out, GaitPipeline(), scheduler=scheduler, workers=workers, force=True)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "per_minute": len(recordings) / wall * 60, "status": table["status"].tolist()}


def write_multi_day(day: Path, out: Path, days: int) -> Path:
    """``days`` copies of ``day``, NIGHT_S apart after each day's last notification, one connection each."""
    import numpy as np

    from imu_logger.recording.batch import RawBatch
    from imu_logger.recording.reader import read_recording
    from imu_logger.recording.writer import RecordingWriter, SessionInfo

    if out.is_file() and out.stat().st_mtime > day.stat().st_mtime:
        return out
    rec = read_recording(day)
    start_wall, start_mono = rec.start_wall_ns, rec.start_mono_ns
    span_ns = max(int(log.host_mono_ns[-1]) for log in rec.raw.values()) - start_mono + int(NIGHT_S * 1e9)
    w = RecordingWriter(out, SessionInfo(start_wall, start_mono, rec.session.get("subject_id", ""), "simulated"),
                        fsync=False)
    for info in rec.sensors.values():
        w.add_sensor(info)
    for d in range(days):
        shift = d * span_ns
        for placement, log in rec.raw.items():
            w.write_event("connect", start_mono + shift, start_wall + shift, placement, connection=d + 1)
            edges = np.arange(0, len(log), 5000)  # batches of ~10 s: the reader joins them anyway
            for a in edges:
                b = min(a + 5000, len(log))
                w.write_batch(placement, RawBatch(d + 1, log.host_mono_ns[a:b] + shift, log.host_wall_ns[a:b] + shift,
                                                  log.char_index[a:b], list(log.payloads[int(a):int(b)])))
    w.close({"duration_s": f"{days * span_ns / 1e9:.3f}"})
    return out


def run_child(*args: str) -> dict:
    """This script as a child doing one measurement; its JSON answer."""
    r = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"child {args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--parts", default="day,simulate,48h,7d,cohort",
                        help="measurements to run, comma-separated (48h and 7d need day)")
    parser.add_argument("--cohort-minutes", type=float, default=30.0)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "analyze":
            print(json.dumps(child_analyze(Path(rest[0]), rest[1] == "ahrs")))
        elif kind == "simulate":
            print(json.dumps(child_simulate(float(rest[0]), Path(rest[1]))))
        elif kind == "cohort":
            print(json.dumps(child_cohort([Path(p) for p in rest[3:]], Path(rest[0]), rest[1],
                                          int(rest[2]) or None)))
        return

    parts = set(args.parts.split(","))
    day_path = ensure_recording(CACHE)
    day = None
    if parts & {"day", "48h", "7d"}:
        day = run_child("analyze", str(day_path), "ahrs")
        ahrs_s = day["samples"] / day["ahrs_rate"]
        print(f"day: {day['hours']:.1f} h, 4 sensors, {day['samples'] / 1e6:.1f} M samples: file to tables "
              f"{day['total_s']:.1f} s (target <= 20 s), peak memory {day['peak_gb']:.2f} GB, "
              f"{day['strides']} strides")
        print(f"  ahrs Madgwick per-sample loop {day['ahrs_rate']:,.0f} samples/s -> {ahrs_s:.0f} s for the day; "
              f"ratio {ahrs_s / day['total_s']:.1f}x (target >= 60x)", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="imu_bench_scale_"))
    try:
        if "simulate" in parts:
            sims = [run_child("simulate", str(m), str(tmp / f"sim{m:g}.mcap")) for m in (60.0, 240.0)]
            print("simulate (chunked): " + "; ".join(f"{s['minutes']:g} min {s['time_s']:.0f} s, peak "
                                                     f"{s['peak_gb']:.2f} GB" for s in sims), flush=True)

        for part, days, path in (("48h", DAYS_48H, MULTI_DAY), ("7d", 7, WEEK)):
            if part not in parts:
                continue
            written = not path.is_file()  # bench_read_decode.py --keep-7d may have left the week: reused, kept
            try:
                multi = run_child("analyze", str(write_multi_day(day_path, path, days)), "-")
            finally:
                if path == WEEK and written:  # ~1.5 GB: not kept in /tmp
                    path.unlink(missing_ok=True)
            print(f"{days} days of 16 h of wear ({multi['hours']:.0f} h from first to last sample, "
                  f"{multi['samples'] / 1e6:.0f} M samples): file to tables {multi['total_s']:.0f} s, peak memory "
                  f"{multi['peak_gb']:.2f} GB ({multi['peak_gb'] / day['peak_gb']:.2f}x the day's; "
                  f"target {'<= 1.10x' if days == DAYS_48H else '<= 2 GB'}), {multi['strides']} strides", flush=True)

        if "cohort" not in parts:
            return
        recs = []
        for k in range(4):
            p = tmp / f"cohort_{k}.mcap"
            subprocess.run([CLI, "simulate", "--minutes", str(args.cohort_minutes), "--seed", str(10 + k),
                            "--out", str(p)], check=True, capture_output=True)
            recs.append(str(p))
        serial = run_child("cohort", str(tmp / "serial"), "serial", "0", *recs)
        dask = run_child("cohort", str(tmp / "dask"), "local", "2", *recs)
        for name, c in (("serial", serial), ("Dask LocalCluster, 2 workers", dask)):
            print(f"cohort of 4 x {args.cohort_minutes:g} min, {name}: {c['wall_s']:.0f} s, "
                  f"{c['per_minute']:.1f} recordings/min ({', '.join(sorted(set(c['status'])))})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
