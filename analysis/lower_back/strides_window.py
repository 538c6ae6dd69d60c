"""Samples of a lower-back signal inside each stride: the one job shared by the per-stride metrics."""

from __future__ import annotations

import numpy as np

from analysis.algorithm import Algorithm


class StrideWindowMetric(Algorithm):
    """Base of the metrics computed over the lower-back samples inside each stride.

    Parameters
    ----------
    max_gap_s
        A stride whose lower-back samples have a hole longer than this (s) gets NaN (engineering choice:
        ten samples at 100 Hz, short of a BLE reconnection).
    """

    def __init__(self, max_gap_s: float = 0.1):
        self.max_gap_s = max_gap_s


def stride_slices(time_s: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, rate_hz: float,
                  max_gap_s: float = 0.1) -> list[slice | None]:
    """Per stride, the slice of samples in [start_s, end_s], or None when the sensor does not cover the
    stride (a hole longer than ``max_gap_s`` inside it or at its ends)."""
    lo = np.searchsorted(time_s, start_s, side="left")
    hi = np.searchsorted(time_s, end_s, side="right")
    out: list[slice | None] = []
    for a, b, s, e in zip(lo, hi, start_s, end_s):
        if b - a < 3 or not (np.isfinite(s) and np.isfinite(e)):
            out.append(None)
            continue
        t = time_s[a:b]
        gaps = np.diff(np.concatenate([[s], t, [e]]))
        out.append(slice(int(a), int(b)) if gaps.max() <= max(max_gap_s, 1.5 / rate_hz) else None)
    return out
