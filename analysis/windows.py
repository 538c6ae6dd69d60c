"""Moving-window statistics over the contiguous segments of a sensor's samples, and runs of a mask."""

from __future__ import annotations

import numpy as np
from numba import njit


def runs(mask: np.ndarray) -> np.ndarray:
    """(k, 2) array of [start, stop) index pairs of the True runs of a boolean mask."""
    d = np.diff(np.concatenate([[0], np.asarray(mask, bool).astype(np.int8), [0]]))
    return np.column_stack([np.flatnonzero(d == 1), np.flatnonzero(d == -1)])


@njit(cache=True, nogil=True)
def _window_stats(values: np.ndarray, starts: np.ndarray, stops: np.ndarray, window: int, min_count: int,
                  std: bool) -> np.ndarray:
    """Centred moving mean or sample std of (n, k) values within each [start, stop) range, NaN where the
    window holds fewer than ``min_count`` samples (the window of sample i is [i - w//2, i - w//2 + w))."""
    n, m = values.shape
    out = np.full((n, m), np.nan)
    before = window // 2
    s1 = np.zeros(m)
    s2 = np.zeros(m)
    ref = np.zeros(m)
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        for k in range(m):
            ref[k] = values[a, k]  # sums of deviations from one sample keep the variance exact enough
            s1[k] = 0.0
            s2[k] = 0.0
        lo, hi = a, a  # samples [lo, hi) are in the running sums
        for i in range(a, b):
            want_lo, want_hi = max(a, i - before), min(b, i - before + window)
            while hi < want_hi:
                for k in range(m):
                    d = float(values[hi, k]) - ref[k]
                    s1[k] += d
                    s2[k] += d * d
                hi += 1
            while lo < want_lo:
                for k in range(m):
                    d = float(values[lo, k]) - ref[k]
                    s1[k] -= d
                    s2[k] -= d * d
                lo += 1
            c = hi - lo
            if c >= min_count:
                for k in range(m):
                    mean = s1[k] / c
                    if std:
                        out[i, k] = np.sqrt(max(0.0, (s2[k] - s1[k] * mean) / (c - 1)))
                    else:
                        out[i, k] = ref[k] + mean
    return out


def moving(values: np.ndarray, window: int, segments: list[tuple[int, int]], how: str) -> np.ndarray:
    """Centred moving mean or std of (n, k) values within each contiguous segment (as pandas' centred
    rolling window with ``min_periods = max(2, window // 2)``)."""
    starts = np.array([a for a, _ in segments], dtype=np.int64)
    stops = np.array([b for _, b in segments], dtype=np.int64)
    values = values if values.dtype in (np.float32, np.float64) else values.astype(float)
    return _window_stats(np.ascontiguousarray(values), starts, stops, window,
                         max(2, window // 2), how == "std")


def reduce_slices(ufunc: np.ufunc, values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values[a[i]:b[i]])`` for every pair in one ``reduceat`` call (pairs with b <= a give
    ``values[a[i]]``: mask them). ``np.fmax`` / ``np.fmin`` skip NaN as np.nanmax / np.nanmin do."""
    padded = np.append(values, values[-1:])  # b may equal len(values): reduceat indices must be in range
    return ufunc.reduceat(padded, np.column_stack([a, b]).ravel())[::2]


def column_max(v: np.ndarray) -> np.ndarray:
    """Largest of the 3 columns of each row, NaN if any is NaN (as .max(axis=1), without its slow
    reduction over short rows)."""
    return np.maximum(np.maximum(v[:, 0], v[:, 1]), v[:, 2])


def drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = np.zeros_like(mask, dtype=bool)
    for a, b in runs(mask):
        if b - a >= min_len:
            out[a:b] = True
    return out
