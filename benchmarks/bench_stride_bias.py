"""Why stride length reads long on ipol_feet: the accelerometer's bias at rest, per sensor and subject split.

Run: .venv/bin/python benchmarks/bench_stride_bias.py [DATASET_DIR]

Issue 11: trials read a median 20.7 m for a 20 m course. Per foot and trial (ipol_feet, both feet walk
the same course, so their distances should agree):

* ``g_rest``: the accelerometer norm (m/s²) over the first still run (the subject stands before walking);
* distance (m, the swing displacements summed, as bench_gait_ipol) with the pipeline as it is
  (``bias removed``: analysis.zupt.rest_acc_bias), with that step left out (``raw``: the pipeline before
  it), and with the accelerometer scaled by g/``g_rest`` instead (``scaled``: the other reading of a norm
  error), printed as median distance and left-minus-right (signed median and mean, |L−R| median, p95).

Subjects 1-5 (TUNE) and 6-10 (REPORT) apart. The left sensor reads 10.1-10.4 m/s² at rest in every
subject, the right one 9.86-9.93: the left foot's extra distance on the same walk is what tells bias
(removes it) from scale (over-corrects it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import json  # noqa: E402

from analysis import strides as st  # noqa: E402
from analysis import zupt  # noqa: E402
from analysis.columns import ACC, GYR  # noqa: E402
from analysis.conventions import GRAVITY_MPS2  # noqa: E402
from analysis.ipol_validation import load_foot, trial_names  # noqa: E402
from analysis.validation import trial_swings  # noqa: E402
from analysis.windows import runs  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
SPLITS = (("TUNE 1-5", range(1, 6)), ("REPORT 6-10", range(6, 11)))
VARIANTS = ("raw", "bias removed", "scaled")


def distance(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, b0: float, b1: float) -> float:
    """Swing displacements (m) summed over the trial [b0, b1] (s)."""
    return float(trial_swings(st.foot_analysis(t, acc, gyr)["swings"], b0, b1)["displacement_m"].sum())


def foot_row(data: Path, name: str, foot: str, b0: float, b1: float) -> dict:
    df = load_foot(data, name, foot)
    t, acc, gyr = df["time_s"].to_numpy(), df[list(ACC)].to_numpy(), df[list(GYR)].to_numpy()
    r = runs(zupt.zero_velocity(acc, gyr, 100.0))
    g_rest = float(np.median(np.linalg.norm(acc[r[0, 0]:r[0, 1]], axis=1)))
    row = {"trial": name, "subject": int(name.split("-")[0]), "foot": foot, "g_rest": g_rest}
    with mock.patch.object(zupt, "rest_acc_bias", lambda a, still, **_: np.zeros(3)):
        row["raw"] = distance(t, acc, gyr, b0, b1)
    row["bias removed"] = distance(t, acc, gyr, b0, b1)
    row["scaled"] = distance(t, acc * (GRAVITY_MPS2 / g_rest), gyr, b0, b1)
    return row


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    rows = []
    for name in trial_names(data):
        meta = json.loads((data / f"{name}.json").read_text())
        b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
        rows += [foot_row(data, name, foot, b0, b1) for foot in ("lf", "rf")]
    df = pd.DataFrame(rows)
    print("accelerometer norm at rest (m/s², median over trials) per subject and foot:")
    print(df.pivot_table(index="subject", columns="foot", values="g_rest", aggfunc="median").round(3).T.to_string())
    for label, subjects in SPLITS:
        part = df[df["subject"].isin(subjects)]
        wide = part.pivot(index="trial", columns="foot")
        print(f"\n{label} ({len(wide)} trials):")
        for v in VARIANTS:
            lr = wide[v]["lf"] - wide[v]["rf"]
            print(f"  {v:>12}: distance median {part[v].median():.2f} m; L-R median {lr.median():+.2f}, "
                  f"mean {lr.mean():+.2f}; |L-R| median {lr.abs().median():.2f}, p95 {lr.abs().quantile(0.95):.2f} m")


if __name__ == "__main__":
    main()
