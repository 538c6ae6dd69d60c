"""Why stride length reads long on ipol_feet: rest bias, distance per subject, the straight legs, the velocity drift.

Run: .venv/bin/python benchmarks/bench_stride_bias.py [DATASET_DIR] [--sweeps]

Issue 11: trials read a median 20.7 m for a 20 m course. Per foot and trial (ipol_feet, both feet walk
the same course, so their distances should agree):

* ``g_rest``: the accelerometer norm (m/s²) over the first still run (the subject stands before walking);
* distance (m, the swing displacements summed, as bench_gait_ipol) with the pipeline as it is
  (``bias removed``: analysis.zupt.rest_acc_bias), with that step left out (``raw``: the pipeline before
  it), and with the accelerometer scaled by g/``g_rest`` instead (``scaled``: the other reading of a norm
  error), printed as median distance and left-minus-right (signed median and mean, |L−R| median, p95).
  The left sensor reads 10.1-10.4 m/s² at rest in every subject, the right one 9.86-9.93: the left foot's
  extra distance on the same walk is what tells bias (removes it) from scale (over-corrects it).
* per subject, with the pipeline as it is: distance median, |d − 20 m| median and p95; the straight legs
  (swings wholly before / after ``UTurnBoundaries``): their path (swing displacements summed) and the net
  displacement from the first to the last mid-stance of the leg; the turn's share (distance − legs); and
  ``apex``, the farthest mid-stance from the trial's first (m): the course's far end, 10 m if the feet
  turn at the 10 m mark, whatever path the turn takes.
* the velocity drift that the de-drifting removes (m/s, world frame, the raw integral over each moving
  segment of 0.3-2 s): its forward component (along the segment's displacement), the stride length that
  the linear de-drifting adds for it (−forward·T/2), and ``k_drift``, the accelerometer scale that
  minimises the squared drift (closed form: after rest_acc_bias the world acceleration is linear in the
  scale; the orientation of the scale-1 pass is kept). On the simulator (benchmarks/bench_stride_sim_errors.py)
  ``k_drift`` recovers an injected scale error: ideal sensors give 0.989-0.994 (the estimator's own
  offset), a 3 % scale error gives that value / 1.03.

* ``--sweeps`` (TUNE only, about 20 s more): the same trials with the input changed, each change a
  candidate cause, printed as distance and drift medians: the accelerometer resampled earlier / later
  against the gyroscope (ms), the gyroscope scaled, and the accelerometer turned by ±half a sample's
  rotation (``acc + h·dt·(ω × acc)``: a reading expressed in the frame at the end of its interval instead
  of its middle). The drift least at the nominal input says the data carry no such error.

Subjects 1-5 (TUNE) and 6-10 (REPORT) apart.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis import strides as st  # noqa: E402
from analysis import zupt  # noqa: E402
from analysis.columns import ACC, GYR  # noqa: E402
from analysis.conventions import GRAVITY_MPS2  # noqa: E402
from analysis.ipol_validation import load_foot, trial_names  # noqa: E402
from analysis.orientation.quaternion import rotate  # noqa: E402
from analysis.orientation.segments import nominal_rate_hz  # noqa: E402
from analysis.validation import trial_swings  # noqa: E402
from analysis.vectors import row_norms  # noqa: E402
from analysis.windows import runs  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
SPLITS = (("TUNE 1-5", range(1, 6)), ("REPORT 6-10", range(6, 11)))
VARIANTS = ("raw", "bias removed", "scaled")
COURSE_M = 20.0
SEGMENT_S = (0.3, 2.0)  # moving segments of one stride (shorter: shuffles; longer: several strides)


def distance(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, b0: float, b1: float) -> float:
    """Swing displacements (m) summed over the trial [b0, b1] (s)."""
    return float(trial_swings(st.foot_analysis(t, acc, gyr)["swings"], b0, b1)["displacement_m"].sum())


def legs(res: dict, b0: float, b1: float, u0: float, u1: float) -> dict:
    """Straight legs (outside the U-turn [u0, u1], s), turn share and apex (m) of one foot-trial."""
    sw = trial_swings(res["swings"], b0, b1)
    pos = res["traj"]["pos"][:, :2]
    first = int(sw["ms_before_idx"].iloc[0])
    stances = np.concatenate([[first], sw["ms_after_idx"].to_numpy()])
    out_leg, back_leg = sw[sw["initial_contact_s"] <= u0], sw[sw["toe_off_s"] >= u1]
    row = {"distance": float(sw["displacement_m"].sum()),
           "apex": float(np.linalg.norm(pos[stances] - pos[first], axis=1).max())}
    for key, leg in (("out", out_leg), ("back", back_leg)):
        row[f"{key}_path"] = float(leg["displacement_m"].sum())
        ends = (leg["ms_before_idx"].iloc[0], leg["ms_after_idx"].iloc[-1]) if len(leg) else None
        row[f"{key}_net"] = float(np.linalg.norm(pos[ends[1]] - pos[ends[0]])) if ends else np.nan
    row["turn"] = row["distance"] - row["out_path"] - row["back_path"]
    return row


def drift(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, still: np.ndarray) -> dict:
    """Velocity drift of the raw integration over each one-stride moving segment, as zupt.foot_trajectory builds it.

    Returns ``v_end`` (k, 3; m/s, world frame), ``duration`` (k; s) and ``seg`` (k, 2; sample indices) of
    the segments, and ``k_drift`` (module docstring). Gaps are not special-cased: ipol_feet trials lose few
    samples and the simulated ones are short.
    """
    dt = np.concatenate([[0.0], np.diff(t)])
    restart = np.zeros(len(t), bool)
    restart[0] = True
    gyr_c = np.ascontiguousarray(gyr - np.median(gyr[still], axis=0))
    rate = row_norms(gyr_c)
    tilt = zupt.tilt_samples(still, rate)
    rest = acc[tilt]
    up = rest / row_norms(rest)[:, None]
    # rest_acc_bias of k·acc is k·b1 − g·b0 (a least-squares solution is linear in its right-hand side)
    b1 = np.linalg.lstsq(up, row_norms(rest), rcond=zupt.REST_BIAS_RCOND)[0]
    b0 = np.linalg.lstsq(up, np.ones(len(up)), rcond=zupt.REST_BIAS_RCOND)[0]
    acc_c = np.ascontiguousarray(acc - zupt.rest_acc_bias(acc, tilt))
    q = zupt._orientation(acc_c, gyr_c, dt, tilt, restart, 0.05)  # foot_trajectory's default tilt gain
    per_k = rotate(q, acc - b1)  # world acceleration = k · per_k + fixed
    fixed = GRAVITY_MPS2 * rotate(q, np.tile(b0, (len(t), 1)))
    fixed[:, 2] -= GRAVITY_MPS2
    seg = zupt.anchors(still, rate, max(1, round(zupt.ANCHOR_WINDOW_S * nominal_rate_hz(t))))
    dur = t[seg[:, 1]] - t[seg[:, 0]]
    seg, dur = seg[(dur > SEGMENT_S[0]) & (dur < SEGMENT_S[1])], dur[(dur > SEGMENT_S[0]) & (dur < SEGMENT_S[1])]

    def end_velocity(a: np.ndarray) -> np.ndarray:
        v = np.concatenate([np.zeros((1, 3)), np.cumsum(0.5 * (a[1:] + a[:-1]) * dt[1:, None], axis=0)])
        return v[seg[:, 1]] - v[seg[:, 0]]

    v_k, v_fixed = end_velocity(per_k), end_velocity(fixed)
    k_drift = float(-np.sum(v_k * v_fixed) / np.sum(v_k * v_k))  # argmin over k of sum |k v_k + v_fixed|²
    return {"v_end": v_k + v_fixed, "duration": dur, "seg": seg, "k_drift": k_drift}


def foot_row(data: Path, name: str, foot: str, meta: dict) -> dict:
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    u0, u1 = (x / 100.0 for x in meta["UTurnBoundaries"])
    df = load_foot(data, name, foot)
    t, acc, gyr = df["time_s"].to_numpy(), df[list(ACC)].to_numpy(), df[list(GYR)].to_numpy()
    r = runs(zupt.zero_velocity(acc, gyr, 100.0))
    g_rest = float(np.median(np.linalg.norm(acc[r[0, 0]:r[0, 1]], axis=1)))
    row = {"trial": name, "subject": int(name.split("-")[0]), "foot": foot, "g_rest": g_rest}
    with mock.patch.object(zupt, "rest_acc_bias", lambda a, still, **_: np.zeros(3)):
        row["raw"] = distance(t, acc, gyr, b0, b1)
    res = st.foot_analysis(t, acc, gyr)
    row.update(legs(res, b0, b1, u0, u1))
    row["bias removed"] = row["distance"]
    row["scaled"] = distance(t, acc * (GRAVITY_MPS2 / g_rest), gyr, b0, b1)
    d = drift(t, acc, gyr, res["still"])
    pos = res["traj"]["pos"][:, :2]
    move = pos[d["seg"][:, 1]] - pos[d["seg"][:, 0]]
    length = np.linalg.norm(move, axis=1)
    stride = length > 0.5  # forward is defined for a real stride only
    fwd = np.sum(d["v_end"][stride, :2] * move[stride] / length[stride, None], axis=1)
    row["fwd_drift"] = float(np.median(fwd))
    row["dedrift_add"] = float(np.median(-fwd * d["duration"][stride] / 2))
    row["k_drift"] = d["k_drift"]
    return row


def _delayed(t: np.ndarray, acc: np.ndarray, delay_s: float) -> np.ndarray:
    return np.column_stack([np.interp(t - delay_s, t, acc[:, c]) for c in range(3)])


SWEEPS: dict[str, tuple[tuple, Callable]] = {  # name: (values, (t, acc, gyr, value) -> (acc, gyr))
    "acc delay ms": ((-10, -5, 0, 5, 10), lambda t, a, g, v: (_delayed(t, a, v / 1000.0), g)),
    "gyro scale": ((0.98, 0.99, 1.0, 1.01, 1.02, 1.03), lambda t, a, g, v: (a, g * v)),
    "acc frame h": ((-1.0, -0.5, 0.0, 0.5, 1.0),
                    lambda t, a, g, v: (a + v * np.median(np.diff(t)) * np.cross(g, a), g)),
}


def sweeps(data: Path) -> None:
    """Distance and drift medians (m, m/s) over TUNE's foot-trials for each input change of SWEEPS."""
    trials = [n for n in trial_names(data) if int(n.split("-")[0]) in SPLITS[0][1]]
    for label, (values, change) in SWEEPS.items():
        rows = []
        for name in trials:
            b0, b1 = (x / 100.0 for x in json.loads((data / f"{name}.json").read_text())["TrialBoundaries"])
            for foot in ("lf", "rf"):
                df = load_foot(data, name, foot)
                t, acc0, gyr0 = df["time_s"].to_numpy(), df[list(ACC)].to_numpy(), df[list(GYR)].to_numpy()
                for v in values:
                    acc, gyr = change(t, acc0, gyr0, v)
                    res = st.foot_analysis(t, acc, gyr)
                    d = drift(t, acc, gyr, res["still"])
                    rows.append({"value": v, "drift": float(np.median(np.linalg.norm(d["v_end"], axis=1))),
                                 "distance": trial_swings(res["swings"], b0, b1)["displacement_m"].sum()})
        med = pd.DataFrame(rows).groupby("value").median()
        cells = [f"{v:g}: {r.distance:.2f} m, {r.drift:.3f} m/s" for v, r in med.iterrows()]
        print(f"  {label:>12}: " + "; ".join(cells))


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--sweeps"]
    data = Path(args[0]) if args else DATA
    rows = []
    for name in trial_names(data):
        meta = json.loads((data / f"{name}.json").read_text())
        rows += [foot_row(data, name, foot, meta) for foot in ("lf", "rf")]
    df = pd.DataFrame(rows)
    df["err"] = (df["distance"] - COURSE_M).abs()
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
    cols = ["distance", "out_path", "out_net", "back_path", "back_net", "turn", "apex", "fwd_drift", "dedrift_add",
            "k_drift"]
    print("\nper subject (medians over foot-trials; |d-20| median and p95; m, m/s):")
    table = df.groupby("subject")[cols].median()
    table.insert(1, "|d-20| med", df.groupby("subject")["err"].median())
    table.insert(2, "|d-20| p95", df.groupby("subject")["err"].quantile(0.95))
    for label, subjects in SPLITS:
        part = df[df["subject"].isin(subjects)]
        table.loc[label] = [part["distance"].median(), part["err"].median(), part["err"].quantile(0.95),
                            *part[cols[1:]].median()]
    print(table.round(3).to_string())
    print("\nk_drift per foot (median over foot-trials):",
          {f: round(float(v), 4) for f, v in df.groupby("foot")["k_drift"].median().items()})
    if "--sweeps" in sys.argv:
        print("\nTUNE sweeps (value: distance median, drift median):")
        sweeps(data)


if __name__ == "__main__":
    main()
