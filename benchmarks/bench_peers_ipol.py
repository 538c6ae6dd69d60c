"""Our foot pipeline and gaitmap's, side by side on the same ipol_feet trials, tune and report subjects apart.

Run: .venv/bin/python benchmarks/bench_peers_ipol.py [DATASET_DIR]
Needs the peer venv (docs/peer_benchmark.md): python3.11 -m venv .venv-peers &&
.venv-peers/bin/pip install -r benchmarks/peer_requirements.txt

Ours: ``analysis.strides.foot_analysis`` on the project's loader (``analysis.ipol_validation.load_foot``),
the figures bench_gait_ipol prints. gaitmap: the same trials through ``peer_gaitmap_runner.py`` in
``.venv-peers`` (gaitmap pins older numpy/pandas than the project), data exchanged as files in a
temporary folder. Lost packets are filled by linear interpolation onto the uniform 100 Hz grid gaitmap
expects (ours integrates across the gaps itself).

Both are scored by one rule (analysis.ipol_validation's docstring): footstep precision P and recall R with
``match_footsteps`` against the hand-checked [toe-off, heel-strike] pairs; ``R_steady`` = recall on the
footsteps of steady straight walking only (no turn, no first or last step: the part gaitmap's stride
template is made for); |timing error| median/p95 (ms); distance walked per foot and trial against the
marked 20 m, first and last step included: ours = the swing displacements, gaitmap = its RTS-Kalman
positions from one zero-velocity interval to the next (steps > 5 cm); ``stride_sum`` = gaitmap's stride
lengths added up (min_vel to min_vel strides, what its stride table gives a user).

Subject split (issue 11): TUNE = subjects 1-5 (the part our constants may be tuned on), REPORT = 6-10
(held out from tuning from now on); printed per subject and per part, beside the goals.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis import ipol_validation as ipol  # noqa: E402
from analysis import strides as st  # noqa: E402
from analysis import validation  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"

PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
RUNNER = BENCH / "peer_gaitmap_runner.py"
FS_HZ = 100.0
TUNE, REPORT = range(1, 6), range(6, 11)
#: issue 11's goals for unseen walkers
GOALS = {"precision": 0.98, "recall": 0.98, "p95_ms": 40.0, "distance_err_m": 0.5, "subject_recall": 0.97}
FEET = (("lf", "LeftFootEvents", "left"), ("rf", "RightFootEvents", "right"))
ACC = ["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]
GYR = ["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]
#: the runner's segmenter names (its SEGMENTERS), as printed
SEGMENTERS = {"barth": "BarthDtw", "constrained": "ConstrainedBarthDtw"}
MIN_STEP_M = 0.05  # as analysis.ipol_validation.zupt_path: smaller moves between still intervals are not steps


def export_trials(data: Path, names: list[str], out: Path) -> None:
    """One npz per trial for the runner: each foot on a uniform 100 Hz grid (acc m/s², gyro rad/s)."""
    for name in names:
        arrays: dict[str, np.ndarray] = {"fs_hz": np.array(FS_HZ)}
        for foot, _, side in FEET:
            df = ipol.load_foot(data, name, foot)
            t = df["time_s"].to_numpy()
            grid = t[0] + np.arange(round((t[-1] - t[0]) * FS_HZ) + 1) / FS_HZ
            for kind, cols in (("acc", ACC), ("gyr", GYR)):
                arrays[f"{side}_{kind}"] = np.column_stack([np.interp(grid, t, df[c]) for c in cols])
            arrays[f"{side}_t0_s"] = np.array(t[0])
        np.savez(out / f"{name}.npz", **arrays)


def run_gaitmap(data: Path, names: list[str]) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """gaitmap's swings and zero-velocity positions per trial (see peer_gaitmap_runner.py)."""
    if not PEER_PYTHON.exists():
        sys.exit(f"gaitmap venv {PEER_PYTHON.parent.parent} not found: create it as the docstring says")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export_trials(data, names, tmp)
        subprocess.run([str(PEER_PYTHON), str(RUNNER), str(tmp), str(tmp)], check=True)
        return {n: (pd.read_csv(tmp / f"{n}_swings.csv"), pd.read_csv(tmp / f"{n}_zupts.csv")) for n in names}


