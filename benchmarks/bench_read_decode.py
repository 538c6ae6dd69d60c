"""Reading and decoding a recording: the whole-file path against the sample store, time and peak memory.

Run: .venv/bin/python benchmarks/bench_read_decode.py [--parts day,store,hours,48h,7d] [--keep-7d]

On the 16-hour, 4-sensor, 100 Hz simulated day of bench_analyze.py (/tmp/imu_logger_bench_16h.mcap,
generated once when missing), each measurement in its own child process, whose peak resident memory
(ru_maxrss) is its own:

1. **day**: ``read_recording`` then ``decode_recording``, today's whole-file path (every sample in memory);
2. **store**: ``decode_to_store`` into a temporary folder (streamed; one connection decoded at a time);
3. **hours**: that store read back hour by hour, every placement (``SampleStore.read``);
4. **48h** and **7d**: ``decode_to_store`` of the 48-hour file of bench_scale.py (3 days of 16 h, one
   connection per day) and of a 7-day one made the same way (7 x 16 h of wear; written once into
   /tmp/imu_logger_bench_7d.mcap, ~1.5 GB, deleted afterwards unless --keep-7d).

The machine is shared: the load average is printed with the figures; repeat a run to see the spread.
"""

from __future__ import annotations

import argparse
import json
import os
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

from benchmarks.bench_analyze import CACHE, ensure_recording  # noqa: E402
from benchmarks.bench_scale import MULTI_DAY, write_multi_day  # noqa: E402

WEEK = Path("/tmp/imu_logger_bench_7d.mcap")


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux: kB


def child_day(path: Path) -> dict:
    from imu_logger.recording.reader import read_recording
    from imu_logger.samples.decode import decode_recording

    t0 = time.perf_counter()
    rec = read_recording(path)
    t1 = time.perf_counter()
    decoded = decode_recording(rec)
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "decode_s": t2 - t1, "total_s": t2 - t0, "peak_gb": _peak_gb(),
            "samples": sum(len(s.data) for s in decoded.values())}


def child_store(path: Path, folder: Path) -> dict:
    from imu_logger.samples.store import decode_to_store

    t0 = time.perf_counter()
    store = decode_to_store(path, folder)
    return {"total_s": time.perf_counter() - t0, "peak_gb": _peak_gb(),
            "samples": sum(store.samples(p) for p in store.placements),
            "disk_gb": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e9}


def child_hours(folder: Path) -> dict:
    from imu_logger.samples.store import SampleStore

    t0 = time.perf_counter()
    store = SampleStore.open(folder)
    n, reads = 0, 0
    for p in store.placements:
        first, last = store.span_s(p)
        for hour in range(int(first // 3600), int(last // 3600) + 1):
            n += len(store.read(p, hour * 3600.0, (hour + 1) * 3600.0))
            reads += 1
    return {"total_s": time.perf_counter() - t0, "peak_gb": _peak_gb(), "samples": n, "reads": reads}


def child_write_multi(days: int, out: Path) -> dict:
    t0 = time.perf_counter()
    write_multi_day(CACHE, out, days)
    return {"total_s": time.perf_counter() - t0, "size_gb": out.stat().st_size / 1e9}


def run_child(*args: str) -> dict:
    """This script as a child doing one measurement; its JSON answer."""
    r = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"child {args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--parts", default="day,store,hours,48h,7d", help="measurements to run, comma-separated")
    parser.add_argument("--keep-7d", action="store_true", help=f"keep {WEEK} for the next run")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        out = {"day": lambda: child_day(Path(rest[0])), "store": lambda: child_store(Path(rest[0]), Path(rest[1])),
               "hours": lambda: child_hours(Path(rest[0])),
               "write": lambda: child_write_multi(int(rest[0]), Path(rest[1]))}[kind]()
        print(json.dumps(out))
        return

    parts = set(args.parts.split(","))
    day = ensure_recording(CACHE)
    rows: list[tuple[str, str, str, str]] = []  # what, time, peak memory, note

    def row(what: str, r: dict, note: str = "") -> None:
        rows.append((what, f"{r['total_s']:.1f} s", f"{r['peak_gb']:.2f} GB" if "peak_gb" in r else "", note))
        print(f"  {what}: {r} (load {_load()})", flush=True)

    print(f"load average at start: {_load()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="imu_bench_store_"))
    try:
        if "day" in parts:
            r = run_child("day", str(day))
            row("16 h day: read_recording + decode_recording", r,
                f"read {r['read_s']:.1f} s + decode {r['decode_s']:.1f} s, {r['samples'] / 1e6:.1f} M samples")
        if parts & {"store", "hours"}:
            r = run_child("store", str(day), str(tmp / "day"))
            row("16 h day: decode_to_store", r, f"{r['samples'] / 1e6:.1f} M samples, {r['disk_gb']:.2f} GB on disk")
        if "hours" in parts:
            r = run_child("hours", str(tmp / "day"))
            row("16 h day: store read back hour by hour", r, f"{r['reads']} reads, {r['samples'] / 1e6:.1f} M samples")
        shutil.rmtree(tmp / "day", ignore_errors=True)
        for name, days, path in (("48h", 3, MULTI_DAY), ("7d", 7, WEEK)):
            if name not in parts:
                continue
            if not (path.is_file() and path.stat().st_mtime > day.stat().st_mtime):
                w = run_child("write", str(days), str(path))
                print(f"  wrote {path} ({w['size_gb']:.2f} GB) in {w['total_s']:.0f} s", flush=True)
            r = run_child("store", str(path), str(tmp / name))
            row(f"{days} x 16 h of wear: decode_to_store", r,
                f"{r['samples'] / 1e6:.0f} M samples, {r['disk_gb']:.2f} GB on disk")
            shutil.rmtree(tmp / name, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if WEEK.is_file() and not args.keep_7d:
            WEEK.unlink()
    width = max(len(r[0]) for r in rows) if rows else 0
    print(f"\n{'':{width}}  {'time':>8}  {'peak RSS':>9}")
    for what, t, peak, note in rows:
        print(f"{what:{width}}  {t:>8}  {peak:>9}  {note}")
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
