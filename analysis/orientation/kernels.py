"""Compiled whole-array orientation kernels (numba): the ahrs 0.4 IMU filters' equations, fast.

Each kernel takes gyroscope (n, 3) rad/s and accelerometer (n, 3) m/s² samples of one contiguous
segment in the sensor frame, a sample period ``dt`` in s and an initial scalar-first quaternion, and
returns (n, 4) sensor-to-world quaternions (world z up, arbitrary heading). They reproduce ahrs'
``Madgwick.updateIMU``, ``Mahony.updateIMU``, ``EKF.update`` (frame 'NED', no magnetometer, whose
reference vector [0, 0, 1] is the specific force, so its world z is up) and ``Complementary`` step by
step, including initialisation (``acc2q``), normalisation and the zero-input shortcuts, so results
match ahrs to rounding error (see tests/test_orientation_equivalence.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def acc_to_quaternion(ax: float, ay: float, az: float) -> np.ndarray:
    """Quaternion with zero yaw whose z axis is along the accelerometer reading (ahrs ``acc2q``)."""
    q = np.array([1.0, 0.0, 0.0, 0.0])
    a_norm = np.sqrt(ax * ax + ay * ay + az * az)
    if a_norm > 0.0:
        ax /= a_norm
        ay /= a_norm
        az /= a_norm
        roll = np.arctan2(ay, az)
        pitch = np.arctan2(-ax, np.sqrt(ay * ay + az * az))
        cx, sx = np.cos(roll / 2.0), np.sin(roll / 2.0)
        cy, sy = np.cos(pitch / 2.0), np.sin(pitch / 2.0)
        q[0], q[1], q[2], q[3] = cx * cy, sx * cy, cx * sy, -sx * sy
        q /= np.sqrt(q[0] ** 2 + q[1] ** 2 + q[2] ** 2 + q[3] ** 2)
    return q


@njit(cache=True, nogil=True, inline="always")
def _euler_step(qw: float, qx: float, qy: float, qz: float, dw: float, dx: float, dy: float, dz: float,
                dt: float) -> tuple[float, float, float, float]:
    """q + q̇ dt, renormalised (the integration step of ahrs' Madgwick and Mahony)."""
    qw, qx, qy, qz = qw + dw * dt, qx + dx * dt, qy + dy * dt, qz + dz * dt
    norm = np.sqrt(qw * qw + qx * qx + qy * qy + qz * qz)
    return qw / norm, qx / norm, qy / norm, qz / norm


@njit(cache=True, nogil=True)
def madgwick_imu(gyr: np.ndarray, acc: np.ndarray, dt: float, gain: float, q0: np.ndarray) -> np.ndarray:
    """Madgwick gradient-descent IMU filter (ahrs ``Madgwick.updateIMU``) over a whole segment."""
    n = gyr.shape[0]
    out = np.empty((n, 4))
    out[0] = q0 / np.sqrt(np.sum(q0 * q0))
    qw, qx, qy, qz = out[0, 0], out[0, 1], out[0, 2], out[0, 3]
    for t in range(1, n):
        norm = np.sqrt(qw * qw + qx * qx + qy * qy + qz * qz)
        qw, qx, qy, qz = qw / norm, qx / norm, qy / norm, qz / norm
        gx, gy, gz = gyr[t, 0], gyr[t, 1], gyr[t, 2]
        if np.sqrt(gx * gx + gy * gy + gz * gz) == 0.0:
            out[t, 0], out[t, 1], out[t, 2], out[t, 3] = qw, qx, qy, qz
            continue
        dw = 0.5 * (-qx * gx - qy * gy - qz * gz)
        dx = 0.5 * (qw * gx + qy * gz - qz * gy)
        dy = 0.5 * (qw * gy - qx * gz + qz * gx)
        dz = 0.5 * (qw * gz + qx * gy - qy * gx)
        ax, ay, az = acc[t, 0], acc[t, 1], acc[t, 2]
        a_norm = np.sqrt(ax * ax + ay * ay + az * az)
        if a_norm > 0.0:
            ax, ay, az = ax / a_norm, ay / a_norm, az / a_norm
            f0 = 2.0 * (qx * qz - qw * qy) - ax
            f1 = 2.0 * (qw * qx + qy * qz) - ay
            f2 = 2.0 * (0.5 - qx * qx - qy * qy) - az
            if np.sqrt(f0 * f0 + f1 * f1 + f2 * f2) > 0.0:
                g0 = -2.0 * qy * f0 + 2.0 * qx * f1
                g1 = 2.0 * qz * f0 + 2.0 * qw * f1 - 4.0 * qx * f2
                g2 = -2.0 * qw * f0 + 2.0 * qz * f1 - 4.0 * qy * f2
                g3 = 2.0 * qx * f0 + 2.0 * qy * f1
                g_norm = np.sqrt(g0 * g0 + g1 * g1 + g2 * g2 + g3 * g3)
                dw -= gain * g0 / g_norm
                dx -= gain * g1 / g_norm
                dy -= gain * g2 / g_norm
                dz -= gain * g3 / g_norm
        qw, qx, qy, qz = _euler_step(qw, qx, qy, qz, dw, dx, dy, dz, dt)
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = qw, qx, qy, qz
    return out


@njit(cache=True, nogil=True)
def mahony_imu(gyr: np.ndarray, acc: np.ndarray, dt: float, k_p: float, k_i: float,
               q0: np.ndarray, b0: np.ndarray) -> np.ndarray:
    """Mahony explicit complementary IMU filter with bias integrator (ahrs ``Mahony.updateIMU``)."""
    n = gyr.shape[0]
    out = np.empty((n, 4))
    out[0] = q0 / np.sqrt(np.sum(q0 * q0))
    qw, qx, qy, qz = out[0, 0], out[0, 1], out[0, 2], out[0, 3]
    bx, by, bz = b0[0], b0[1], b0[2]
    for t in range(1, n):
        norm = np.sqrt(qw * qw + qx * qx + qy * qy + qz * qz)
        qw, qx, qy, qz = qw / norm, qx / norm, qy / norm, qz / norm
        gx, gy, gz = gyr[t, 0], gyr[t, 1], gyr[t, 2]
        if np.sqrt(gx * gx + gy * gy + gz * gz) == 0.0:
            out[t, 0], out[t, 1], out[t, 2], out[t, 3] = qw, qx, qy, qz
            continue
        ax, ay, az = acc[t, 0], acc[t, 1], acc[t, 2]
        a_norm = np.sqrt(ax * ax + ay * ay + az * az)
        if a_norm > 0.0:
            ax, ay, az = ax / a_norm, ay / a_norm, az / a_norm
            # expected gravity in the sensor frame: third row of the rotation matrix
            vx = 2.0 * (qx * qz - qw * qy)
            vy = 2.0 * (qw * qx + qy * qz)
            vz = 1.0 - 2.0 * (qx * qx + qy * qy)
            ex = ay * vz - az * vy
            ey = az * vx - ax * vz
            ez = ax * vy - ay * vx
            bx -= k_i * ex * dt
            by -= k_i * ey * dt
            bz -= k_i * ez * dt
            gx = gx - bx + k_p * ex
            gy = gy - by + k_p * ey
            gz = gz - bz + k_p * ez
        dw = 0.5 * (-qx * gx - qy * gy - qz * gz)
        dx = 0.5 * (qw * gx + qy * gz - qz * gy)
        dy = 0.5 * (qw * gy - qx * gz + qz * gx)
        dz = 0.5 * (qw * gz + qx * gy - qy * gx)
        qw, qx, qy, qz = _euler_step(qw, qx, qy, qz, dw, dx, dy, dz, dt)
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = qw, qx, qy, qz
    return out


@njit(cache=True, nogil=True)
def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out = a @ b for small matrices, without allocating."""
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            acc = 0.0
            for k in range(a.shape[1]):
                acc += a[i, k] * b[k, j]
            out[i, j] = acc


@njit(cache=True, nogil=True)
def ekf_imu(gyr: np.ndarray, acc: np.ndarray, dt: float, var_gyr: float, var_acc: float,
            q0: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """Quaternion extended Kalman filter, IMU only (ahrs ``EKF.update`` with frame 'NED')."""
    n = gyr.shape[0]
    out = np.empty((n, 4))
    q = q0 / np.sqrt(np.sum(q0 * q0))
    out[0] = q
    p = p0.copy()
    qt = np.empty(4)
    f = np.empty((4, 4))
    fp = np.empty((4, 4))
    w = np.empty((4, 3))
    pt = np.empty((4, 4))
    h = np.empty((3, 4))
    pht = np.empty((4, 3))
    s = np.empty((3, 3))
    s_inv = np.empty((3, 3))
    k = np.empty((4, 3))
    hp = np.empty((3, 4))
    kv = np.empty(4)
    for t in range(1, n):
        ax, ay, az = acc[t, 0], acc[t, 1], acc[t, 2]
        a_norm = np.sqrt(ax * ax + ay * ay + az * az)
        if a_norm == 0.0:
            out[t] = q
            continue
        ax, ay, az = ax / a_norm, ay / a_norm, az / a_norm
        hx, hy, hz = 0.5 * dt * gyr[t, 0], 0.5 * dt * gyr[t, 1], 0.5 * dt * gyr[t, 2]
        # F = I + Omega(dt/2 * omega); prediction q_t = F @ q
        f[0, 0], f[0, 1], f[0, 2], f[0, 3] = 1.0, -hx, -hy, -hz
        f[1, 0], f[1, 1], f[1, 2], f[1, 3] = hx, 1.0, hz, -hy
        f[2, 0], f[2, 1], f[2, 2], f[2, 3] = hy, -hz, 1.0, hx
        f[3, 0], f[3, 1], f[3, 2], f[3, 3] = hz, hy, -hx, 1.0
        for i in range(4):
            qt[i] = f[i, 0] * q[0] + f[i, 1] * q[1] + f[i, 2] * q[2] + f[i, 3] * q[3]
        c = 0.5 * dt
        w[0, 0], w[0, 1], w[0, 2] = -c * q[1], -c * q[2], -c * q[3]
        w[1, 0], w[1, 1], w[1, 2] = c * q[0], -c * q[3], c * q[2]
        w[2, 0], w[2, 1], w[2, 2] = c * q[3], c * q[0], -c * q[1]
        w[3, 0], w[3, 1], w[3, 2] = -c * q[2], c * q[1], c * q[0]
        # P_t = F P F^T + var_gyr W W^T
        _matmul(f, p, fp)
        _matmul(fp, f.T, pt)
        for i in range(4):
            for j in range(4):
                pt[i, j] += var_gyr * (w[i, 0] * w[j, 0] + w[i, 1] * w[j, 1] + w[i, 2] * w[j, 2])
        # expected measurement from the normalised prediction: third row of its rotation matrix
        nt = np.sqrt(qt[0] ** 2 + qt[1] ** 2 + qt[2] ** 2 + qt[3] ** 2)
        uw, ux, uy, uz = qt[0] / nt, qt[1] / nt, qt[2] / nt, qt[3] / nt
        v0 = ax - 2.0 * (ux * uz - uw * uy)
        v1 = ay - 2.0 * (uw * ux + uy * uz)
        v2 = az - (1.0 - 2.0 * (ux * ux + uy * uy))
        # Jacobian of the measurement at the (unnormalised) prediction, reference [0, 0, 1]
        tw, tx, ty, tz = qt[0], qt[1], qt[2], qt[3]
        h[0, 0], h[0, 1], h[0, 2], h[0, 3] = -2.0 * ty, 2.0 * tz, -2.0 * tw, 2.0 * tx
        h[1, 0], h[1, 1], h[1, 2], h[1, 3] = 2.0 * tx, 2.0 * tw, 2.0 * tz, 2.0 * ty
        h[2, 0], h[2, 1], h[2, 2], h[2, 3] = 2.0 * tw, -2.0 * tx, -2.0 * ty, 2.0 * tz
        _matmul(pt, h.T, pht)
        _matmul(h, pht, s)
        s[0, 0] += var_acc
        s[1, 1] += var_acc
        s[2, 2] += var_acc
        det = (s[0, 0] * (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1])
               - s[0, 1] * (s[1, 0] * s[2, 2] - s[1, 2] * s[2, 0])
               + s[0, 2] * (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]))
        s_inv[0, 0] = (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]) / det
        s_inv[0, 1] = (s[0, 2] * s[2, 1] - s[0, 1] * s[2, 2]) / det
        s_inv[0, 2] = (s[0, 1] * s[1, 2] - s[0, 2] * s[1, 1]) / det
        s_inv[1, 0] = (s[1, 2] * s[2, 0] - s[1, 0] * s[2, 2]) / det
        s_inv[1, 1] = (s[0, 0] * s[2, 2] - s[0, 2] * s[2, 0]) / det
        s_inv[1, 2] = (s[0, 2] * s[1, 0] - s[0, 0] * s[1, 2]) / det
        s_inv[2, 0] = (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]) / det
        s_inv[2, 1] = (s[0, 1] * s[2, 0] - s[0, 0] * s[2, 1]) / det
        s_inv[2, 2] = (s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]) / det
        _matmul(pht, s_inv, k)
        # P = (I - K H) P_t = P_t - K (H P_t)
        _matmul(h, pt, hp)
        _matmul(k, hp, p)
        for i in range(4):
            for j in range(4):
                p[i, j] = pt[i, j] - p[i, j]
        norm = 0.0
        for i in range(4):
            kv[i] = qt[i] + k[i, 0] * v0 + k[i, 1] * v1 + k[i, 2] * v2
            norm += kv[i] * kv[i]
        norm = np.sqrt(norm)
        for i in range(4):
            q[i] = kv[i] / norm
        out[t] = q
    return out


def complementary_imu(gyr: np.ndarray, acc: np.ndarray, dt: float, gain: float,
                      w0: np.ndarray) -> np.ndarray:
    """ahrs ``Complementary`` without magnetometer: roll/pitch blend of gyro rates and tilt, then ZYX quaternion.

    ahrs computes the accelerometer tilt and the quaternions with whole-array numpy and loops in Python
    only over the blend. Here the tilt uses numpy's SIMD ``arctan2`` (ahrs normalises the accelerometer
    first; ``arctan2`` does not depend on the scale, so that only changes rounding) and the blend and
    quaternions run compiled (:func:`_complementary_blend`).
    """
    ax, ay, az = acc[:, 0], acc[:, 1], acc[:, 2]
    roll = np.arctan2(ay, az)
    pitch = np.arctan2(-ax, np.sqrt(ay * ay + az * az))
    return _complementary_blend(gyr, roll, pitch, dt, gain, np.asarray(w0, dtype=float))


@njit(cache=True, nogil=True)
def _complementary_blend(gyr: np.ndarray, tilt_roll: np.ndarray, tilt_pitch: np.ndarray, dt: float,
                         gain: float, w0: np.ndarray) -> np.ndarray:
    """Roll/pitch recurrence of ahrs ``Complementary`` and its ``from_rpy`` quaternions (yaw 0 after sample 0)."""
    n = gyr.shape[0]
    out = np.empty((n, 4))
    roll, pitch = w0[0], w0[1]
    for t in range(n):
        if t > 0:
            roll = (roll + gyr[t, 0] * dt) * gain + tilt_roll[t] * (1.0 - gain)
            pitch = (pitch + gyr[t, 1] * dt) * gain + tilt_pitch[t] * (1.0 - gain)
        # cos and sin of the half angles from one tangent of the quarter angle (half the libm calls)
        ur, up = np.tan(0.25 * roll), np.tan(0.25 * pitch)
        dr, dp = 1.0 / (1.0 + ur * ur), 1.0 / (1.0 + up * up)
        cr, sr = (1.0 - ur * ur) * dr, 2.0 * ur * dr
        cp, sp = (1.0 - up * up) * dp, 2.0 * up * dp
        out[t, 0], out[t, 1], out[t, 2], out[t, 3] = cp * cr, cp * sr, sp * cr, -sp * sr
    if w0[2] != 0.0:
        # ahrs keeps w0's yaw for the first sample only; later yaws stay zero
        cy, sy = np.cos(0.5 * w0[2]), np.sin(0.5 * w0[2])
        cp, sp = np.cos(0.5 * w0[1]), np.sin(0.5 * w0[1])
        cr, sr = np.cos(0.5 * w0[0]), np.sin(0.5 * w0[0])
        out[0, 0] = cy * cp * cr + sy * sp * sr
        out[0, 1] = cy * cp * sr - sy * sp * cr
        out[0, 2] = sy * cp * sr + cy * sp * cr
        out[0, 3] = sy * cp * cr - cy * sp * sr
    return out


@njit(cache=True, nogil=True)
def tilt_angles_from_acc(ax: float, ay: float, az: float) -> np.ndarray:
    """Roll, pitch, yaw=0 (rad) of the accelerometer direction, as ahrs ``Complementary.am_estimation``."""
    a_norm = np.sqrt(ax * ax + ay * ay + az * az)
    ax, ay, az = ax / a_norm, ay / a_norm, az / a_norm
    return np.array([np.arctan2(ay, az), np.arctan2(-ax, np.sqrt(ay * ay + az * az)), 0.0])


@njit(cache=True, nogil=True)
def _lowpass_zero_phase(x: np.ndarray, b: np.ndarray, a: np.ndarray, zi: np.ndarray, starts: np.ndarray,
                        n_init: int) -> None:
    """Second-order IIR filter (b, a) run forward then backward over each column of x, in place, separately
    on each piece ``[starts[j], starts[j + 1])`` (``starts`` begins with 0 and ends with len(x)).

    The forward pass starts in the steady state (``zi``: unit-step steady state) of the mean of the piece's
    first ``n_init`` samples, so a piece that starts in motion does not take one sample's acceleration for
    gravity; the backward pass starts in the steady state of the forward output's last value.
    """
    m = x.shape[1]
    for j in range(starts.shape[0] - 1):
        lo, hi = starts[j], starts[j + 1]
        if hi <= lo:
            continue
        for k in range(m):
            first = 0.0
            for i in range(lo, min(hi, lo + n_init)):
                first += float(x[i, k])
            first /= min(hi, lo + n_init) - lo
            for backward in (False, True):
                if backward:
                    first = float(x[hi - 1, k])
                s1, s2 = zi[0] * first, zi[1] * first
                for jj in range(hi - lo):
                    i = hi - 1 - jj if backward else lo + jj
                    u = float(x[i, k])
                    y = b[0] * u + s1
                    s1 = b[1] * u - a[1] * y + s2
                    s2 = b[2] * u - a[2] * y
                    x[i, k] = y


@njit(cache=True, nogil=True)
def smoothed_strapdown(gyr: np.ndarray, acc: np.ndarray, dt: float, b: np.ndarray, a: np.ndarray,
                       zi: np.ndarray, starts: np.ndarray, n_init: int) -> np.ndarray:
    """Orientation (n, 4), float32, from bias-free gyroscope integration with zero-phase inclination correction.

    The offline scheme of VQF (Laidig and Seel 2023, sec. "offline"), with the gyroscope bias given
    instead of estimated: (1) integrate the gyroscope into a quasi-inertial frame; (2) express the
    accelerometer in that frame and low-pass it forward and backward (b, a: second-order Butterworth at
    the ``tauAcc`` cutoff), which averages out the accelerations of walking without lag; (3) turn the
    inertial frame, step by step, so the filtered specific force points up (world z), and output that
    correction applied to the integrated orientation. The low-pass of step (2) runs separately on each
    piece ``[starts[j], starts[j + 1])`` (see :func:`_lowpass_zero_phase`): a piece boundary lets the
    inclination correction jump there, for an integrated rotation that may be wrong at that sample
    (filled-in samples of a gap), instead of spreading its tilt error over the seconds on both sides.
    """
    n = gyr.shape[0]
    out = np.empty((n, 4), dtype=np.float32)  # integrated, then corrected orientation
    acc_i = np.empty((n, 3), dtype=np.float32)  # filter states stay float64; samples are stored rounded
    w, x, y, z = 1.0, 0.0, 0.0, 0.0
    for i in range(n):
        gx, gy, gz = float(gyr[i, 0]), float(gyr[i, 1]), float(gyr[i, 2])
        rate = np.sqrt(gx * gx + gy * gy + gz * gz)
        if rate > 1e-12:
            half = 0.5 * rate * dt
            c = np.cos(half)
            s = np.sin(half) / rate
            dw, dx, dy, dz = c, s * gx, s * gy, s * gz
            # q <- q * dq (body-frame rotation step)
            w, x, y, z = (w * dw - x * dx - y * dy - z * dz, w * dx + x * dw + y * dz - z * dy,
                          w * dy - x * dz + y * dw + z * dx, w * dz + x * dy - y * dx + z * dw)
            norm = np.sqrt(w * w + x * x + y * y + z * z)
            w, x, y, z = w / norm, x / norm, y / norm, z / norm
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = w, x, y, z
        # v_inertial = q v q*
        vx, vy, vz = float(acc[i, 0]), float(acc[i, 1]), float(acc[i, 2])
        tx, ty, tz = 2.0 * (y * vz - z * vy), 2.0 * (z * vx - x * vz), 2.0 * (x * vy - y * vx)
        acc_i[i, 0] = vx + w * tx + y * tz - z * ty
        acc_i[i, 1] = vy + w * ty + z * tx - x * tz
        acc_i[i, 2] = vz + w * tz + x * ty - y * tx
    _lowpass_zero_phase(acc_i, b, a, zi, starts, n_init)
    cw, cx, cy, cz = 1.0, 0.0, 0.0, 0.0  # inertial -> world correction
    for i in range(n):
        vx, vy, vz = float(acc_i[i, 0]), float(acc_i[i, 1]), float(acc_i[i, 2])
        tx, ty, tz = 2.0 * (cy * vz - cz * vy), 2.0 * (cz * vx - cx * vz), 2.0 * (cx * vy - cy * vx)
        ex = vx + cw * tx + cy * tz - cz * ty
        ey = vy + cw * ty + cz * tx - cx * tz
        ez = vz + cw * tz + cx * ty - cy * tx
        norm = np.sqrt(ex * ex + ey * ey + ez * ez)
        if norm > 0.0:
            ex, ey, ez = ex / norm, ey / norm, ez / norm
            # shortest rotation taking e to +z: axis e x z = (ey, -ex, 0), angle acos(ez)
            kw = np.sqrt(0.5 * (ez + 1.0))
            if kw > 1e-6:
                kx, ky = 0.5 * ey / kw, -0.5 * ex / kw
            else:
                kw, kx, ky = 0.0, 1.0, 0.0
            cw, cx, cy, cz = (kw * cw - kx * cx - ky * cy, kw * cx + kx * cw + ky * cz,
                              kw * cy - kx * cz + ky * cw, kw * cz + kx * cy - ky * cx)
            norm = np.sqrt(cw * cw + cx * cx + cy * cy + cz * cz)
            cw, cx, cy, cz = cw / norm, cx / norm, cy / norm, cz / norm
        w, x, y, z = float(out[i, 0]), float(out[i, 1]), float(out[i, 2]), float(out[i, 3])
        out[i, 0] = cw * w - cx * x - cy * y - cz * z
        out[i, 1] = cw * x + cx * w + cy * z - cz * y
        out[i, 2] = cw * y - cx * z + cy * w + cz * x
        out[i, 3] = cw * z + cx * y - cy * x + cz * w
    return out
