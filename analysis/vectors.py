"""Row-wise helpers for whole-day (n, 3) sample arrays, compiled so they make no (n, 3) temporaries."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _row_norms(v, out):  # noqa: ANN001 - compiled
    for i in range(v.shape[0]):
        out[i] = np.sqrt(v[i, 0] * v[i, 0] + v[i, 1] * v[i, 1] + v[i, 2] * v[i, 2])


def row_norms(v: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of (n, 3) values (same unit as v)."""
    v = np.ascontiguousarray(v, dtype=float)
    out = np.empty(v.shape[0])
    _row_norms(v, out)
    return out
