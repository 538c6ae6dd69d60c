"""Time derivative of a sampled signal, compiled: np.gradient's formula without its whole-array temporaries."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _gradient(f: np.ndarray, t: np.ndarray, out: np.ndarray) -> None:
    n = f.shape[0]
    out[0] = (f[1] - f[0]) / (t[1] - t[0])
    out[n - 1] = (f[n - 1] - f[n - 2]) / (t[n - 1] - t[n - 2])
    for i in range(1, n - 1):  # second-order central differences on uneven spacing, term by term as numpy
        dx1 = t[i] - t[i - 1]
        dx2 = t[i + 1] - t[i]
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        out[i] = a * f[i - 1] + b * f[i] + c * f[i + 1]


def time_gradient(f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """df/dt (unit of f per s) at each of the n >= 2 samples of f at times t (s, increasing), as
    ``np.gradient(f, t)`` (one-sided first differences at the ends)."""
    f, t = np.asarray(f, dtype=float), np.asarray(t, dtype=float)
    if f.shape != t.shape or f.ndim != 1 or len(f) < 2:
        raise ValueError("time_gradient: f and t must be 1-D of the same length >= 2")
    if np.all(t[1:] - t[:-1] == t[1] - t[0]):
        return np.gradient(f, t)  # even spacing: numpy then uses the plain central difference
    out = np.empty(len(f))
    _gradient(f, t, out)
    return out
