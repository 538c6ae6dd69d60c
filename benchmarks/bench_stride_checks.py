"""Stride plausibility checks (analysis.stride_checks) on ipol_feet: tuned on subjects 1-5, reported on 6-10.

Run: .venv/bin/python benchmarks/bench_stride_checks.py [DATASET_DIR]

Each detected stride (analysis.strides.compute_strides, both feet) inside ``TrialBoundaries`` is
*right* when its two contacts are two consecutive reference heel strikes of that foot within
``TOL_S`` each, otherwise *wrong*. Per subject: strides, wrong strides, how many of each the checks
flag, and wrong strides left ``ok``. The step model (analysis.stride_checks.StepModel) is fitted on
the right strides of subjects 1-5 and printed, so its constants can be compared with the defaults.

Wrong strides are rare on ipol_feet (P 0.98), so a second line re-cuts, per trial, one foot's
strides after the U-turn at 0.75 of their stride time and length (gait_sim.u_turn.lock_onto_rhythm:
issue 11's failure, a foot locked onto a faster wrong rhythm) and counts how many the checks flag.
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

from analysis.ipol_validation import load_foot, trial_names  # noqa: E402
from analysis.stride_checks import (CHECK_FLAGS, StepModel, StrideChecks, local_relative,  # noqa: E402
                                    other_foot_stride_time)
from analysis.strides import compute_strides  # noqa: E402
from analysis.walking_bouts import WalkingBouts  # noqa: E402
from gait_sim.u_turn import lock_onto_rhythm  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
TUNE = range(1, 6)
REPORT = range(6, 11)
TOL_S = 0.15  # segmentation, not timing: subject 8 has contacts 60-70 ms early on one foot


def trial_strides(data: Path, name: str) -> pd.DataFrame:
    """Detected strides of one trial inside its boundaries, with ``subject``, ``trial``, ``right``
    (matches two consecutive reference heel strikes) and ``in_u_turn`` (overlaps UTurnBoundaries)."""
    meta = json.loads((data / f"{name}.json").read_text())
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    u0, u1 = (x / 100.0 for x in meta["UTurnBoundaries"])
    s = compute_strides({"left_foot": load_foot(data, name, "lf"), "right_foot": load_foot(data, name, "rf")})
    s = s[(s["start_s"] >= b0 - 0.5) & (s["end_s"] <= b1 + 0.5)].copy()
    right = np.zeros(len(s), bool)
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        hs = np.sort(np.asarray(meta[key], float)[:, 1] / 100.0)
        sel = np.flatnonzero(s["side"].to_numpy() == side)
        if len(hs) < 2 or len(sel) == 0:
            continue
        i = np.clip(np.searchsorted(hs, s["start_s"].to_numpy()[sel]), 1, len(hs) - 1)
        i = np.where(np.abs(hs[i - 1] - s["start_s"].to_numpy()[sel]) < np.abs(hs[i] - s["start_s"].to_numpy()[sel]),
                     i - 1, i)
        ok_start = np.abs(hs[i] - s["start_s"].to_numpy()[sel]) <= TOL_S
        nxt = np.minimum(i + 1, len(hs) - 1)
        ok_end = (nxt > i) & (np.abs(hs[nxt] - s["end_s"].to_numpy()[sel]) <= TOL_S)
        right[sel] = ok_start & ok_end
    s["subject"] = meta["Subject"]
    s["trial"] = name
    s["right"] = right
    s["in_u_turn"] = (s["end_s"] > u0) & (s["start_s"] < u1)
    return s.reset_index(drop=True)


def all_strides(data: Path = DATA, subjects: range = range(1, 11)) -> pd.DataFrame:
    """Detected strides of every trial of ``subjects`` with Mobilise-D bouts (``bout_id`` per trial)."""
    parts = []
    for n in trial_names(data):
        if int(n.split("-")[0]) in subjects:
            parts.append(WalkingBouts().assemble(trial_strides(data, n)).strides_)
    return pd.concat(parts, ignore_index=True)


def fit_model(strides: pd.DataFrame, max_components: int = 5) -> tuple[StepModel, dict[int, float]]:
    """StepModel fitted on the right ``ok`` strides given (medians of neighbouring strides), with the number
    of components of least BIC; also the BIC per number of components."""
    z = np.vstack([local_relative(g) for _, g in strides.groupby("trial", sort=False)])
    keep = np.concatenate([(g["right"] & (g["quality"] == "ok")).to_numpy()
                           for _, g in strides.groupby("trial", sort=False)])
    models = {k: StepModel.fit(z[keep], components=k) for k in range(1, max_components + 1)}
    bic = {k: m.bic(z[keep]) for k, m in models.items()}
    return models[min(bic, key=bic.get)], bic


def checked(strides: pd.DataFrame, checks: StrideChecks) -> pd.DataFrame:
    """Strides with ``quality_before`` and the checked ``quality``, trial by trial."""
    parts = []
    for _, g in strides.groupby("trial", sort=False):
        g = g.reset_index(drop=True)
        parts.append(checks.check(g).strides_.assign(quality_before=g["quality"].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def wrong_rhythm(strides: pd.DataFrame, factor: float = 0.75) -> pd.DataFrame:
    """Each trial with one foot's strides after the U-turn re-cut at ``factor`` of their rhythm
    (gait_sim.u_turn.lock_onto_rhythm, issue 11's failure); the re-cut strides have ``locked`` True."""
    parts = []
    for _, g in strides.groupby("trial", sort=False):
        foot = "left" if int(g["trial"].iat[0].split("-")[1]) % 2 else "right"
        after = g.loc[g["in_u_turn"], "end_s"].max()
        if ((g["side"] == foot) & (g["start_s"] >= after)).sum() < 3:
            parts.append(g.assign(locked=False))
            continue
        out = lock_onto_rhythm(g, foot, after, factor)
        out.loc[out["locked"], "right"] = False
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


def table(c: pd.DataFrame) -> pd.DataFrame:
    """Per subject: strides, wrong, ok before/after the checks (right and wrong), flags per check."""
    rows = []
    for subj, g in list(c.groupby("subject")) + [("all", c)]:
        was_ok, now_ok = g["quality_before"] == "ok", g["quality"] == "ok"
        right = g["right"]
        row = {"subject": subj, "strides": len(g), "wrong": int((~right).sum()),
               "right_ok_before": int((right & was_ok).sum()), "right_ok_after": int((right & now_ok).sum()),
               "wrong_ok_before": int((~right & was_ok).sum()), "wrong_ok_after": int((~right & now_ok).sum())}
        for f in CHECK_FLAGS:
            row[f] = int((was_ok & g["quality"].str.contains(f)).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    strides = all_strides(data)
    tune = strides["subject"].isin(TUNE)
    model, bic = fit_model(strides[tune])
    print("BIC per number of components:", {k: round(v, 1) for k, v in bic.items()})
    print("StepModel fitted on subjects 1-5:", model)
    rhythm = np.concatenate([np.abs(np.log(g["stride_time_s"].to_numpy() / other_foot_stride_time(g)))
                             [(g["right"] & (g["quality"] == "ok")).to_numpy()]
                             for _, g in strides[tune].groupby("trial", sort=False)])
    print(f"rhythm |ln(T/T_other)| of right ok strides, subjects 1-5: p99 {np.nanpercentile(rhythm, 99):.3f}, "
          f"p99.5 {np.nanpercentile(rhythm, 99.5):.3f}")
    checks = StrideChecks(model=model)
    pd.set_option("display.width", 200)
    for name, part in (("tuning subjects 1-5", strides[tune]), ("held-out subjects 6-10", strides[~tune])):
        c = checked(part, checks)
        print(f"\n{name}: strides ok before -> after the checks (right = both contacts on reference heel strikes; "
              "flag columns count strides ok before that the flag removed)")
        print(table(c).to_string(index=False))
        w = c[~c["right"] & (c["quality"] == "ok")]
        print("wrong strides still ok:", ", ".join(f"{r.trial} {r.side} {r.start_s:.2f}-{r.end_s:.2f} s "
                                                  f"({r.stride_time_s:.2f} s, {r.stride_length_m:.2f} m)"
                                                  for r in w.itertuples()) or "none")
        inj = checked(wrong_rhythm(part), checks)
        inj = inj[inj["locked"]]
        print(f"re-cut wrong rhythm after the U-turn (0.75 T): {len(inj)} strides, "
              f"{int((inj['quality'] == 'ok').sum())} left ok; by flag "
              + ", ".join(f"{f} {int(inj['quality'].str.contains(f).sum())}" for f in CHECK_FLAGS))


if __name__ == "__main__":
    main()
