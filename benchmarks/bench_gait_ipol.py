"""Gait events and distance on ipol_feet (real Xsens foot data, manually checked events): per-subject table.

Run: .venv/bin/python benchmarks/bench_gait_ipol.py [DATASET_DIR]

Scoring and loading are analysis.ipol_validation (the tests use them too); this script prints them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.ipol_validation import distance_drivers, distance_table, evaluate_all, summarise  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    t0 = time.perf_counter()
    rows = evaluate_all(data)
    elapsed = time.perf_counter() - t0
    table = summarise(rows)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    print(table.round(3).to_string(index=False))
    to = np.concatenate([r["to_err_ms"] for r in rows])
    ic = np.concatenate([r["ic_err_ms"] for r in rows])
    print(f"signed timing error ms: toe-off median {np.median(to):.1f} [p5 {np.percentile(to, 5):.1f}, "
          f"p95 {np.percentile(to, 95):.1f}]; contact median {np.median(ic):.1f} "
          f"[p5 {np.percentile(ic, 5):.1f}, p95 {np.percentile(ic, 95):.1f}]")
    print("\ndistance per subject (swing sum per foot; path = all zero-velocity segments):")
    print(distance_table(rows).round(2).to_string(index=False))
    lr = np.array([abs(r["distance_m"][0] - r["distance_m"][1]) for r in rows])
    print(f"|L-R| per trial (m): median {np.median(lr):.2f}, p95 {np.percentile(lr, 95):.2f}, max {lr.max():.2f}; "
          f"stances given a zero-velocity update by stance_minima: {sum(r['n_still_forced'] for r in rows)}")
    dist = np.concatenate([r["distance_m"] for r in rows])
    print(f"distance per foot and trial (m): median {np.median(dist):.2f}, min {dist.min():.2f}, "
          f"max {dist.max():.2f}; within 20 m ± 5 %: {np.mean(np.abs(dist / 20 - 1) <= 0.05):.3f}")
    drivers = distance_drivers(rows)
    print(f"within-subject correlation of trial distance with the number of swings "
          f"{drivers['with_swing_count']:.2f}, with the straight stride length {drivers['with_stride_length']:.2f}")
    n_samples = sum(1 for _ in rows)
    print(f"{n_samples} trials analysed in {elapsed:.2f} s (both feet, including file reading)")


if __name__ == "__main__":
    main()
