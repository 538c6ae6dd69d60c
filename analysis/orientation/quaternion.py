"""Scalar-first quaternion helpers ([w, x, y, z], sensor-to-world as in analysis.conventions)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) from scalar-first quaternions (n, 4); NaN rows stay NaN."""
    q = np.atleast_2d(np.asarray(q, dtype=float))
    out = np.full((len(q), 3, 3), np.nan)
    ok = np.isfinite(q).all(axis=1)
    if ok.any():
        out[ok] = Rotation.from_quat(q[ok][:, [1, 2, 3, 0]]).as_matrix()
    return out


def from_matrix(r: np.ndarray) -> np.ndarray:
    """Scalar-first quaternions (n, 4) from rotation matrices (n, 3, 3)."""
    return Rotation.from_matrix(r).as_quat()[..., [3, 0, 1, 2]]


def angle_between(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Rotation angle (rad) between orientations, row by row; accurate for tiny angles (uses asin)."""
    w1, v1 = q1[:, :1], q1[:, 1:]
    w2, v2 = q2[:, :1], q2[:, 1:]
    vec = w1 * v2 - w2 * v1 - np.cross(v1, v2)  # vector part of conj(q1) * q2
    return 2.0 * np.arcsin(np.clip(np.linalg.norm(vec, axis=1), 0.0, 1.0))
