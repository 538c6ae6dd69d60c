"""Accuracy of calibration and ankle angles: real foot recordings (ipol_feet) and the simulator.

Run: .venv/bin/python benchmarks/bench_angles.py [--ipol-only | --sim-only] [--method vqf] [--seeds 6]

ipol_feet: the automatic medio-lateral axis (y, pointing left) must show a toes-up rotation (negative
integral of the angular velocity about y) over every annotated swing [toe-off, heel-strike]. Printed per
swing (all, straight walking, U-turn) and per sensor (sign of the majority of its swings).

Left/right labels: every kind of left/right mix-up on simulated walking (random mounting), counted as
analysed where worn and warned.

Simulator: random mounting, noise, bias, gaps; walking bouts. Prints RMS error of dorsiflexion and
eversion against the truth per side and seed, and the error of peak dorsiflexion per stride, as median,
95th percentile and maximum.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from analysis import columns as col  # noqa: E402
from analysis.calibration import calibrate  # noqa: E402
from analysis.orientation import DEFAULT_FILTER  # noqa: E402

IPOL = ROOT.parent / "shared" / "datasets" / "ipol_feet"


def load_ipol(path: Path) -> pd.DataFrame:
    """One ipol_feet sensor file as a samples DataFrame (100 Hz, sample i at i / 100 s)."""
    raw = pd.read_csv(path, sep="\t", skiprows=1)
    data = {col.TIME: np.arange(len(raw)) / 100.0}
    for name, src in zip(col.ACC + col.GYR, ("Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z")):
        data[name] = raw[src].to_numpy(float)
    return pd.DataFrame(data)


def swing_rotations(samples: dict[str, pd.DataFrame], meta: dict, method: str) -> list[dict]:
    """Rotation (deg) about the automatic y axis over every annotated swing of one trial."""
    cal = calibrate(samples, method=method)
    rows = []
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        # by the recorded label: the annotations follow the files even where calibration relabels them
        s = next(c for c in cal.sensors.values() if c.source == f"{side}_foot")
        gyr = samples[f"{side}_foot"][list(col.GYR)].to_numpy(float) - s.gyr_bias_radps
        y = s.mountings[0].r_segment_sensor[1]
        u0, u1 = meta["UTurnBoundaries"]
        for to, hs in meta[key]:
            rows.append({"trial": meta["Filename"], "side": side,
                         "about_y_deg": float(np.degrees(gyr[to:hs] @ y).sum() / 100.0),
                         "total_deg": float(np.degrees(np.linalg.norm(gyr[to:hs].sum(axis=0) / 100.0))),
                         "u_turn": not (hs < u0 or to > u1), "before_turn": hs < u0})
    return rows


def ipol_report(method: str) -> None:
    trials = sorted(p.stem for p in IPOL.glob("*.json"))
    if not trials:
        print(f"ipol_feet not found at {IPOL}")
        return
    rows = []
    for name in trials:
        meta = json.loads((IPOL / f"{name}.json").read_text())
        samples = {"left_foot": load_ipol(IPOL / f"{name}_lf.txt"), "right_foot": load_ipol(IPOL / f"{name}_rf.txt")}
        rows += swing_rotations(samples, meta, method)
    df = pd.DataFrame(rows)
    df["expected"] = df.about_y_deg < 0
    print(f"ipol_feet, {len(trials)} trials, filter {method}: swings whose rotation about the automatic "
          f"medio-lateral axis is toes-up")
    groups = {
        "all annotated swings": df,
        "straight walking": df[~df.u_turn],
        "straight, foot rotated > 30° in the annotated window": df[~df.u_turn & (df.total_deg > 30)],
        "U-turn": df[df.u_turn],
        "outbound 10 m (before the U-turn)": df[df.before_turn],
    }
    for label, g in groups.items():
        print(f"  {label:<55}{g.expected.sum():>5} / {len(g):<5} = {100 * g.expected.mean():5.1f} %")
    per_sensor = df.groupby(["trial", "side"]).expected.mean()
    outbound = df[df.before_turn].groupby(["trial", "side"]).expected.mean()
    print(f"  sensors whose axis sign agrees with most of their swings: {(per_sensor > 0.5).sum()} / "
          f"{len(per_sensor)} (all swings), {(outbound > 0.5).sum()} / {len(outbound)} (outbound swings)")
    side_report(trials)
    worst = per_sensor.sort_values().head(5)
    print("  lowest per-sensor agreement, all swings / outbound swings (one axis per sensor and trial, so a "
          "drop after the U-turn means the annotations are shifted against the signal there):")
    for (trial, side), frac in worst.items():
        print(f"    {trial} {side}: {100 * frac:.0f} % / {100 * outbound[(trial, side)]:.0f} %")


def side_report(trials: list[str]) -> None:
    """Side shown by each real foot alone (push-off roll, analysis.calibration.side_evidence), and what
    calibration does with both feet of a trial (the labels of the files are the truth)."""
    from analysis.calibration import side_evidence

    found, relabelled = [], []
    for name in trials:
        samples = {"left_foot": load_ipol(IPOL / f"{name}_lf.txt"), "right_foot": load_ipol(IPOL / f"{name}_rf.txt")}
        for placement, df in samples.items():
            s = calibrate({placement: df}).sensors[placement]
            side, _ = side_evidence(s, df[list(col.GYR)].to_numpy(float) - s.gyr_bias_radps)
            found.append((name, placement.split("_")[0], side))
        if any(c.source != p for p, c in calibrate(samples).sensors.items()):
            relabelled.append(name)
    n = len(found)
    right = sum(f == s for _, s, f in found)
    wrong = [f"{t} {s}" for t, s, f in found if f is not None and f != s]
    undecided = sum(f is None for *_, f in found)
    print(f"  side of each foot alone from its push-off roll: right {right} / {n} = {100 * right / n:.1f} %, "
          f"undecided {undecided}, wrong {len(wrong)} ({', '.join(wrong) or 'none'})")
    print(f"  both feet of a trial: relabelled left/right in {len(relabelled)} / {len(trials)} trials "
          f"({', '.join(relabelled) or 'none'})")


def walking_mask(time_s: np.ndarray, bouts: pd.DataFrame) -> np.ndarray:
    mask = np.zeros(len(time_s), dtype=bool)
    for b in bouts.itertuples():
        if b.activity == "walking":
            mask |= (time_s >= b.start_s) & (time_s <= b.end_s)
    return mask


def sim_errors(sim, table: pd.DataFrame) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """RMS error per side and angle during walking, per-stride peak dorsiflexion errors and each stride's
    kind ('straight', 'curved' (heading changes during the stride), 'spot turn', 'peak in a data gap')."""
    t = table[col.TIME].to_numpy()
    walk = walking_mask(t, sim.truth_bouts)
    rms: dict[str, float] = {}
    peaks: dict[str, np.ndarray] = {}
    kinds: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        for angle in ("dorsiflexion_deg", "eversion_deg", "internal_rotation_deg"):
            name = f"{side}_{angle}"
            if name not in table:
                continue
            err = table[name].to_numpy() - np.interp(t, sim.truth_angles[col.TIME], sim.truth_angles[name])
            err = err[walk & np.isfinite(err)]
            rms[name] = float(np.sqrt(np.mean(err ** 2)))
        name = f"{side}_dorsiflexion_deg"
        if name in table:
            strides = sim.truth_strides[sim.truth_strides.side == side]
            est = table[name].to_numpy()
            truth = np.interp(t, sim.truth_angles[col.TIME], sim.truth_angles[name])
            errs, labels = [], []
            for st in strides.itertuples():
                stance = (t >= st.start_s) & (t <= st.toe_off_s) & np.isfinite(est)
                if stance.sum() > 10:
                    errs.append(est[stance].max() - st.peak_dorsiflexion_deg)
                    # the truth's peak falls in lost samples: no estimate can see it
                    missed = st.peak_dorsiflexion_deg - truth[stance].max() > 0.2
                    labels.append("peak in a data gap" if missed else "spot turn" if st.quality == "spot_turn"
                                  else "curved" if abs(st.heading_change_deg) > 0.5 else "straight")
            peaks[side] = np.array(errs)
            kinds[side] = np.array(labels)
    return rms, peaks, kinds


def _dist(values: np.ndarray) -> str:
    a = np.abs(np.asarray(values))
    return f"median {np.median(a):5.2f}  p95 {np.percentile(a, 95):5.2f}  max {a.max():5.2f}"


def sim_report(method: str, seeds: int) -> None:
    from analysis.angles import angle_table
    from gait_sim import Scenario, SimConfig, simulate

    print(f"\nsimulator: random mounting, noise, bias and drift, dropped samples; filter {method}")
    for kind, minutes in (("walk", 5.0), ("day", 20.0)):
        rms_all: dict[str, list[float]] = {"dorsiflexion": [], "eversion": [], "internal_rotation": []}
        peak_all, kind_all = [], []
        for seed in range(seeds):
            sim = simulate(SimConfig(minutes=minutes, seed=seed, mounting="random", scenario=Scenario(kind=kind)))
            if not (sim.truth_bouts.activity == "walking").any():
                print(f"  {kind} seed {seed}: no walking simulated, skipped")
                continue
            cal = calibrate(sim.signals, method=method)
            table = angle_table(sim.signals, calibration=cal)
            rms, peaks, stride_kinds = sim_errors(sim, table)
            kinds = sorted({w.kind for w in cal.warnings} - {"upside_down", "neutral_not_standing"})
            for name, value in rms.items():
                rms_all[name.split("_", 1)[1].removesuffix("_deg")].append(value)
            peak_all += [p for v in peaks.values() for p in v]
            kind_all += [k for v in stride_kinds.values() for k in v]
            print(f"  {kind} seed {seed}: RMS dorsiflexion L {rms['left_dorsiflexion_deg']:.2f} "
                  f"R {rms['right_dorsiflexion_deg']:.2f}, eversion L {rms['left_eversion_deg']:.2f} "
                  f"R {rms['right_eversion_deg']:.2f} deg; peak dorsiflexion |error| "
                  f"max {max(abs(p) for v in peaks.values() for p in v):.2f} deg; false alarms: {kinds or 'none'}")
        print(f"  {kind} scenario, {seeds} seeds x {minutes:.0f} min, both sides, walking only (deg):")
        for name, values in rms_all.items():
            print(f"    RMS {name:<18} {_dist(np.array(values))}")
        print(f"    peak dorsiflexion per stride, |error| over {len(peak_all)} strides: {_dist(np.array(peak_all))}")
        peak_arr, kind_arr = np.array(peak_all), np.array(kind_all)
        for k in ("straight", "curved", "spot turn", "peak in a data gap"):
            if (kind_arr == k).any():
                print(f"      {k:<20} {(kind_arr == k).sum():>5} strides: {_dist(peak_arr[kind_arr == k])}")


def _other(placement: str) -> str:
    side, segment = placement.split("_")
    return f"{'right' if side == 'left' else 'left'}_{segment}"


#: label given to each worn placement (true placement -> recorded label)
SWAPS: dict[str, dict[str, str]] = {
    "none (4 sensors)": {p: p for p in ("left_shin", "left_foot", "right_shin", "right_foot")},
    "whole sides exchanged": {p: _other(p) for p in ("left_shin", "left_foot", "right_shin", "right_foot")},
    "feet exchanged": {"left_shin": "left_shin", "right_shin": "right_shin", "left_foot": "right_foot",
                       "right_foot": "left_foot"},
    "shins exchanged": {"left_shin": "right_shin", "right_shin": "left_shin", "left_foot": "left_foot",
                        "right_foot": "right_foot"},
    "3 sensors, feet exchanged": {"left_shin": "left_shin", "left_foot": "right_foot", "right_foot": "left_foot"},
    "3 sensors, shin on other side": {"right_shin": "left_shin", "left_foot": "left_foot", "right_foot": "right_foot"},
    "one leg, correct": {"left_shin": "left_shin", "left_foot": "left_foot"},
    "one leg, labelled other side": {"left_shin": "right_shin", "left_foot": "right_foot"},
    "one foot, labelled other side": {"left_foot": "right_foot"},
}


def swap_report(seeds: int) -> None:
    """Left/right label errors on simulated walking with random mounting: how often every sensor ends up
    analysed on the placement it was worn on, and how often a left/right warning is given."""
    from gait_sim import BoutSpec, SimConfig, simulate

    bouts = (BoutSpec("walking", 40.0), BoutSpec("standing", 5.0), BoutSpec("walking", 30.0, turn_deg=90.0))
    counts = {name: [0, 0] for name in SWAPS}
    for seed in range(seeds):
        sim = simulate(SimConfig(minutes=1.5, seed=100 + seed, mounting="random", bouts=bouts))
        for name, labels in SWAPS.items():
            cal = calibrate({label: sim.signals[true] for true, label in labels.items()})
            worn = {label: true for true, label in labels.items()}
            counts[name][0] += all(worn[c.source] == p for p, c in cal.sensors.items())
            counts[name][1] += any(w.kind == "swapped_left_right" for w in cal.warnings)
    print(f"\nleft/right labels, simulated walking, random mounting, {seeds} seeds:")
    for name, (ok, warned) in counts.items():
        print(f"  {name:<32} analysed where worn {ok} / {seeds}, left/right warning {warned} / {seeds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ipol-only", action="store_true")
    parser.add_argument("--sim-only", action="store_true")
    parser.add_argument("--method", default=DEFAULT_FILTER)
    parser.add_argument("--seeds", type=int, default=6)
    args = parser.parse_args()
    if not args.sim_only:
        ipol_report(args.method)
    if not args.ipol_only:
        swap_report(args.seeds)
        sim_report(args.method, args.seeds)


if __name__ == "__main__":
    main()
