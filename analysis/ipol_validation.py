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
