"""Scalar-first quaternion helpers ([w, x, y, z], sensor-to-world as in analysis.conventions).

Whole-day arrays (millions of samples) are handled by the compiled kernels here, without building
(n, 3, 3) matrices: :func:`on_grid` (mounting, then slerp onto a time grid), :func:`ankle_angles_deg`
and :func:`tilt_deg` (the decompositions of analysis.conventions, from quaternion elements).
"""

from __future__ import annotations

import numpy as np
from numba import njit
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


def multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product p * q of quaternions (..., 4) (broadcasting)."""
    pw, px, py, pz = np.moveaxis(np.asarray(p, float), -1, 0)
    qw, qx, qy, qz = np.moveaxis(np.asarray(q, float), -1, 0)
    return np.stack([pw * qw - px * qx - py * qy - pz * qz, pw * qx + px * qw + py * qz - pz * qy,
                     pw * qy - px * qz + py * qw + pz * qx, pw * qz + px * qy - py * qx + pz * qw], axis=-1)


def conjugate(q: np.ndarray) -> np.ndarray:
    """Inverse rotation of unit quaternions (..., 4)."""
    return np.asarray(q, float) * np.array([1.0, -1.0, -1.0, -1.0])


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectors v (n, 3), or one vector (3,), rotated by quaternions q (n, 4): q v q*, (n, 3)."""
    q = np.ascontiguousarray(q, dtype=float)
    v = np.ascontiguousarray(np.atleast_2d(v), dtype=float)
    if v.shape[0] not in (1, q.shape[0]):
        raise ValueError(f"rotate: {q.shape[0]} quaternions but {v.shape[0]} vectors")
    out = np.empty((q.shape[0], 3))
    _rotate_rows(q, v, out)
    return out


@njit(cache=True, nogil=True)
def _rotate_rows(q, v, out):  # noqa: ANN001 - compiled; whole-day arrays without (n, 3) temporaries
    one = v.shape[0] == 1
    for i in range(q.shape[0]):
        j = 0 if one else i
        w, x, y, z = q[i, 0], q[i, 1], q[i, 2], q[i, 3]
        vx, vy, vz = v[j, 0], v[j, 1], v[j, 2]
        tx = 2.0 * (y * vz - z * vy)
        ty = 2.0 * (z * vx - x * vz)
        tz = 2.0 * (x * vy - y * vx)
        out[i, 0] = vx + w * tx + (y * tz - z * ty)
        out[i, 1] = vy + w * ty + (z * tx - x * tz)
        out[i, 2] = vz + w * tz + (x * ty - y * tx)


@njit(cache=True, nogil=True)
def _mul(aw, ax, ay, az, bw, bx, by, bz):  # noqa: ANN001, ANN202 - scalar helper inlined by numba
    return (aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw)


@njit(cache=True, nogil=True)
def _clip_unit(v: float) -> float:
    """v limited to [-1, 1]; NaN stays NaN (unlike min/max)."""
    return 1.0 if v > 1.0 else (-1.0 if v < -1.0 else v)


@njit(cache=True, nogil=True)
def on_grid(time_s: np.ndarray, q: np.ndarray, joined: np.ndarray, epoch_idx: np.ndarray,
            q_epoch: np.ndarray, grid: np.ndarray, tol: float) -> np.ndarray:
    """Segment-to-world quaternions (m, 4), float32, at the (sorted) grid times.

    ``q`` (n, 4) sensor-to-world at ``time_s``; ``joined[i]`` is True when samples i and i + 1 lie in one
    contiguous segment; ``q_epoch`` (k, 4) the segment-to-sensor rotations (``r_segment_sensor.T``) of the
    mounting epochs, ``epoch_idx`` (n,) the epoch of each sample. A grid time within ``tol`` of a sample takes it; one
    between two joined samples is slerped; anything else is NaN (a gap).
    """
    n, m = time_s.shape[0], grid.shape[0]
    out = np.full((m, 4), np.nan, dtype=np.float32)
    i = 0
    for j in range(m):
        g = grid[j]
        while i + 1 < n and time_s[i + 1] <= g + tol:
            i += 1
        if g < time_s[i] - tol:
            continue  # before the first sample
        if abs(g - time_s[i]) <= tol:
            f = 0.0
        elif i + 1 < n and joined[i]:
            f = (g - time_s[i]) / (time_s[i + 1] - time_s[i])
        else:
            continue
        e = q_epoch[epoch_idx[i]]
        aw, ax, ay, az = _mul(float(q[i, 0]), float(q[i, 1]), float(q[i, 2]), float(q[i, 3]), e[0], e[1], e[2], e[3])
        if f > 0.0:
            e = q_epoch[epoch_idx[i + 1]]
            bw, bx, by, bz = _mul(float(q[i + 1, 0]), float(q[i + 1, 1]), float(q[i + 1, 2]), float(q[i + 1, 3]),
                                  e[0], e[1], e[2], e[3])
            dot = aw * bw + ax * bx + ay * by + az * bz
            if dot < 0.0:
                bw, bx, by, bz, dot = -bw, -bx, -by, -bz, -dot
            if dot > 1.0 - 1e-12:
                ka, kb = 1.0 - f, f  # equal to rounding: linear (sin(theta) would divide by ~0)
            else:
                theta = np.arccos(dot)
                s = np.sin(theta)
                ka, kb = np.sin((1.0 - f) * theta) / s, np.sin(f * theta) / s
            aw, ax, ay, az = ka * aw + kb * bw, ka * ax + kb * bx, ka * ay + kb * by, ka * az + kb * bz
        norm = np.sqrt(aw * aw + ax * ax + ay * ay + az * az)
        out[j, 0], out[j, 1], out[j, 2], out[j, 3] = aw / norm, ax / norm, ay / norm, az / norm
    return out


