"""Helpers for whole-day (n, 3) sample arrays: row norms (compiled, no (n, 3) temporaries), principal axis."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _row_norms(v, out):  # noqa: ANN001 - compiled
    for i in range(v.shape[0]):  # float64 arithmetic for float32 input too, as after a conversion
        x, y, z = np.float64(v[i, 0]), np.float64(v[i, 1]), np.float64(v[i, 2])
        out[i] = np.sqrt(x * x + y * y + z * z)


def row_norms(v: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of (n, 3) values (same unit as v)."""
    v = np.asarray(v)
    if v.dtype not in (np.float32, np.float64):  # float samples are read in place, any strides: no copy
        v = v.astype(float)
    out = np.empty(v.shape[0])
    _row_norms(v, out)
    return out


def principal_axis(v: np.ndarray) -> np.ndarray:
    """Unit axis (3,) of the largest second moment of the rows of (n, 3) values (sign arbitrary)."""
    _, vecs = np.linalg.eigh(np.einsum("ni,nj->ij", v, v, dtype=float))
    return vecs[:, -1]
