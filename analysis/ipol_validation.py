"""Validation on ipol_feet (real Xsens foot data, manually checked events): per-trial scores of the strides.

The dataset: IPOL subjects' ``<subject>-<trial>.json`` (events and boundaries in packet numbers) and
``<subject>-<trial>_lf.txt`` / ``_rf.txt`` (Xsens exports, tab-separated, acc m/s², gyro rad/s).

Time base: sample numbers are the files' ``PacketCounter`` (the recordings lose packets; the
reference events are in packet numbers, which we checked: read as row numbers, 215 of 2029 reference
swings contain a still foot, read as packet numbers 19 do). ``time_s = PacketCounter / 100``.

Scoring, per foot and trial, inside ``TrialBoundaries``:
* a reference footstep [toe-off, heel-strike] is found when one detected swing has its mid-swing
  inside it (each detected swing matches at most one reference); precision = matched / detected
  swings with mid-swing inside the trial, recall = matched / reference footsteps;
* timing errors: detected minus reference, ms, for matched footsteps;
* distance: per foot, the zero-velocity-aided horizontal displacement summed over the swings of the
  trial (the first step from standing and the last one included, as they are part of the 20 m);
  the stride-table sum (initial contact to initial contact only) is printed too;
* what makes trials of one subject differ in distance: per foot-trial, the number of swings and the
  median length of the straight swings (outside ``UTurnBoundaries``, first and last step excluded);
  their correlations with the distance, each centred on the subject's and foot's mean
  (``distance_drivers``). A stride-length error would show in the second; a longer walk in the first.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import strides as st
from analysis.validation import match_footsteps, reference_footsteps, trial_swings

#: the protocol's walk: 10 m, U-turn, 10 m back (the marked distance, not a measured one)
TRIAL_DISTANCE_M = 20.0


def trial_names(data: Path) -> list[str]:
    """Trial names like '3-2', sorted by subject then trial."""
    names = [p.stem for p in data.glob("*.json")]
    return sorted(names, key=lambda s: tuple(int(x) for x in s.split("-")))


def load_foot(data: Path, name: str, foot: str) -> pd.DataFrame:
    """One foot file as a samples DataFrame (time_s from PacketCounter, acc m/s², gyro rad/s)."""
    raw = pd.read_csv(data / f"{name}_{foot}.txt", sep="\t", skiprows=1)
    return pd.DataFrame({
        "time_s": raw["PacketCounter"].to_numpy(float) / 100.0,
        "acc_x_mps2": raw["Acc_X"], "acc_y_mps2": raw["Acc_Y"], "acc_z_mps2": raw["Acc_Z"],
        "gyr_x_radps": raw["Gyr_X"], "gyr_y_radps": raw["Gyr_Y"], "gyr_z_radps": raw["Gyr_Z"]})




def evaluate_trial(data: Path, name: str) -> dict:
    """Scores of one trial, both feet (see module docstring)."""
    meta = json.loads((data / f"{name}.json").read_text())
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    out = {"subject": meta["Subject"], "trial": name, "matched": 0, "detected": 0, "reference": 0,
           "to_err_ms": [], "ic_err_ms": [], "distance_m": [], "stride_sum_m": [], "n_strides": 0,
           "n_still_forced": 0, "loss": [], "path_m": [], "gap_strides": 0, "n_swings": [],
           "straight_stride_m": []}
    u0, u1 = (x / 100.0 for x in meta["UTurnBoundaries"])
    for foot, key, side in (("lf", "LeftFootEvents", "left"), ("rf", "RightFootEvents", "right")):
        df = load_foot(data, name, foot)
        t = df["time_s"].to_numpy()
        acc = df[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]].to_numpy()
        gyr = df[["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]].to_numpy()
        res = st.foot_analysis(t, acc, gyr)
        out["n_still_forced"] += res["n_still_forced"]
        sw = res["swings"]
        inw = (t >= b0) & (t <= b1)
        out["loss"].append(1.0 - inw.sum() / (round(100 * (t[inw][-1] - t[inw][0])) + 1))
        out["path_m"].append(zupt_path(res, t, b0, b1))
        ref = reference_footsteps(meta, key, t[-1])
        ms = sw["mid_swing_s"].to_numpy()
        inside = (ms >= b0) & (ms <= b1)
        out["detected"] += int(inside.sum())
        out["reference"] += len(ref)
        used = np.zeros(len(sw), bool)
        for i, j in match_footsteps(ms, ref):
            used[j] = True
            out["matched"] += 1
            out["to_err_ms"].append(1000 * (sw["toe_off_s"].iat[j] - ref[i, 0]))
            out["ic_err_ms"].append(1000 * (sw["initial_contact_s"].iat[j] - ref[i, 1]))
        out["matched_detected"] = out.get("matched_detected", 0) + int((used & inside).sum())
        mine = trial_swings(sw, b0, b1)
        out["distance_m"].append(float(mine["displacement_m"].sum()))
        straight = mine[(mine["initial_contact_s"] < u0) | (mine["toe_off_s"] > u1)].iloc[1:-1]
        out["n_swings"].append(len(mine))
        out["straight_stride_m"].append(float(straight["displacement_m"].median()))
        strides = st.strides_from_analysis(t, acc, gyr, res, side)
        s_in = (strides["toe_off_s"] >= b0 - 0.1) & (strides["end_s"] <= b1 + 0.1)
        out["stride_sum_m"].append(float(strides.loc[s_in, "stride_length_m"].sum()))
        out["n_strides"] += int(s_in.sum())
        out["gap_strides"] += int(strides.loc[s_in, "quality"].str.contains("gap").sum())
    return out


def zupt_path(res: dict, t: np.ndarray, b0: float, b1: float, min_step_m: float = 0.05) -> float:
    """Horizontal foot path (m) over the zero-velocity segments of the trial, detected swings or not."""
    seg, pos = res["traj"]["segments"], res["traj"]["pos"]
    seg = seg[(t[seg[:, 1]] >= b0) & (t[seg[:, 0]] <= b1 + 0.5)]
    d = np.linalg.norm(pos[seg[:, 1], :2] - pos[seg[:, 0], :2], axis=1)
    return float(d[d > min_step_m].sum())


def by_subject(rows: list[dict]) -> dict:
    """Trial rows grouped by subject, plus an 'all' group."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["subject"], []).append(r)
    groups["all"] = rows
    return groups