def zupt_distance(zupts: pd.DataFrame, b0: float, b1: float) -> float:
    """Horizontal distance (m) between consecutive still intervals of the trial, steps > MIN_STEP_M only."""
    z = zupts[(zupts["time_s"] >= b0) & (zupts["time_s"] <= b1 + 0.5)]
    d = np.hypot(np.diff(z["x_m"].to_numpy()), np.diff(z["y_m"].to_numpy()))
    return float(d[d > MIN_STEP_M].sum())


def steady(ref: np.ndarray, meta: dict) -> np.ndarray:
    """Mask of the reference footsteps of steady straight walking: outside ``UTurnBoundaries``, and not a
    foot's first or last footstep (gaitmap's template matches whole regular strides only)."""
    u0, u1 = (x / 100.0 for x in meta["UTurnBoundaries"])
    keep = (ref[:, 1] < u0) | (ref[:, 0] > u1)
    keep[[0, -1] if len(keep) else []] = False
    return keep


def new_row(meta: dict, name: str) -> dict:
    """An empty score row of one trial (``evaluate_trial``'s keys, plus the steady-walking counts)."""
    return {"subject": meta["Subject"], "trial": name, "matched": 0, "matched_detected": 0, "detected": 0,
            "reference": 0, "steady_reference": 0, "steady_matched": 0, "to_err_ms": [], "ic_err_ms": [],
            "matched_ref": [], "distance_m": [], "stride_sum_m": []}


def score_foot(row: dict, meta: dict, key: str, swings: pd.DataFrame, last_s: float) -> None:
    """Adds one foot's footstep counts and timing errors (ms) to ``row``; swings need ``toe_off_s``,
    ``initial_contact_s`` and ``mid_swing_s``; ``last_s`` is the foot's last sample. ``matched_ref``
    names each matched reference footstep (foot, row), in the order of the errors."""
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    ref = validation.reference_footsteps(meta, key, last_s)
    ms = swings["mid_swing_s"].to_numpy()
    inside = (ms >= b0) & (ms <= b1)
    pairs = validation.match_footsteps(ms, ref)
    keep = steady(ref, meta)
    row["detected"] += int(inside.sum())
    row["reference"] += len(ref)
    row["matched"] += len(pairs)
    row["matched_detected"] += int(sum(inside[j] for _, j in pairs))
    row["steady_reference"] += int(keep.sum())
    row["steady_matched"] += int(sum(keep[i] for i, _ in pairs))
    row["to_err_ms"] += [1000 * (swings["toe_off_s"].iat[j] - ref[i, 0]) for i, j in pairs]
    row["ic_err_ms"] += [1000 * (swings["initial_contact_s"].iat[j] - ref[i, 1]) for i, j in pairs]
    row["matched_ref"] += [(key, i) for i, _ in pairs]


def ours_trial(data: Path, name: str) -> dict:
    """Our pipeline's scores of one trial: the swings of ``analysis.strides.foot_analysis``, distance =
    their displacements inside the trial (as analysis.ipol_validation.evaluate_trial)."""
    meta = json.loads((data / f"{name}.json").read_text())
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    row = new_row(meta, name)
    for foot, key, _ in FEET:
        df = ipol.load_foot(data, name, foot)
        t = df["time_s"].to_numpy()
        sw = st.foot_analysis(t, df[ACC].to_numpy(), df[GYR].to_numpy())["swings"]
        score_foot(row, meta, key, sw, t[-1])
        row["distance_m"].append(float(validation.trial_swings(sw, b0, b1)["displacement_m"].sum()))
        row["stride_sum_m"].append(np.nan)
    return row


