"""Gaps in a sensor's samples: contiguous segments, short gaps bridged for the filter state only."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from analysis.errors import UserError

from .filters import DEFAULT_FILTER, _resolve, _smoothed, orientation

#: a time step longer than this many nominal periods is a gap (lost packets, reconnect)
GAP_FACTOR = 1.5
#: gaps up to this long (s) are bridged for the filter's state (no output inside); longer ones restart
#: it. Bridging keeps the heading continuous; restarting at every dropped packet raised the simulated
#: dorsiflexion RMS error from 0.4° to 3° (benchmarks/bench_angles.py), linear filling of 0.13 s gaps
#: in swing gave 3° stride errors that the cubic removes.
BRIDGE_MAX_S = 0.25
#: gap filling from the previous gait cycle: lags searched (s), context matched on each side of the gap
#: (s), largest accepted relative RMS mismatch. On simulated walking (4 seeds, 224 gaps of 2-24 samples)
#: the rotation integrated over a filled gap was off by p95 0.11°, max 5.6° (against 0.23° and 5.6° for
#: the cubic alone, whose errors of 1.5-1.9° in 0.07-0.12 s swing gaps caused the worst per-stride peak
#: dorsiflexion errors; the offline filter spreads such a step over the seconds before and after the gap).
STRIDE_LAG_S = (0.7, 2.5)
GAP_CONTEXT_S = 0.3
MATCH_MAX = 0.3
#: 'smoothed' only: a gap that no earlier gait cycle matches is filled with a cubic; when the cubic's and the
#: straight line's integrated rotations differ by more than this (degrees), the fill is unsure and the
#: filter's inclination low-pass restarts across the gap, so the fill's tilt error stays a step at the gap
#: instead of being smoothed over the 3 s on both sides. Walk seed 0: 0.25 s lost at a spot turn's
#: toe-off, fill off by 12.7°, a stride 2.2 s before it off by 2.0° and the turn by 5.7°; now 0.20° and
#: 0.96°. Results are the same for any limit from 0.25° to 2°.
UNSURE_DEG = 0.5


def nominal_rate_hz(time_s: np.ndarray) -> float:
    """Sample rate (Hz) from the median time step."""
    dt = np.diff(np.asarray(time_s, dtype=float))
    if len(dt) == 0 or not np.median(dt) > 0:
        raise UserError("cannot find a sample rate: fewer than two samples or time not increasing")
    return float(1.0 / np.median(dt))


def contiguous_segments(time_s: np.ndarray, gap_factor: float = GAP_FACTOR) -> list[tuple[int, int]]:
    """[start, stop) sample index pairs of runs without a time jump longer than ``gap_factor`` periods."""
    t = np.asarray(time_s, dtype=float)
    if len(t) < 2:
        return [(0, len(t))] if len(t) else []
    dt = np.diff(t)
    if (dt <= 0).any():
        raise UserError(f"time_s must increase strictly; first bad step at sample {int(np.argmax(dt <= 0)) + 1}")
    breaks = np.flatnonzero(dt > gap_factor * np.median(dt)) + 1
    edges = np.concatenate([[0], breaks, [len(t)]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def filter_blocks(time_s: np.ndarray, segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Contiguous segments merged across gaps of at most ``BRIDGE_MAX_S`` (one filter run each)."""
    blocks: list[list[int]] = []
    for a, b in segments:
        if blocks and time_s[a] - time_s[blocks[-1][1] - 1] <= BRIDGE_MAX_S:
            blocks[-1][1] = b
        else:
            blocks.append([a, b])
    return [(a, b) for a, b in blocks]


