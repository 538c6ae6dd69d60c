"""Which signal feature marks the heel's first touch? Candidates against the current initial contact.

Run: .venv/bin/python benchmarks/bench_first_touch.py [DATASET_DIR]

Issue 11: two independent references placed our initial contact (then where ``toes_up`` fell through
0.4 of the slap minimum) 22-25 ms after the heel's first touch; the contact is now the zero crossing
(analysis.events, ``ic_fraction`` 0). Per detected swing (analysis.strides.foot_analysis), from
mid-swing on:

* ``detected``: the pipeline's contact;
* ``zero``: where ``toes_up`` crosses zero (the foot stops rotating toes-up and starts down);
* ``frac_0.1``, ``frac_0.2``: where it falls through 0.1 / 0.2 of the slap minimum;
* ``acc_low``: the lowest |acc| in the 50 ms before the impact's steepest rise (sample time);
* ``impact_rise``: the steepest rise of |acc| (between the two samples);
* ``slap_min``: the slap minimum itself.

Printed: on the simulator (issue 11's U-turn walk, 20 and 30 ms heel-pad impacts), each feature
minus the true first touch; on ipol_feet, each feature minus the reference heel strike and minus
the detection, subjects 1-5 and 6-10 apart (ms, median [p5, p95]); then the pipeline's contact
minus the reference heel strike per subject (ipol_contact_by_subject).
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

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
FEATURES = ("detected", "zero", "frac_0.1", "frac_0.2", "acc_low", "impact_rise", "slap_min")


def _crossing(t: np.ndarray, w: np.ndarray, k0: int, k1: int, level: float) -> float:
    """First time in samples [k0, k1] where ``w`` falls through ``level`` (linear between samples)."""
    k = k0
    while k < k1 and w[k] > level:
        k += 1
    d = w[k - 1] - w[k]
    return float(t[k] if d == 0 else t[k - 1] + (t[k] - t[k - 1]) * (w[k - 1] - level) / d)


def contact_features(df: pd.DataFrame) -> pd.DataFrame:
    """One row per detected swing of one foot sensor: the FEATURES times (s)."""
    t = df["time_s"].to_numpy(float)
    acc, gyr = df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float)
    res = st.foot_analysis(t, acc, gyr)
    w, fs = res["toes_up"], res["fs"]
    norm = np.linalg.norm(acc, axis=1)
    rise = np.diff(norm, prepend=norm[0])  # rise[k]: from sample k-1 to k
    rows = []
    for ms_i, ic_t in zip(res["swings"]["ms_idx"], res["swings"]["initial_contact_s"]):  # per swing
        z = ms_i + 1 + int(np.argmax(w[ms_i + 1:] < 0)) if np.any(w[ms_i + 1:] < 0) else len(w)
        if z >= len(w) - int(0.2 * fs):
            continue
        m = z + int(np.argmin(w[z:z + int(0.15 * fs)]))
        a = max(z - int(0.05 * fs), ms_i)
        j = a + int(np.argmax(rise[a:m + 3]))
        low = max(j - int(0.05 * fs), ms_i) + int(np.argmin(norm[max(j - int(0.05 * fs), ms_i):j + 1]))
        rows.append((ic_t, _crossing(t, w, z - 1, m, 0.0), _crossing(t, w, z, m, 0.1 * w[m]),
                     _crossing(t, w, z, m, 0.2 * w[m]), t[low], t[j] - 0.5 / fs, t[m]))
    return pd.DataFrame(rows, columns=list(FEATURES))


def spread(x: np.ndarray) -> str:
    return f"{np.median(x):6.1f} [{np.percentile(x, 5):6.1f}, {np.percentile(x, 95):6.1f}]"


def simulator_table() -> pd.DataFrame:
    """Feature minus the true first touch (ms) on the simulated U-turn walk, per impact duration."""
    import dataclasses

    from gait_sim import simulate
    from gait_sim.config import Gait
    from gait_sim.u_turn import u_turn_config

    rows = []
    for impact_s in (0.02, 0.03):
        diffs = []
        for seed in (0, 1, 2):
            cfg = u_turn_config(seed=seed, mounting="random")
            sim = simulate(dataclasses.replace(cfg, gait=Gait(impact_duration_s=impact_s)))
            for side in ("left", "right"):
                f = contact_features(sim.signals[f"{side}_foot"])
                true = np.concatenate([p.walk.contacts[side].ic_s[1:] for p in sim.periods
                                       if p.walk is not None and p.activity == "walking"])
                near = true[np.abs(true[None, :] - f["detected"].to_numpy()[:, None]).argmin(axis=1)]
                ok = np.abs(near - f["detected"].to_numpy()) < 0.1
                diffs.append(1000 * f[ok].sub(near[ok], axis=0))
        d = pd.concat(diffs)
        rows.append({"impact_ms": 1000 * impact_s, "swings": len(d), **{c: spread(d[c]) for c in FEATURES}})
    return pd.DataFrame(rows)


def ipol_tables(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature minus reference heel strike, and minus the detection (ms), per subject split."""
    parts = []
    for name in trial_names(data):  # per trial and foot
        meta = json.loads((data / f"{name}.json").read_text())
        for foot, key in (("lf", "LeftFootEvents"), ("rf", "RightFootEvents")):
            f = contact_features(load_foot(data, name, foot))
            hs = np.asarray(meta[key], float)[:, 1] / 100.0
            near = hs[np.abs(hs[None, :] - f["detected"].to_numpy()[:, None]).argmin(axis=1)]
            ok = np.abs(near - f["detected"].to_numpy()) < 0.1
            d = 1000 * f[ok].sub(near[ok], axis=0)
            parts.append(d.assign(subject=meta["Subject"]))
    d = pd.concat(parts, ignore_index=True)
    vs_ref, vs_det = [], []
    for split, g in (("1-5", d[d["subject"] <= 5]), ("6-10", d[d["subject"] > 5])):
        vs_ref.append({"subjects": split, "swings": len(g), **{c: spread(g[c]) for c in FEATURES}})
        vs_det.append({"subjects": split, **{c: spread(g[c] - g["detected"]) for c in FEATURES[1:]}})
    return pd.DataFrame(vs_ref), pd.DataFrame(vs_det)


