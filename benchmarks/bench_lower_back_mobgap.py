"""Lower-back-only gait (analysis.lower_back) beside mobgap's Mobilise-D pipeline, on mobgap's lab example data.

Run: .venv/bin/python benchmarks/bench_lower_back_mobgap.py
Needs the peer venv and the data, once (both under .venv-peers-lb/, which git ignores):
  python3.11 -m venv .venv-peers-lb && .venv-peers-lb/bin/pip install mobgap==1.2.0
  mkdir -p .venv-peers-lb/mobgap_data/v1.2.0 && git -C MOBGAP_CLONE archive HEAD example_data \
      | tar -x -C .venv-peers-lb/mobgap_data/v1.2.0 --strip-components=1
(the mobgap wheel does not ship the example data; it would download it, so the benchmark reads a local copy).

In one run: ``peer_mobgap_runner.py`` (in .venv-peers-lb) loads each trial of ``LabExampleDataset``
(3 participants: HA 001, HA 002, MS 001; tests 5 and 11), runs mobgap's pipeline and writes the signals,
the INDIP reference and mobgap's results to a temporary folder; then ours runs on the same signals:
``LowerBackFrame`` (mounting found from the data, as for any recording) and ``LowerBackGait`` with the
participant's ``sensor_height_m``.

Scoring, one rule for both: initial contacts matched one-to-one to the reference, nearest first, within
``TOLERANCE_S``; precision, recall, |timing error| median and p95 (ms) of the matches, ``side`` = the share
of contacts near a reference contact given its side (left/right); cadence and walking
speed per trial: the reference's = the duration-weighted mean of its walking bouts; an estimator's = the
mean of its own bouts weighted by their overlap with the reference's bouts (so both are judged on the
reference's walking, whatever their own bout ends); error = estimate - reference. Trials without reference
contacts (HA 002 test 5: the data set has none) are listed and not scored.
"""

from __future__ import annotations

import json
import os
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

from analysis.columns import ACC, GYR, TIME  # noqa: E402
from analysis.lower_back import LowerBackFrame, LowerBackGait  # noqa: E402

PEER = ROOT / ".venv-peers-lb"
RUNNER = BENCH / "peer_mobgap_runner.py"
DATA_DIR = PEER / "mobgap_data"
TOLERANCE_S = 0.25  # an estimate further than this from every reference contact is a false positive


def match(est: np.ndarray, ref: np.ndarray, tol: float = TOLERANCE_S) -> np.ndarray:
    """Signed errors (s) of one-to-one matches (est - ref), the closest pairs first, within ``tol``."""
    if len(est) == 0 or len(ref) == 0:
        return np.zeros(0)
    d = est[:, None] - ref[None, :]
    order = np.argsort(np.abs(d), axis=None)
    used_e, used_r, errs = set(), set(), []
    for k in order:
        i, j = divmod(int(k), len(ref))
        if abs(d[i, j]) > tol:
            break
        if i in used_e or j in used_r:
            continue
        used_e.add(i)
        used_r.add(j)
        errs.append(d[i, j])
    return np.asarray(errs)