def distance_table(rows: list[dict]) -> pd.DataFrame:
    """Per subject: trials, distance per foot (median/min/max, m), |L−R| (m), packet loss, share within ±5 %."""
    table = []
    for subj, rs in by_subject(rows).items():
        d = np.array([r["distance_m"] for r in rs])
        p = np.array([r["path_m"] for r in rs])
        lr = np.abs(d[:, 0] - d[:, 1])
        loss = np.array([r["loss"] for r in rs])
        row = {"subject": subj, "trials": len(rs)}
        for k, foot in ((0, "L"), (1, "R")):
            row.update({f"{foot}_med_m": np.median(d[:, k]), f"{foot}_min_m": d[:, k].min(),
                        f"{foot}_max_m": d[:, k].max()})
        row.update({"LR_med_m": np.median(lr), "LR_max_m": lr.max(), "path_med_m": np.median(p),
                    "loss_med_pct": 100 * np.median(loss), "loss_max_pct": 100 * loss.max(),
                    "gap_strides": sum(r["gap_strides"] for r in rs),
                    "within5_pct": 100 * np.mean(np.abs(d / TRIAL_DISTANCE_M - 1) <= 0.05)})
        table.append(row)
    return pd.DataFrame(table)


def distance_drivers(rows: list[dict]) -> dict[str, float]:
    """Within-subject correlation of the foot-trial distance with its swing count and its stride length.

    Each quantity is centred on the mean of its subject and foot, so differences between people
    (height, speed) drop out and only trial-to-trial differences remain.
    """
    frame = pd.DataFrame([{"group": (r["subject"], k), "distance": r["distance_m"][k], "swings": r["n_swings"][k],
                           "stride": r["straight_stride_m"][k]} for r in rows for k in (0, 1)])
    centred = frame[["distance", "swings", "stride"]] - frame.groupby("group")[["distance", "swings", "stride"]
                                                                                ].transform("mean")
    corr = centred.corr()
    return {"with_swing_count": float(corr.loc["distance", "swings"]),
            "with_stride_length": float(corr.loc["distance", "stride"])}


def evaluate_all(data: Path, subjects: range = range(1, 11)) -> list[dict]:
    """Scores of every trial of the given subjects."""
    return [evaluate_trial(data, n) for n in trial_names(data) if int(n.split("-")[0]) in subjects]