def _previous_stride_fill(x: np.ndarray, i0: int, i1: int, rate: float) -> np.ndarray | None:
    """Samples x[i0 + 1:i1] (a gap in a regular grid) copied from one gait cycle earlier, or None.

    Walking repeats: the lag (``STRIDE_LAG_S``) whose earlier gyroscope best matches the
    ``GAP_CONTEXT_S`` around the gap is taken, and the copy is offset linearly so it meets the real
    samples at both ends. None when no earlier stretch matches within ``MATCH_MAX`` (relative RMS).
    """
    n_ctx = int(round(GAP_CONTEXT_S * rate))
    ctx = np.concatenate([np.arange(max(0, i0 - n_ctx + 1), i0 + 1), np.arange(i1, min(len(x), i1 + n_ctx))])
    lags = np.arange(int(STRIDE_LAG_S[0] * rate), int(STRIDE_LAG_S[1] * rate) + 1)
    lags = lags[ctx[0] - lags >= 0]
    if len(lags) == 0 or len(ctx) < n_ctx:
        return None
    gyr = x[:, :3]
    mismatch = _lag_mismatch(gyr, ctx, lags)
    best = int(np.argmin(mismatch))
    spread = ((gyr[ctx] - gyr[ctx].mean(axis=0)) ** 2).sum()
    if not spread > 0 or np.sqrt(mismatch[best] / spread) > MATCH_MAX:
        return None
    lag = int(lags[best])
    w = (np.arange(1, i1 - i0) / (i1 - i0))[:, None]
    start_off, end_off = x[i0] - x[i0 - lag], x[i1] - x[i1 - lag]
    return x[i0 + 1 - lag:i1 - lag] + (1.0 - w) * start_off + w * end_off


