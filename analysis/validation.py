"""Matching detected strides and footsteps to reference ones, for validation against a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd


def match_strides(detected: pd.DataFrame, truth: pd.DataFrame, tol_s: float = 0.1) -> pd.DataFrame:
    """One-to-one pairs, per side, of detected and true strides whose initial contacts are within ``tol_s``.

    Each detected stride takes the true stride nearest in ``start_s``; a true stride claimed twice keeps
    the earlier detection. Returns ``side``, ``detected`` and ``truth`` (row labels of the inputs).
    """
    rows = []
    for side in ("left", "right"):
        d = detected[detected["side"] == side].sort_values("start_s")
        t = truth[truth["side"] == side].sort_values("start_s")
        if len(d) == 0 or len(t) == 0:
            continue
        ds, ts = d["start_s"].to_numpy(float), t["start_s"].to_numpy(float)
        j = np.clip(np.searchsorted(ts, ds), 1, max(len(ts) - 1, 1))
        nearest = np.where(np.abs(ts[j - 1] - ds) <= np.abs(ts[np.minimum(j, len(ts) - 1)] - ds),
                           j - 1, np.minimum(j, len(ts) - 1))
        ok = np.flatnonzero(np.abs(ts[nearest] - ds) <= tol_s)
        first = ok[np.unique(nearest[ok], return_index=True)[1]]  # earliest detection per true stride
        rows.append(pd.DataFrame({"side": side, "detected": d.index[first],
                                  "truth": t.index[nearest[first]]}))
    return (pd.concat(rows, ignore_index=True) if rows
            else pd.DataFrame({"side": pd.Series(dtype=str), "detected": [], "truth": []}))


def paired_difference(detected: pd.DataFrame, truth: pd.DataFrame, pairs: pd.DataFrame,
                      column: str) -> np.ndarray:
    """detected − truth of ``column`` over the matched pairs."""
    return (detected.loc[pairs["detected"], column].to_numpy(float)
            - truth.loc[pairs["truth"], column].to_numpy(float))


#: per-stride metric columns whose detected − true difference ``stride_errors`` reports (unit kept)
ERROR_METRICS = ("peak_dorsiflexion_deg", "peak_plantarflexion_deg", "sagittal_range_deg",
                 "peak_eversion_deg", "eversion_excursion_deg", "peak_tibial_accel_g")


def stride_errors(detected: pd.DataFrame, truth: pd.DataFrame, tol_s: float = 0.1) -> pd.DataFrame:
    """Errors of the detected strides matched one to one to the true ones (``match_strides``).

    Columns: ``side``, ``detected`` and ``truth`` (row labels), ``ic_err_ms``, ``to_err_ms``,
    ``stride_time_err_ms`` (detected − true, ms), ``stance_err_pct`` (percent of the stride),
    ``len_err_pct`` (stride length, percent of the true length), ``<metric>_err`` for each of
    ERROR_METRICS present in both tables (detected − true, in the metric's unit: ``peak_dorsiflexion_deg_err``),
    ``truth_quality`` and ``quality`` (the two tables' quality columns).
    """
    pairs = match_strides(detected, truth, tol_s)

    def diff(col: str) -> np.ndarray:
        return paired_difference(detected, truth, pairs, col)

    out = pd.DataFrame({"side": pairs["side"], "detected": pairs["detected"], "truth": pairs["truth"],
                        "ic_err_ms": 1000 * diff("start_s"), "to_err_ms": 1000 * diff("toe_off_s"),
                        "stride_time_err_ms": 1000 * diff("stride_time_s"),
                        "stance_err_pct": 100 * diff("stance_fraction")})
    out["len_err_pct"] = 100 * (detected.loc[pairs["detected"], "stride_length_m"].to_numpy(float)
                                / truth.loc[pairs["truth"], "stride_length_m"].to_numpy(float) - 1)
    for col in ERROR_METRICS:
        if col in detected and col in truth:
            out[f"{col}_err"] = diff(col)
    out["truth_quality"] = truth.loc[pairs["truth"], "quality"].to_numpy() if "quality" in truth else ""
    out["quality"] = detected.loc[pairs["detected"], "quality"].astype(str).to_numpy()
    return out


def reference_footsteps(meta: dict, key: str, last_sample_s: float) -> np.ndarray:
    """Reference [toe-off, heel-strike] pairs (s) of one foot inside ``TrialBoundaries`` and the recording."""
    b0, b1 = (x / 100.0 for x in meta["TrialBoundaries"])
    ref = np.asarray(meta[key], float) / 100.0
    return ref[(ref[:, 0] >= b0 - 1e-9) & (ref[:, 1] <= b1 + 1e-9) & (ref[:, 1] <= last_sample_s)]


def match_footsteps(mid_swing_s: np.ndarray, ref: np.ndarray) -> list[tuple[int, int]]:
    """(reference row, detected row) pairs: each reference footstep takes the first unused detected swing
    whose mid-swing (s) lies inside its [toe-off, heel-strike]."""
    used = np.zeros(len(mid_swing_s), bool)
    pairs = []
    for i, (r_to, r_ic) in enumerate(ref):  # per reference footstep (tens per trial)
        cand = np.flatnonzero((mid_swing_s >= r_to) & (mid_swing_s <= r_ic) & ~used)
        if len(cand):
            used[cand[0]] = True
            pairs.append((i, int(cand[0])))
    return pairs


def trial_swings(swings: pd.DataFrame, b0: float, b1: float) -> pd.DataFrame:
    """The swings of a trial: toe-off and initial contact (s) within 0.1 s of [b0, b1] (TrialBoundaries)."""
    return swings[(swings["toe_off_s"] >= b0 - 0.1) & (swings["initial_contact_s"] <= b1 + 0.1)]