def ic_scores(est: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    err = match(np.sort(est), np.sort(ref))
    n = len(err)
    return {"P": n / len(est) if len(est) else np.nan, "R": n / len(ref) if len(ref) else np.nan,
            "med_ms": 1000 * float(np.median(np.abs(err))) if n else np.nan,
            "p95_ms": 1000 * float(np.quantile(np.abs(err), 0.95)) if n else np.nan,
            "bias_ms": 1000 * float(np.median(err)) if n else np.nan}


def weighted(wb: np.ndarray) -> tuple[float, float]:
    """Duration-weighted mean cadence (steps/min) and walking speed (m/s) of (k, 4) walking bouts."""
    ok = np.isfinite(wb[:, 2]) & np.isfinite(wb[:, 3]) if len(wb) else np.zeros(0, bool)
    if not ok.any():
        return np.nan, np.nan
    w = wb[ok, 1] - wb[ok, 0]
    return float(np.average(wb[ok, 2], weights=w)), float(np.average(wb[ok, 3], weights=w))


def within_reference(wb: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Cadence and speed of estimated bouts (k, 4) weighted by their overlap with the reference's bouts:
    the estimator's figures for the reference's walking, whatever its own bout ends."""
    if len(wb) == 0 or len(ref) == 0:
        return np.nan, np.nan
    overlap = np.clip(np.minimum(wb[:, None, 1], ref[None, :, 1]) - np.maximum(wb[:, None, 0], ref[None, :, 0]),
                      0.0, None).sum(axis=1)
    ok = (overlap > 0) & np.isfinite(wb[:, 2]) & np.isfinite(wb[:, 3])
    if not ok.any():
        return np.nan, np.nan
    return float(np.average(wb[ok, 2], weights=overlap[ok])), float(np.average(wb[ok, 3], weights=overlap[ok]))


def ours(trial: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Our contacts (s), their side (1 = left), bouts (k, 4) as the reference's, on one trial's signals."""
    n = len(trial["acc"])
    t = np.arange(n) / float(trial["fs_hz"])
    df = pd.DataFrame({TIME: t, **{c: trial["acc"][:, k] for k, c in enumerate(ACC)},
                       **{c: trial["gyr"][:, k] for k, c in enumerate(GYR)}})
    frame = LowerBackFrame().align(df)
    gait = LowerBackGait(sensor_height_m=float(trial["sensor_height_m"])).detect(frame)
    b = gait.bouts_
    wb = b[["start_s", "end_s", "cadence_spm", "walking_speed_mps"]].to_numpy(float)
    return (gait.ics_["time_s"].to_numpy(float), (gait.ics_["side"] == "left").to_numpy(int), wb,
            frame.walking_)


def side_agreement(est: np.ndarray, est_left: np.ndarray, ref: np.ndarray, ref_left: np.ndarray) -> float:
    """Fraction of matched contacts given the reference's side."""
    hits = []
    for i, e in enumerate(est):
        j = int(np.argmin(np.abs(ref - e))) if len(ref) else -1
        if j >= 0 and abs(ref[j] - e) <= TOLERANCE_S:
            hits.append(est_left[i] == ref_left[j])
    return float(np.mean(hits)) if hits else np.nan


def main() -> None:
    if not (PEER / "bin" / "python").exists() or not (DATA_DIR / "v1.2.0" / "README.md").exists():
        sys.exit(f"{PEER} with mobgap and {DATA_DIR}/v1.2.0 are needed: see this file's docstring")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        env = {**os.environ, "MOBGAP_DATA_DIR": str(DATA_DIR)}
        subprocess.run([str(PEER / "bin" / "python"), str(RUNNER), tmp], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        t_mobgap = time.perf_counter() - t0
        trials = json.loads((Path(tmp) / "trials.json").read_text())
        t_ours = 0.0
        for info in trials:
            tr = dict(np.load(Path(tmp) / f"{info['trial']}.npz"))
            t1 = time.perf_counter()
            ic, left, wb, _ = ours(tr)
            t_ours += time.perf_counter() - t1
            ref_cad, ref_ws = weighted(tr["ref_wb"])
            if len(tr["ref_ic_s"]) == 0:
                print(f"{info['trial']}: no reference contacts in the data set, not scored")
                continue
            for who, est, est_left, bouts in (("ours", ic, left, wb),
                                              ("mobgap", tr["mobgap_ic_s"], tr["mobgap_ic_left"], tr["mobgap_wb"])):
                cad, ws = within_reference(bouts, tr["ref_wb"])
                rows.append({"trial": info["trial"], "who": who, "n_ref": len(tr["ref_ic_s"]), "n_est": len(est),
                             **ic_scores(est, tr["ref_ic_s"]),
                             "side": side_agreement(est, est_left, tr["ref_ic_s"], tr["ref_ic_left"]),
                             "cad_ref": ref_cad, "cad_err": cad - ref_cad, "ws_ref": ref_ws, "ws_err": ws - ref_ws})
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(f"initial contacts within {TOLERANCE_S:.2f} s of the INDIP reference; cadence (steps/min) and "
          "walking speed (m/s): estimate - reference")
    print(res.round(3).to_string(index=False))
    print("\nall trials (contacts pooled by summing matches; cadence/speed: median |error| over trials)")
    for who, g in res.groupby("who", sort=False):
        print(f"  {who:7s} P {np.average(g.P, weights=g.n_est):.3f} R {np.average(g.R, weights=g.n_ref):.3f} "
              f"|t| median of trial medians {g.med_ms.median():.0f} ms, worst trial p95 {g.p95_ms.max():.0f} ms; "
              f"|cadence err| median {g.cad_err.abs().median():.1f} steps/min (max {g.cad_err.abs().max():.1f}); "
              f"|speed err| median {g.ws_err.abs().median():.3f} m/s (max {g.ws_err.abs().max():.3f})")
    print(f"\ntime: mobgap {t_mobgap:.1f} s (incl. loading the data and starting its venv), ours {t_ours:.1f} s")


if __name__ == "__main__":
    main()