@njit(cache=True, nogil=True)
def _lag_mismatch(gyr: np.ndarray, ctx: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Sum of squared differences (L,) between gyr[ctx] and gyr[ctx - lag] for each lag."""
    out = np.zeros(lags.shape[0])
    for j in range(lags.shape[0]):
        total = 0.0
        for i in ctx:
            for k in range(3):
                d = gyr[i - lags[j], k] - gyr[i, k]
                total += d * d
        out[j] = total
    return out


@njit(cache=True, nogil=True)
def not_a_knot_cubic(x: np.ndarray, y: np.ndarray, xq: np.ndarray) -> np.ndarray:
    """Cubic spline through (x, y) (y: (n, k), x increasing, n >= 2) with not-a-knot ends, at xq (inside
    [x[0], x[-1]]); two points give the line, three the parabola (as scipy's CubicSpline)."""
    n, k = y.shape
    h = x[1:] - x[:-1]
    m = np.zeros((n, k))  # second derivatives
    if n >= 3:
        a = np.zeros((n, n))
        rhs = np.zeros((n, k))
        for i in range(1, n - 1):
            a[i, i - 1], a[i, i], a[i, i + 1] = h[i - 1], 2.0 * (h[i - 1] + h[i]), h[i]
            rhs[i] = 6.0 * ((y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1])
        if n == 3:  # one parabola: equal second derivatives
            a[0, 0], a[0, 1] = 1.0, -1.0
            a[2, 1], a[2, 2] = -1.0, 1.0
        else:  # third derivative continuous at the second and the second-to-last point
            a[0, 0], a[0, 1], a[0, 2] = -h[1], h[0] + h[1], -h[0]
            a[n - 1, n - 3], a[n - 1, n - 2], a[n - 1, n - 1] = -h[n - 2], h[n - 3] + h[n - 2], -h[n - 3]
        m = np.linalg.solve(a, rhs)
    out = np.empty((xq.shape[0], k))
    j = 0
    for q in range(xq.shape[0]):
        while j < n - 2 and xq[q] > x[j + 1]:
            j += 1
        u, v, hj = x[j + 1] - xq[q], xq[q] - x[j], h[j]
        for c in range(k):
            out[q, c] = (m[j, c] * u ** 3 + m[j + 1, c] * v ** 3) / (6.0 * hj) \
                + (y[j, c] / hj - m[j, c] * hj / 6.0) * u + (y[j + 1, c] / hj - m[j + 1, c] * hj / 6.0) * v
    return out


def _bridged(t: np.ndarray, gyr: np.ndarray, acc: np.ndarray, rate: float, method: str,
             params: dict[str, Any]) -> np.ndarray:
    """Filter one block; missing samples are filled for the state only (see :func:`segment_orientation`).

    The filled copy keeps the samples' dtype (float32 from the calibration: half the memory of a day).
    """
    n_missing = np.maximum(np.round(np.diff(t) * rate).astype(int) - 1, 0)
    if not n_missing.any():
        return orientation(gyr, acc, rate, method, **params)
    breaks: list[int] = []
    where = np.concatenate([[0], np.cumsum(n_missing + 1)])  # position of each real sample
    filled = np.empty((where[-1] + 1, 6), dtype=np.result_type(gyr, acc))
    filled[where, :3] = gyr
    filled[where, 3:] = acc
    # missing samples: linear between the real samples around them, then better fills for longer gaps
    before = np.repeat(np.arange(len(n_missing)), n_missing)
    # positions of the missing samples, in order: where[k] + 1 ... where[k + 1] - 1 for each gap k
    first = np.cumsum(n_missing) - n_missing  # index in ``missing`` of each gap's first missing sample
    missing = where[before] + 1 + np.arange(len(before)) - np.repeat(first, n_missing)
    # their times, linear between the real samples around them (np.interp's formula, without its search
    # and its float copy of the whole block's positions)
    slope = (t[before + 1] - t[before]) / (where[before + 1] - where[before]).astype(float)
    missing_t = slope * (missing - where[before]).astype(float) + t[before]
    frac = ((missing_t - t[before]) / (t[before + 1] - t[before]))[:, None]
    lo, hi = filled[where[before]], filled[where[before + 1]]
    filled[missing] = lo + frac * (hi - lo)
    for k in np.flatnonzero(n_missing > 1):
        inside = slice(where[k] + 1, where[k + 1])
        copy = _previous_stride_fill(filled, int(where[k]), int(where[k + 1]), rate)
        if copy is None:
            # a cubic through the samples around the gap follows a swing peak better than a straight line
            around = np.arange(max(0, k - 3), min(len(t), k + 5))
            inside_t = missing_t[first[k]:first[k] + n_missing[k]]
            copy = not_a_knot_cubic(t[around], filled[where[around]].astype(float), inside_t)
            # the cubic and the line are both plausible: where their rotations differ, neither is reliable
            if np.degrees(np.linalg.norm((copy[:, :3] - filled[inside, :3]).sum(axis=0))) / rate > UNSURE_DEG:
                breaks += [int(where[k]) + 1, int(where[k + 1])]
        filled[inside] = copy
    if method == "smoothed" and breaks:
        p = _resolve(method, params)
        return _smoothed(filled[:, :3], filled[:, 3:], 1.0 / rate, float(p["tauAcc"]), np.array(breaks))[where]
    return orientation(filled[:, :3], filled[:, 3:], rate, method, **params)[where]


def segment_orientation(time_s: np.ndarray, gyr: np.ndarray, acc: np.ndarray, method: str = DEFAULT_FILTER,
                        **params: Any) -> np.ndarray:
    """Sensor-to-world quaternions (n, 4) of samples that may contain gaps (float32 for float32 samples).

    Gaps up to ``BRIDGE_MAX_S`` are bridged for the filter's state only: the missing inputs are filled
    with a local cubic, the filter runs through, and only the real samples' orientations are returned
    (callers mark the gap; nothing is output inside it); with 'smoothed', an unsure fill (``UNSURE_DEG``)
    restarts the inclination low-pass there. Longer gaps restart the filter, so heading is
    continuous only within a block (:func:`filter_blocks`). Blocks of one sample get NaN.
    """
    t = np.asarray(time_s, dtype=float)
    rate = nominal_rate_hz(t)
    single = np.asarray(gyr).dtype == np.float32 and np.asarray(acc).dtype == np.float32
    quats = np.full((len(t), 4), np.nan, dtype=np.float32 if single else float)
    for a, b in filter_blocks(t, contiguous_segments(t)):
        if b - a >= 2:
            quats[a:b] = _bridged(t[a:b], gyr[a:b], acc[a:b], rate, method, params)
    return quats
