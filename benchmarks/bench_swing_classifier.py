"""A learned check of candidate swings on ipol_feet: logistic model fitted on TUNE 1-5, applied to REPORT 6-10.

Run: .venv/bin/python benchmarks/bench_swing_classifier.py [DATASET_DIR]

Issue 11 prefers a model fitted on one part of the data and checked on another over more thresholds.
Each swing of ``analysis.strides.foot_analysis`` with its mid-swing inside ``TrialBoundaries`` is a
candidate, *true* when it matches a reference footstep (analysis.validation.match_footsteps). The
false ones are pivot shuffles of the U-turn and small foot adjustments: low peak rate, short swing,
little displacement. Features: ln(peak toes-up rate, rad/s), swing duration (s), ln(displacement, m).
A logistic regression (classes weighted equally) is fitted on TUNE; the threshold is the lowest
probability any TUNE footstep gets, so no TUNE footstep is lost. Printed: coefficients, and per
subject and part the swing precision / recall without and with the model. The model is
fitted here and printed beside analysis.swing_check's constants, which the pipeline applies
(analysis.strides.foot_analysis); candidates are taken without that check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis import strides as st  # noqa: E402
from analysis.columns import ACC, GYR  # noqa: E402
from analysis.ipol_validation import load_foot, trial_names  # noqa: E402
from analysis.swing_check import FEATURE_MEAN, FEATURE_SD, MIN_PROBABILITY, WEIGHTS  # noqa: E402
from analysis.validation import match_footsteps, reference_footsteps  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
TUNE = range(1, 6)
FEATURES = ("ln_peak_radps", "swing_s", "ln_displacement_m")


def candidates(data: Path) -> pd.DataFrame:
    """One row per candidate swing inside the trial: subject, FEATURES, ``true``."""
    rows = []
    for name in trial_names(data):
        meta = json.loads((data / f"{name}.json").read_text())
        b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
        for foot, key in (("lf", "LeftFootEvents"), ("rf", "RightFootEvents")):
            df = load_foot(data, name, foot)
            t = df["time_s"].to_numpy()
            res = st.foot_analysis(t, df[list(ACC)].to_numpy(), df[list(GYR)].to_numpy(), swing_check=None)
            sw = res["swings"]
            ms = sw["mid_swing_s"].to_numpy()
            true = np.zeros(len(sw), bool)
            true[[j for _, j in match_footsteps(ms, reference_footsteps(meta, key, t[-1]))]] = True
            inside = (ms >= b0) & (ms <= b1)
            rows.append(pd.DataFrame({
                "subject": meta["Subject"],
                "ln_peak_radps": np.log(np.maximum(res["toes_up"][sw["ms_idx"].to_numpy()], 0.1)),
                "swing_s": (sw["initial_contact_s"] - sw["toe_off_s"]).to_numpy(),
                "ln_displacement_m": np.log(np.maximum(sw["displacement_m"].to_numpy(), 0.01)),
                "true": true, "n_reference": 0})[inside])
            rows.append(pd.DataFrame({"subject": [meta["Subject"]], "n_reference": [len(reference_footsteps(
                meta, key, t[-1]))], "true": [False], **{f: [np.nan] for f in FEATURES}}))
    return pd.concat(rows, ignore_index=True)


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3, iterations: int = 50) -> np.ndarray:
    """Weights (intercept first) of a logistic regression, both classes weighted equally (Newton steps)."""
    a = np.column_stack([np.ones(len(x)), x])
    sw = np.where(y, 0.5 / y.sum(), 0.5 / (~y).sum())
    w = np.zeros(a.shape[1])
    for _ in range(iterations):  # Newton-Raphson on 4 weights
        p = 1.0 / (1.0 + np.exp(-a @ w))
        grad = a.T @ (sw * (p - y)) + ridge * w
        hess = (a * (sw * p * (1 - p))[:, None]).T @ a + ridge * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    c = candidates(data)
    swings = c[c["n_reference"] == 0].copy()
    x = swings[list(FEATURES)].to_numpy(float)
    tune = swings["subject"].isin(TUNE).to_numpy()
    mu, sd = x[tune].mean(axis=0), x[tune].std(axis=0)
    z = (x - mu) / sd
    w = fit_logistic(z[tune], swings["true"].to_numpy()[tune])
    swings["p"] = 1.0 / (1.0 + np.exp(-(w[0] + z @ w[1:])))
    limit = swings.loc[tune & swings["true"].to_numpy(), "p"].min()
    print("features " + ", ".join(f"{f} mean {m:.4f} sd {s:.4f}" for f, m, s in zip(FEATURES, mu, sd)))
    print(f"in analysis.swing_check: mean {FEATURE_MEAN}, sd {FEATURE_SD}, weights {WEIGHTS}, "
          f"keep p >= {MIN_PROBABILITY}")
    print(f"weights (standardised): intercept {w[0]:.4f}, " + ", ".join(f"{f} {v:.4f}" for f, v in zip(FEATURES, w[1:]))
          + f"; keep p >= {limit:.3g} (lowest TUNE footstep)")
    refs = c.groupby("subject")["n_reference"].sum()
    out = []
    groups = [(str(s), [s]) for s in sorted(swings["subject"].unique())]
    groups += [("TUNE 1-5", list(TUNE)), ("REPORT 6-10", list(range(6, 11)))]
    for label, subs in groups:
        g = swings[swings["subject"].isin(subs)]
        keep = g["p"] >= limit
        n_ref = refs.loc[subs].sum()
        out.append({"group": label, "footsteps": n_ref, "swings": len(g), "false": int((~g["true"]).sum()),
                    "P_before": g["true"].mean(), "R_before": g["true"].sum() / n_ref,
                    "false_after": int((keep & ~g["true"]).sum()), "lost_after": int((~keep & g["true"]).sum()),
                    "P_after": (keep & g["true"]).sum() / max(keep.sum(), 1),
                    "R_after": (keep & g["true"]).sum() / n_ref})
    print(pd.DataFrame(out).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
