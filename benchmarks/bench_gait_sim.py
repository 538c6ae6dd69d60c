"""Gait analysis against the simulator's truth: a simulated day, random mounting, noise and bias, both legs.

Run: .venv/bin/python benchmarks/bench_gait_sim.py [HOURS]

Prints stride detection precision/recall, event timing error (median, p95, max), stride length error
(MAE %, p95 %) and bout start/end error in strides. Uses the API `gait_sim.simulate(
SimConfig(...)) -> Simulation` (``.signals``, ``.truth_strides``, ``.truth_bouts``); truth strides are
expected with ``side``, ``start_s``, ``toe_off_s``, ``end_s``, ``stride_length_m``.
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

from analysis.bouts import gait_tables  # noqa: E402
from analysis.validation import stride_errors  # noqa: E402


def matched_errors(det: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Errors of the detected strides matched one to one (nearest initial contact) to the true ones."""
    return stride_errors(det, truth)


def main() -> None:
    try:
        from gait_sim import SimConfig, simulate
    except ImportError as exc:
        print(f"simulator not available yet ({exc}); nothing to benchmark")
        return
    hours = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    sim = simulate(SimConfig(minutes=hours * 60.0, seed=1, mounting="random"))
    t0 = time.perf_counter()
    strides, bouts = gait_tables(sim.signals)
    elapsed = time.perf_counter() - t0
    truth = sim.truth_strides
    m = matched_errors(strides, truth)
    print(f"analysed {hours:g} h in {elapsed:.1f} s: {len(strides)} strides detected, {len(truth)} true")
    print(f"precision {len(m) / max(len(strides), 1):.4f}, recall {len(m) / max(len(truth), 1):.4f}")
    for col in ("ic_err_ms", "to_err_ms", "len_err_pct"):
        a = np.abs(m[col].dropna().to_numpy())
        print(f"{col}: median {np.median(a):.2f}, mean {a.mean():.2f}, p95 {np.percentile(a, 95):.2f}, max {a.max():.2f}")
    ok = m[(m["truth_quality"] != "spot_turn") & ~m["quality"].astype(str).str.contains("gap")]
    a = np.abs(ok["len_err_pct"].to_numpy())
    print(f"len_err_pct without spot turns (truth ill-defined) and gap-flagged strides ({len(a)} strides): "
          f"mean {a.mean():.2f}, median {np.median(a):.2f}, p95 {np.percentile(a, 95):.2f}, max {a.max():.2f}")
    for side in ("left", "right"):
        ms = m[m["side"] == side]
        print(f"  {side}: {len(ms)} matched, ic median {np.median(np.abs(ms['ic_err_ms'])):.1f} ms, "
              f"toe-off signed median {np.median(ms['to_err_ms']):.1f} ms")
    walk = bouts[bouts["activity"] == "walking"]
    tb = sim.truth_bouts
    tb = tb[tb["activity"] == "walking"] if "activity" in tb else tb
    if len(walk) and len(tb):
        s = walk["start_s"].to_numpy()
        e = walk["end_s"].to_numpy()
        ds = np.array([np.min(np.abs(s - x)) for x in tb["start_s"]])  # per true bout
        de = np.array([np.min(np.abs(e - x)) for x in tb["end_s"]])
        st = np.median(strides["stride_time_s"])
        print(f"bouts: {len(walk)} detected, {len(tb)} true; start error in strides p95 {np.percentile(ds / st, 95):.2f}, "
              f"end p95 {np.percentile(de / st, 95):.2f}")


if __name__ == "__main__":
    main()