def ipol_contact_by_subject(data: Path) -> pd.DataFrame:
    """The pipeline's initial contact minus ipol_feet's heel strike (ms) per subject, TUNE 1-5 and REPORT
    6-10: signed median [p5, p95], |error| p95, and the p95 of |error − median| (the spread once a
    constant offset, such as the first touch against an impact mark, is taken out), by
    analysis.ipol_validation's matching."""
    from analysis.ipol_validation import by_subject, evaluate_all

    rows = evaluate_all(data)
    out = []
    groups = [(str(s), rs) for s, rs in by_subject(rows).items()]
    groups += [(name, [r for r in rows if r["subject"] in subj])
               for name, subj in (("TUNE 1-5", range(1, 6)), ("REPORT 6-10", range(6, 11)))]
    for name, rs in groups:
        ic = np.concatenate([r["ic_err_ms"] for r in rs])
        out.append({"subject": name, "contacts": len(ic), "signed": spread(ic),
                    "abs_p95": round(float(np.percentile(np.abs(ic), 95)), 1),
                    "p95_about_median": round(float(np.percentile(np.abs(ic - np.median(ic)), 95)), 1)})
    return pd.DataFrame(out)


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    print("simulator: feature minus true first touch (ms), median [p5, p95]")
    print(simulator_table().to_string(index=False))
    vs_ref, vs_det = ipol_tables(data)
    print("\nipol_feet: feature minus reference heel strike (ms)")
    print(vs_ref.to_string(index=False))
    print("\nipol_feet: feature minus the detection (ms): how far each would move the estimate")
    print(vs_det.to_string(index=False))
    print("\nipol_feet: initial contact minus reference heel strike per subject (ms, signed median [p5, p95])")
    print(ipol_contact_by_subject(data).to_string(index=False))


if __name__ == "__main__":
    main()
