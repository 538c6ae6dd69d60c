"""Shin-only gait events against the simulator's truth: how accurate are strides from a shin sensor alone?

Run: .venv/bin/python benchmarks/bench_shin_only.py [SEEDS] [MINUTES]

Per seed (default 8 seeds of a 5-minute 'walk' scenario: bouts, curves, spot turns), random mounting
and the simulator's default sensor errors (noise, bias, bias drift, dropped samples), only the two
shin signals go to ``analysis.strides.compute_strides`` (so each side takes the shin-only path).
Prints per seed and overall: stride precision and recall (initial contacts matched within 100 ms),
initial-contact and toe-off error (signed median, then |error| median, p95, max, ms), stride time
error (|error| median, p95, max, ms) and stance-fraction error (signed median, |error| p95, % of the
stride), and the analysis time against the foot-sensor analysis of the same recording.
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

from analysis.strides import compute_strides  # noqa: E402
from analysis.validation import stride_errors  # noqa: E402
from gait_sim import Scenario, SimConfig, simulate  # noqa: E402

SHINS = ("left_shin", "right_shin")
FEET = ("left_foot", "right_foot")


def shin_only_errors(sim, tol_s: float = 0.1) -> tuple[pd.DataFrame, int, int]:
    """Errors of the shin-only strides matched one to one (per side, nearest initial contact within
    ``tol_s``) to the true strides, with the detected and true stride counts."""
    det = compute_strides({p: sim.signals[p] for p in SHINS})
    truth = sim.truth_strides
    m = stride_errors(det, truth, tol_s)
    return m, len(det), len(truth)


def summary(m: pd.DataFrame, n_det: int, n_true: int) -> dict:
    """One table row: precision/recall and error distributions (see module docstring)."""
    def a(col: str) -> np.ndarray:
        return np.abs(m[col].to_numpy())
    return {
        "strides": n_true, "precision": len(m) / max(n_det, 1), "recall": len(m) / max(n_true, 1),
        "ic_signed_med": np.median(m["ic_err_ms"]), "ic_med": np.median(a("ic_err_ms")),
        "ic_p95": np.percentile(a("ic_err_ms"), 95), "ic_max": a("ic_err_ms").max(),
        "to_signed_med": np.median(m["to_err_ms"]), "to_med": np.median(a("to_err_ms")),
        "to_p95": np.percentile(a("to_err_ms"), 95), "to_max": a("to_err_ms").max(),
        "st_med": np.median(a("stride_time_err_ms")), "st_p95": np.percentile(a("stride_time_err_ms"), 95),
        "st_max": a("stride_time_err_ms").max(), "stance_signed_med_pct": np.median(m["stance_err_pct"]),
        "stance_p95_pct": np.percentile(a("stance_err_pct"), 95),
    }


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    rows, parts, counts = [], [], [0, 0]
    t_shin = t_foot = 0.0
    for seed in range(1, seeds + 1):
        sim = simulate(SimConfig(minutes=minutes, seed=seed, mounting="random", scenario=Scenario(kind="walk")))
        t0 = time.perf_counter()
        m, n_det, n_true = shin_only_errors(sim)
        t_shin += time.perf_counter() - t0
        t0 = time.perf_counter()
        compute_strides({p: sim.signals[p] for p in FEET})
        t_foot += time.perf_counter() - t0
        rows.append({"seed": seed, **summary(m, n_det, n_true)})
        parts.append(m)
        counts[0] += n_det
        counts[1] += n_true
    rows.append({"seed": "all", **summary(pd.concat(parts, ignore_index=True), *counts)})
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print(f"shin-only strides, {seeds} x {minutes:g} min walk, random mounting, default sensor errors "
          "(times in ms; *_med/p95/max are |error|)")
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    print(f"analysis time: shin-only {t_shin:.2f} s, feet {t_foot:.2f} s, ratio {t_shin / max(t_foot, 1e-9):.2f}")


if __name__ == "__main__":
    main()