def gaitmap_trial(data: Path, name: str, swings: pd.DataFrame, zupts: pd.DataFrame) -> dict:
    """gaitmap's scores of one trial and one segmenter's swings (mid-swing = midpoint of toe-off and
    contact); distance = zupt_distance of its RTS-Kalman positions; stride sum = its stride lengths."""
    meta = json.loads((data / f"{name}.json").read_text())
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    row = new_row(meta, name)
    for foot, key, side in FEET:
        sw = swings[swings["side"] == side].reset_index(drop=True)
        sw = sw.assign(mid_swing_s=0.5 * (sw["toe_off_s"] + sw["initial_contact_s"]))
        score_foot(row, meta, key, sw, ipol.load_foot(data, name, foot)["time_s"].iat[-1])
        row["distance_m"].append(zupt_distance(zupts[zupts["side"] == side], b0, b1))
        row["stride_sum_m"].append(float(validation.trial_swings(sw, b0, b1)["stride_length_m"].sum()))
    return row


def groups(rows: list[dict]) -> dict[str, list[dict]]:
    """Rows per subject, then the TUNE and REPORT parts and all subjects."""
    out = {str(s): rs for s, rs in ipol.by_subject(rows).items() if s != "all"}
    out["TUNE 1-5"] = [r for r in rows if r["subject"] in TUNE]
    out["REPORT 6-10"] = [r for r in rows if r["subject"] in REPORT]
    out["all"] = rows
    return {k: v for k, v in out.items() if v}


def table(rows: list[dict]) -> pd.DataFrame:
    """Per group: footsteps, precision, recall, |timing error| median/p95 (ms), distance per foot-trial (m)."""
    out = []
    for group, rs in groups(rows).items():
        to = np.abs(np.concatenate([r["to_err_ms"] for r in rs]))
        ic = np.abs(np.concatenate([r["ic_err_ms"] for r in rs]))
        dist = np.concatenate([r["distance_m"] for r in rs])
        err = np.abs(dist - ipol.TRIAL_DISTANCE_M)
        out.append({
            "group": group, "trials": len(rs), "footsteps": sum(r["reference"] for r in rs),
            "P": sum(r["matched_detected"] for r in rs) / max(sum(r["detected"] for r in rs), 1),
            "R": sum(r["matched"] for r in rs) / max(sum(r["reference"] for r in rs), 1),
            "R_steady": sum(r["steady_matched"] for r in rs) / max(sum(r["steady_reference"] for r in rs), 1),
            "TO_med_ms": np.median(to), "TO_p95_ms": np.percentile(to, 95),
            "IC_med_ms": np.median(ic), "IC_p95_ms": np.percentile(ic, 95),
            "dist_med_m": np.median(dist), "dist_err_med_m": np.median(err), "dist_err_p95_m": np.percentile(err, 95),
            "within_0.5m": np.mean(err <= GOALS["distance_err_m"]),
            "stride_sum_med_m": np.median(np.concatenate([r["stride_sum_m"] for r in rs])),
        })
    return pd.DataFrame(out)


def signed_timing(rows: list[dict], part: range) -> str:
    """Signed toe-off and contact error (ms), median [p5, p95], of one subject part."""
    parts = []
    for key, label in (("to_err_ms", "toe-off"), ("ic_err_ms", "contact")):
        e = np.concatenate([r[key] for r in rows if r["subject"] in part])
        parts.append(f"{label} {np.median(e):+.1f} [{np.percentile(e, 5):+.1f}, {np.percentile(e, 95):+.1f}]")
    return "; ".join(parts)


def distance_distribution(rows: list[dict], part: range) -> str:
    """Distance per foot-trial (m) of one subject part: min, quartiles, max."""
    d = np.concatenate([r["distance_m"] for r in rows if r["subject"] in part])
    q = np.percentile(d, [0, 25, 50, 75, 100])
    return "min {:.2f}, q1 {:.2f}, median {:.2f}, q3 {:.2f}, max {:.2f}".format(*q)


