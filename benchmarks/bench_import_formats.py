"""Throughput of the file-format paths on day-sized inputs: parsing an Xsens MT Manager export, and
the decoded samples written per second by ``export --format mcap`` (foxglove.Vector3 messages) and
``export --format bids``.

The Xsens input is the shipped IPOL trial 3-2 (left foot) repeated to ``hours`` of 100 Hz rows with a
running PacketCounter; the exports take one imported sensor of that length. Prints seconds and rows
(or messages) per second; compare figures on one machine only.
Run: .venv/bin/python benchmarks/bench_import_formats.py [hours]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIAL = ROOT / "tests" / "data" / "ipol_feet" / "3-2_lf.txt"


def day_file(path: Path, hours: float) -> int:
    """An MT Manager export of ``hours`` at 100 Hz built from the IPOL trial; returns its rows."""
    lines = TRIAL.read_text().splitlines()
    rows = [line.split("\t", 1)[1] for line in lines[2:]]
    n = int(hours * 3600 * 100)
    with path.open("w") as f:
        f.write("\n".join(lines[:2]) + "\n")
        f.writelines(f"{i % 65536}\t{rows[i % len(rows)]}\n" for i in range(n))
    return n


def main(hours: float = 1.0) -> None:
    from imu_logger.api import load_recording
    from imu_logger.formats.bids import export_bids
    from imu_logger.formats.csv_import import write_imported
    from imu_logger.formats.foxglove import write_foxglove_mcap
    from imu_logger.formats.xsens_text import read_xsens_text

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = day_file(tmp / "day.txt", hours)
        t0 = time.perf_counter()
        table = read_xsens_text(tmp / "day.txt")
        parse_s = time.perf_counter() - t0
        print(f"xsens text parse: {n} rows in {parse_s:.1f} s ({n / parse_s:,.0f} rows/s)")
        rec = tmp / "day.mcap"
        write_imported({"left_foot": table.rows}, rec, {"left_foot": "day.txt"}, rates_hz={"left_foot": 100.0})
        data = load_recording(rec)
        t0 = time.perf_counter()
        counts = write_foxglove_mcap(rec, data.samples, data.start_wall_ns, tmp / "fox.mcap")
        fox_s = time.perf_counter() - t0
        print(f"export mcap: {counts['left_foot']} Vector3 messages in {fox_s:.1f} s "
              f"({counts['left_foot'] / fox_s:,.0f} messages/s)")
        t0 = time.perf_counter()
        export_bids(data.samples, {"left_foot": 100.0}, {"left_foot": "generic"}, data.start_wall_ns, "b1",
                    tmp / "bids")
        bids_s = time.perf_counter() - t0
        print(f"export bids: {n} rows in {bids_s:.1f} s ({n / bids_s:,.0f} rows/s)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
