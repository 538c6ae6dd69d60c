"""Matching detected strides to reference strides, for validation against a known truth."""

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