@njit(cache=True, nogil=True)
def heading_of_y(q: np.ndarray) -> np.ndarray:
    """Heading (rad) of the body y axis in the world's horizontal plane (NaN rows give NaN)."""
    n = q.shape[0]
    out = np.empty(n)
    for i in range(n):
        w, x, y, z = float(q[i, 0]), float(q[i, 1]), float(q[i, 2]), float(q[i, 3])
        out[i] = np.arctan2(1.0 - 2.0 * (x * x + z * z), 2.0 * (x * y - w * z))
    return out


@njit(cache=True, nogil=True)
def ankle_angles_deg(q_shin: np.ndarray, q_foot: np.ndarray, turn_rad: np.ndarray, q_neutral: np.ndarray,
                     sign: float) -> np.ndarray:
    """Ankle angles (m, 3) in degrees (float32), as analysis.conventions.ankle_angles, from quaternions.

    The foot is first turned about the world vertical by ``-turn_rad`` (heading matching); then
    ``R_neutral.T @ R_shin.T @ R_foot`` is decomposed intrinsically ``R_y(a) R_x(b) R_z(c)`` and
    returned as ``(-a, sign * b, -sign * c)``. NaN inputs give NaN rows.
    """
    m = q_shin.shape[0]
    out = np.empty((m, 3), dtype=np.float32)
    nw, nx, ny, nz = q_neutral[0], -q_neutral[1], -q_neutral[2], -q_neutral[3]
    to_deg = 180.0 / np.pi
    for j in range(m):
        c, s = np.cos(-0.5 * turn_rad[j]), np.sin(-0.5 * turn_rad[j])
        fw, fx, fy, fz = _mul(c, 0.0, 0.0, s, float(q_foot[j, 0]), float(q_foot[j, 1]), float(q_foot[j, 2]),
                              float(q_foot[j, 3]))
        rw, rx, ry, rz = _mul(float(q_shin[j, 0]), -float(q_shin[j, 1]), -float(q_shin[j, 2]), -float(q_shin[j, 3]),
                              fw, fx, fy, fz)
        w, x, y, z = _mul(nw, nx, ny, nz, rw, rx, ry, rz)
        r02, r22 = 2.0 * (x * z + w * y), 1.0 - 2.0 * (x * x + y * y)
        r10, r11 = 2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z)
        r12 = _clip_unit(2.0 * (y * z - w * x))
        out[j, 0] = -np.arctan2(r02, r22) * to_deg
        out[j, 1] = sign * np.arcsin(-r12) * to_deg
        out[j, 2] = -sign * np.arctan2(r10, r11) * to_deg
    return out


@njit(cache=True, nogil=True)
def tilt_deg(q: np.ndarray) -> np.ndarray:
    """Pitch and roll (m, 2) in degrees (float32) of the intrinsic ``R_z R_y(pitch) R_x(roll)`` decomposition
    (analysis.conventions.tilt_angles), from quaternions."""
    m = q.shape[0]
    out = np.empty((m, 2), dtype=np.float32)
    to_deg = 180.0 / np.pi
    for j in range(m):
        w, x, y, z = float(q[j, 0]), float(q[j, 1]), float(q[j, 2]), float(q[j, 3])
        r20 = _clip_unit(2.0 * (x * z - w * y))
        out[j, 0] = np.arcsin(-r20) * to_deg
        out[j, 1] = np.arctan2(2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)) * to_deg
    return out