def paired_distance(ours: list[dict], theirs: list[dict]) -> str:
    """ours − gaitmap distance (m) per foot and trial, median [p5, p95], per subject part and overall."""
    parts = []
    for label, part in (("TUNE", TUNE), ("REPORT", REPORT), ("all", range(1, 1000))):
        d = np.concatenate([np.subtract(a["distance_m"], b["distance_m"])
                            for a, b in zip(ours, theirs) if a["subject"] in part])
        parts.append(f"{label} {np.median(d):+.2f} [{np.percentile(d, 5):+.2f}, {np.percentile(d, 95):+.2f}]")
    return "; ".join(parts)


def common_timing(ours: list[dict], theirs: list[dict]) -> str:
    """|timing error| (ms) median/p95 of both pipelines over the footsteps both matched."""
    errs: dict[str, list[float]] = {k: [] for k in ("ours_to", "ours_ic", "gm_to", "gm_ic")}
    for a, b in zip(ours, theirs):
        mine = {ref: (to, ic) for ref, to, ic in zip(a["matched_ref"], a["to_err_ms"], a["ic_err_ms"])}
        for ref, to, ic in zip(b["matched_ref"], b["to_err_ms"], b["ic_err_ms"]):
            if ref in mine:
                errs["ours_to"].append(mine[ref][0])
                errs["ours_ic"].append(mine[ref][1])
                errs["gm_to"].append(to)
                errs["gm_ic"].append(ic)
    e = {k: f"{np.median(np.abs(v)):.0f}/{np.percentile(np.abs(v), 95):.0f}" for k, v in errs.items()}
    return (f"{len(errs['gm_to'])} footsteps; toe-off ours {e['ours_to']}, gaitmap {e['gm_to']}; "
            f"contact ours {e['ours_ic']}, gaitmap {e['gm_ic']}")


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    names = ipol.trial_names(data)
    t0 = time.perf_counter()
    ours = [ours_trial(data, n) for n in names]
    t1 = time.perf_counter()
    peer = run_gaitmap(data, names)
    theirs = {seg: [gaitmap_trial(data, n, sw[sw["segmenter"] == seg], z) for n, (sw, z) in peer.items()]
              for seg in SEGMENTERS}
    t2 = time.perf_counter()
    pd.set_option("display.width", 220)
    pd.set_option("display.max_columns", 30)
    print(f"goals (issue 11): P, R >= {GOALS['precision']}; |error| p95 <= {GOALS['p95_ms']:.0f} ms; distance "
          f"within {GOALS['distance_err_m']} m of 20 m; recall >= {GOALS['subject_recall']} for each subject")
    runs = [("ours", ours, f"{t1 - t0:.1f} s")] + [
        (f"gaitmap 2.6, {label}", theirs[seg], f"{t2 - t1:.1f} s for both segmenters")
        for seg, label in SEGMENTERS.items()]
    for label, rows, seconds in runs:
        tab = table(rows)
        if label == "ours":
            tab = tab.drop(columns="stride_sum_med_m")
        print(f"\n== {label}: {len(rows)} trials, {seconds} ==")
        print(tab.round(3).to_string(index=False))
        subjects = tab[tab["group"].str.isdigit()]
        short = subjects.loc[subjects["R"] < GOALS["subject_recall"], "group"].tolist()
        print(f"subjects with recall < {GOALS['subject_recall']}: {', '.join(short) or 'none'}")
        for part_label, part in (("TUNE", TUNE), ("REPORT", REPORT)):
            print(f"{part_label}: signed timing ms {signed_timing(rows, part)}")
            print(f"{part_label}: distance per foot-trial m {distance_distribution(rows, part)}")
    print("\nsame foot-trial, ours − gaitmap distance (m): " + paired_distance(ours, theirs["barth"]))
    for seg, label in SEGMENTERS.items():
        print(f"footsteps both matched ({label}), |error| median/p95 ms: {common_timing(ours, theirs[seg])}")


if __name__ == "__main__":
    main()
