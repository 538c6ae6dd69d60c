"""Exact rigid-body kinematics helpers: polynomials with derivatives and chains of axis rotations.

Every trajectory of the simulator is a polynomial or a smooth closed form in time, so positions,
velocities, accelerations, angular velocities and angular accelerations are exact derivatives, never
finite differences. Angular velocity ``w`` and angular acceleration ``a`` are in the body frame
(``[w]x = R.T @ dR/dt``), matching what a gyroscope fixed to the body measures.
"""

from __future__ import annotations

import numpy as np

AXES = {"x": 0, "y": 1, "z": 2}


def poly_eval(coefs: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, first and second derivative of polynomials with ascending coefficients.

    ``coefs`` is (..., d+1) broadcastable against ``tau`` with a trailing coefficient axis.
    """
    d = coefs.shape[-1] - 1
    p = coefs[..., d] * np.ones_like(tau)
    dp = np.zeros_like(p)
    ddp = np.zeros_like(p)
    for k in range(d - 1, -1, -1):
        ddp = ddp * tau + 2.0 * dp
        dp = dp * tau + p
        p = p * tau + coefs[..., k]
    return p, dp, ddp


def quintic_hermite(p0, v0, a0, p1, v1, a1, duration) -> np.ndarray:
    """Coefficients (..., 6) in time from the start of the unique quintic matching value, slope and
    curvature at both ends of an interval of ``duration`` seconds."""
    p0, v0, a0, p1, v1, a1, d = np.broadcast_arrays(*(np.asarray(x, float)
                                                      for x in (p0, v0, a0, p1, v1, a1, duration)))
    dp = p1 - p0
    c3 = (20 * dp - (8 * v1 + 12 * v0) * d - (3 * a0 - a1) * d**2) / (2 * d**3)
    c4 = (-30 * dp + (14 * v1 + 16 * v0) * d + (3 * a0 - 2 * a1) * d**2) / (2 * d**4)
    c5 = (12 * dp - 6 * (v1 + v0) * d - (a0 - a1) * d**2) / (2 * d**5)
    return np.stack([p0, v0, a0 / 2, c3, c4, c5], axis=-1)


def smoothstep(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quintic smoothstep 0 → 1 on u in [0, 1] (clamped outside) with its first two derivatives in u."""
    u = np.clip(u, 0.0, 1.0)
    s = u**3 * (10 - 15 * u + 6 * u**2)
    ds = 30 * u**2 * (1 - u) ** 2
    dds = 60 * u * (1 - u) * (1 - 2 * u)
    return s, ds, dds


def axis_rotation(axis: str, theta: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) about a body axis 'x', 'y' or 'z' by ``theta`` radians."""
    theta = np.asarray(theta, float)
    c, s = np.cos(theta), np.sin(theta)
    i = AXES[axis]
    j, k = (i + 1) % 3, (i + 2) % 3
    r = np.zeros(theta.shape + (3, 3))
    r[..., i, i] = 1.0
    r[..., j, j] = c
    r[..., k, k] = c
    r[..., j, k] = -s
    r[..., k, j] = s
    return r


def rotate_back(axis: str, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``E.T @ v`` for the axis rotation ``E`` by ``theta``: a vector expressed in the rotated frame."""
    c, s = np.cos(theta), np.sin(theta)
    i = AXES[axis]
    j, k = (i + 1) % 3, (i + 2) % 3
    out = np.empty_like(v)
    out[..., i] = v[..., i]
    out[..., j] = c * v[..., j] + s * v[..., k]
    out[..., k] = -s * v[..., j] + c * v[..., k]
    return out


def compose_axis(w: np.ndarray, a: np.ndarray, axis: str, theta: np.ndarray, theta_d: np.ndarray,
                 theta_dd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Body angular velocity and acceleration of ``R @ E(theta(t))`` from those of ``R``.

    ``w_new = E.T w + theta_d e``; ``a_new = E.T a + theta_dd e - (theta_d e) x (E.T w)``.
    """
    i = AXES[axis]
    w_rot = rotate_back(axis, theta, w)
    a_new = rotate_back(axis, theta, a)
    e = np.zeros(3)
    e[i] = 1.0
    w_new = w_rot.copy()
    w_new[..., i] += theta_d
    a_new[..., i] += theta_dd
    a_new -= np.cross(theta_d[..., None] * e, w_rot)
    return w_new, a_new


def point_acceleration(r_seg: np.ndarray, w: np.ndarray, a: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """World acceleration of a body-fixed point relative to the body origin: ``R (a x r + w x (w x r))``."""
    body = np.cross(a, offset) + np.cross(w, np.cross(w, offset))
    return np.einsum("nij,nj->ni", r_seg, body)


def matrices_to_quaternions(r: np.ndarray) -> np.ndarray:
    """Scalar-first unit quaternions (n, 4) ``[w, x, y, z]`` with w >= 0 from rotation matrices (n, 3, 3).

    Shepperd's method: each row uses the largest of w, x, y, z to avoid dividing by a small number.
    """
    m = np.asarray(r, float)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], axis=1)
    k = cand.argmax(axis=1)
    q = np.empty((len(m), 4))
    for case in range(4):
        sel = np.flatnonzero(k == case)
        if not len(sel):
            continue
        a = m[sel]
        if case == 0:
            s4 = 2.0 * np.sqrt(1.0 + tr[sel])
            q[sel] = np.column_stack([0.25 * s4, (a[:, 2, 1] - a[:, 1, 2]) / s4, (a[:, 0, 2] - a[:, 2, 0]) / s4,
                                      (a[:, 1, 0] - a[:, 0, 1]) / s4])
        else:
            i = case - 1
            j, l = (i + 1) % 3, (i + 2) % 3
            s4 = 2.0 * np.sqrt(1.0 + a[:, i, i] - a[:, j, j] - a[:, l, l])
            out = np.empty((len(sel), 4))
            out[:, 0] = (a[:, l, j] - a[:, j, l]) / s4
            out[:, 1 + i] = 0.25 * s4
            out[:, 1 + j] = (a[:, j, i] + a[:, i, j]) / s4
            out[:, 1 + l] = (a[:, l, i] + a[:, i, l]) / s4
            q[sel] = out
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return q


def quaternions_to_matrices(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) from scalar-first quaternions (n, 4)."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_quat(np.asarray(q, float), scalar_first=True).as_matrix()
