"""Gyroscope bias from a sensor's rest periods: the median of each, linear in time between them.

Bias drifts with temperature, so one value per rest period, interpolated, follows it; before the first
and after the last rest period the bias is held constant.
"""

from __future__ import annotations

import numpy as np

from analysis.windows import runs

#: the bias of a rest period is the median of at most this many of its samples, evenly spread
#: (engineering choice: the standard error of a median of 2000 samples is 1.25 σ/√2000 ≈ σ/36 of the
#: noise, and a whole night at rest would otherwise cost a sort of millions of samples)
BIAS_MEDIAN_SAMPLES = 2000


def bias_knots(time_s: np.ndarray, gyr: np.ndarray, still: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (k,) and gyroscope bias (k, 3) rad/s: the median of each still period (over up to about
    2 × ``BIAS_MEDIAN_SAMPLES`` evenly spread samples), at its middle."""
    periods = runs(still)
    mids = np.array([time_s[(a + b - 1) // 2] for a, b in periods], dtype=float)
    values = np.array([np.median(gyr[a:b:max(1, (b - a) // BIAS_MEDIAN_SAMPLES)], axis=0) for a, b in periods],
                      dtype=float).reshape(-1, 3)
    return mids, values


def bias_at(time_s: np.ndarray, knots_s: np.ndarray, knots_radps: np.ndarray) -> np.ndarray:
    """Bias (n, 3) at ``time_s``: linear between knots, constant outside; zero without knots."""
    if len(knots_s) == 0:
        return np.zeros((len(time_s), 3))
    return np.column_stack([np.interp(time_s, knots_s, knots_radps[:, k]) for k in range(3)])


def subtract_bias(time_s: np.ndarray, gyr: np.ndarray, knots_s: np.ndarray, knots_radps: np.ndarray) -> None:
    """Remove the bias (linear between knots, as ``bias_at``) from float32 ``gyr`` (n, 3) rad/s in place,
    a column at a time so that no (n, 3) float64 bias is made."""
    for k in range(3 if len(knots_s) else 0):
        gyr[:, k] -= np.interp(time_s, knots_s, knots_radps[:, k]).astype(np.float32)


def gyro_bias(time_s: np.ndarray, gyr: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Gyroscope bias (n, 3) rad/s: median of each still period, linear in time between periods."""
    return bias_at(time_s, *bias_knots(time_s, gyr, still))