def summarise(rows: list[dict]) -> pd.DataFrame:
    """Per-subject table plus an 'all' row: precision, recall, timing error and distance error."""
    table = []
    for subj, rs in by_subject(rows).items():
        to = np.abs(np.concatenate([r["to_err_ms"] for r in rs]))
        ic = np.abs(np.concatenate([r["ic_err_ms"] for r in rs]))
        dist = np.concatenate([r["distance_m"] for r in rs])
        derr = 100 * (dist / TRIAL_DISTANCE_M - 1)
        det = sum(r["detected"] for r in rs)
        table.append({
            "subject": subj, "trials": len(rs), "footsteps": sum(r["reference"] for r in rs),
            "precision": sum(r["matched_detected"] for r in rs) / max(det, 1),
            "recall": sum(r["matched"] for r in rs) / max(sum(r["reference"] for r in rs), 1),
            "to_med_ms": np.median(to), "to_p95_ms": np.percentile(to, 95), "to_max_ms": to.max(),
            "ic_med_ms": np.median(ic), "ic_p95_ms": np.percentile(ic, 95), "ic_max_ms": ic.max(),
            "dist_med_m": np.median(dist), "dist_err_med_pct": np.median(np.abs(derr)),
            "dist_err_max_pct": np.max(np.abs(derr)),
            "stride_sum_med_m": np.median(np.concatenate([r["stride_sum_m"] for r in rs])),
        })
    return pd.DataFrame(table)


#: an events.csv row matches a reference footstep when its contact lies within this fraction of the
#: reference swing (toe-off to heel strike) of the reference heel strike: the row has no mid-swing, and
#: the first row of a run has no toe-off either, so the contact is what a consumer can match on
ROW_MATCH_SWING_FRACTION = 0.5


def trial_events(data: Path, name: str) -> pd.DataFrame:
    """events.csv of one trial as ``analyze`` writes it, without the ankle angles (which do not change
    it): strides of both feet, Mobilise-D bouts, gap flags, the stride checks, then the footsteps."""
    from analysis.bouts import tables_from_strides
    from analysis.footsteps import footsteps
    from analysis.pipeline import flag_strides
    from analysis.stride_checks import StrideChecks

    signals = {"left_foot": load_foot(data, name, "lf"), "right_foot": load_foot(data, name, "rf")}
    strides, _ = tables_from_strides(st.StrideDetector().detect(signals).strides_, signals)
    checked = StrideChecks().check(flag_strides(strides, None, {})).strides_
    return footsteps(checked, checked["mid_stance_s"])


def footstep_place(meta: dict, ref: np.ndarray, i: int) -> str:
    """Where reference footstep ``i`` of one foot is: ``first`` (from standing), ``last`` (into
    standing), ``turn`` (overlaps ``UTurnBoundaries``) or ``straight``."""
    u0, u1 = (x / 100.0 for x in meta["UTurnBoundaries"])
    if i == 0:
        return "first"
    if i == len(ref) - 1:
        return "last"
    return "turn" if ref[i, 1] >= u0 and ref[i, 0] <= u1 else "straight"


def score_event_rows(meta: dict, events: pd.DataFrame) -> pd.DataFrame:
    """Every events.csv row (flagged or not) against the reference footsteps of one trial, both feet.

    One row per reference footstep (``kind`` ``ref``: ``matched``, ``to_err_ms`` and ``ic_err_ms``
    detected − reference, NaN where unknown) and per unmatched events row with its contact inside
    ``TrialBoundaries`` (``kind`` ``false``), each with ``side``, ``place`` (``footstep_place`` of the
    reference footstep, for a false row the one with the nearest heel strike) and ``quality``.
    Matching: each reference footstep, in order, takes the unused row with the nearest contact within
    ROW_MATCH_SWING_FRACTION of its swing from its heel strike.
    """
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    out = []
    for key, side in (("LeftFootEvents", "left"), ("RightFootEvents", "right")):
        ev = events[events["side"] == side]
        ic, to, q = (ev[c].to_numpy() for c in ("initial_contact_s", "toe_off_s", "quality"))
        ref = reference_footsteps(meta, key, np.inf)
        used = np.zeros(len(ic), bool)
        for i, (r_to, r_hs) in enumerate(ref):  # per reference footstep (tens per trial)
            d = np.where(used, np.inf, np.abs(ic - r_hs))
            j = int(np.argmin(d)) if len(d) else -1
            hit = j >= 0 and d[j] <= ROW_MATCH_SWING_FRACTION * (r_hs - r_to)
            if hit:
                used[j] = True
            out.append({"kind": "ref", "side": side, "place": footstep_place(meta, ref, i), "matched": hit,
                        "to_err_ms": 1000 * (to[j] - r_to) if hit else np.nan,
                        "ic_err_ms": 1000 * (ic[j] - r_hs) if hit else np.nan, "quality": q[j] if hit else ""})
        for j in np.flatnonzero(~used & (ic >= b0) & (ic <= b1)):
            k = int(np.argmin(np.abs(ref[:, 1] - ic[j]))) if len(ref) else 0
            out.append({"kind": "false", "side": side, "place": footstep_place(meta, ref, k) if len(ref) else "",
                        "matched": False, "to_err_ms": np.nan, "ic_err_ms": np.nan, "quality": q[j]})
    return pd.DataFrame(out).assign(subject=meta["Subject"])
