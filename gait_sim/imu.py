"""Ideal (error-free) IMU signals of the shin and foot sensors of one side, from exact kinematics.

Shin orientation: ``R_shin = R_foot @ R_ankle.T`` with ``R_ankle`` from
analysis.conventions.ankle_rotation, so ankle_angles() of the true segment orientations returns the
generated curves. Sensor orientation: ``R_sensor = R_segment @ R_segment_sensor``. Accelerometer:
``R_sensor.T @ (a_world + [0, 0, g])`` of the sensor point; gyroscope: body-frame angular velocity;
magnetometer: the fixed earth field in the sensor frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.conventions import GRAVITY_MPS2, ankle_rotation, side_sign

from . import ankle as ankle_mod
from . import foot as foot_mod
from .kinematics import compose_axis, matrices_to_quaternions, point_acceleration

CHUNK = 100_000  # samples per vectorised block: bounds temporary memory to ~0.3 GB


@dataclass
class Mount:
    """How a sensor sits on its segment: rotation sensor → segment and position in the segment frame."""

    rotation: np.ndarray  # (3, 3) R_segment_sensor
    position_m: np.ndarray  # (3,) from the ankle joint centre, segment frame


@dataclass
class SideOutput:
    """Preallocated outputs of one side (n samples); sensor arrays only for requested placements."""

    acc: dict[str, np.ndarray]  # segment name -> (n, 3) specific force, sensor frame
    gyr: dict[str, np.ndarray]
    mag: dict[str, np.ndarray]
    sensor_quat: dict[str, np.ndarray]  # (n, 4) sensor-to-world
    segment_quat: dict[str, np.ndarray]  # (n, 4) segment-to-world
    angles_deg: np.ndarray  # (n, 3) dorsiflexion, eversion, internal rotation


def shin_kinematics(rot_foot: np.ndarray, w_foot: np.ndarray, a_foot: np.ndarray, ang: np.ndarray,
                    dang: np.ndarray, ddang: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shin orientation, body angular velocity and acceleration from the foot and the ankle angles (deg).

    ``R_ankle.T = Rz(s*ir) Rx(-s*ev) Ry(df)`` (s = side sign), the inverse of the intrinsic YXZ
    decomposition in analysis.conventions, composed onto the foot.
    """
    s = side_sign(side)
    rot = rot_foot @ ankle_rotation(ang[:, 0], ang[:, 1], ang[:, 2], side).transpose(0, 2, 1)
    rad, drad, ddrad = np.radians(ang), np.radians(dang), np.radians(ddang)
    w, a = compose_axis(w_foot, a_foot, "z", s * rad[:, 2], s * drad[:, 2], s * ddrad[:, 2])
    w, a = compose_axis(w, a, "x", -s * rad[:, 1], -s * drad[:, 1], -s * ddrad[:, 1])
    w, a = compose_axis(w, a, "y", rad[:, 0], drad[:, 0], ddrad[:, 0])
    return rot, w, a


# 3-point Gauss-Legendre nodes (fractions of the sample period, centred) and weights on [-1/2, 1/2]
GAUSS_NODES = np.array([-0.5 * np.sqrt(0.6), 0.0, 0.5 * np.sqrt(0.6)])
GAUSS_WEIGHTS = np.array([5.0, 8.0, 5.0]) / 18.0


@dataclass
class _Kin:
    """Segment kinematics of one side at a set of times."""

    rot: dict[str, np.ndarray]  # segment -> (n, 3, 3)
    w: dict[str, np.ndarray]  # segment -> body angular velocity
    acc: dict[str, np.ndarray]  # segment -> world acceleration of that segment's sensor point
    angles: np.ndarray  # (n, 3) degrees


def _kinematics(t: np.ndarray, feet: foot_mod.Segments, ank: ankle_mod.AnkleTable, side: str,
                mounts: dict[str, Mount]) -> _Kin:
    fs = foot_mod.evaluate(feet, feet.index(t), t)
    ang, dang, ddang = ankle_mod.evaluate(ank, ank.index(t), t)
    rot_shin, w_shin, a_shin = shin_kinematics(fs.rot, fs.w, fs.a, ang, dang, ddang, side)
    rot = {"foot": fs.rot, "shin": rot_shin}
    w = {"foot": fs.w, "shin": w_shin}
    alpha = {"foot": fs.a, "shin": a_shin}
    acc = {seg: fs.ankle_acc + point_acceleration(rot[seg], w[seg], alpha[seg],
                                                  np.broadcast_to(m.position_m, (len(t), 3)))
           for seg, m in mounts.items()}
    return _Kin(rot, w, acc, ang)


def _sensor_readings(kin: _Kin, seg: str, mount: Mount, field: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Specific force, angular rate and magnetic field in the sensor frame."""
    rot_sensor = kin.rot[seg] @ mount.rotation
    f_world = kin.acc[seg].copy()
    f_world[:, 2] += GRAVITY_MPS2
    return (np.einsum("nji,nj->ni", rot_sensor, f_world), kin.w[seg] @ mount.rotation,
            np.einsum("nji,j->ni", rot_sensor, field))


def _moving(t: np.ndarray, feet: foot_mod.Segments, ank: ankle_mod.AnkleTable) -> np.ndarray:
    return ~feet.still[feet.index(t)] | ank.moving(ank.index(t))


def _fill(out: SideOutput, rows: np.ndarray, kin: _Kin, mounts: dict[str, Mount], field: np.ndarray,
          readings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None, take: np.ndarray) -> None:
    """Write outputs for ``rows``; ``take`` maps each row to a row of ``kin`` (and of ``readings``)."""
    out.angles_deg[rows] = kin.angles[take]
    for seg in ("shin", "foot"):
        out.segment_quat[seg][rows] = matrices_to_quaternions(kin.rot[seg])[take]
    for seg, m in mounts.items():
        acc, gyr, mag = readings[seg] if readings is not None else _sensor_readings(kin, seg, m, field)
        out.acc[seg][rows] = acc[take]
        out.gyr[seg][rows] = gyr[take]
        out.mag[seg][rows] = mag[take]
        out.sensor_quat[seg][rows] = matrices_to_quaternions(kin.rot[seg] @ m.rotation)[take]


def generate_side(t: np.ndarray, feet: foot_mod.Segments, ank: ankle_mod.AnkleTable, side: str,
                  mounts: dict[str, Mount], field: np.ndarray, dtype: str, period_s: float | None) -> SideOutput:
    """Ideal signals of ``side`` at times ``t`` for the segments in ``mounts`` ('shin', 'foot').

    With ``period_s`` each reading is the mean of the continuous signal over the sample period centred
    on its time (3-point Gauss-Legendre), the boxcar anti-aliasing of a decimating sensor; with None
    it is the instantaneous value. Orientations and angles are instantaneous. Samples whose period
    lies in still segments (standing, sitting, foot flat with a fixed ankle) are computed once per
    distinct pose.
    """
    n = len(t)
    new = lambda k: {seg: np.empty((n, k), dtype) for seg in mounts}  # noqa: E731
    out = SideOutput(new(3), new(3), new(3), new(4),
                     {seg: np.empty((n, 4), dtype) for seg in ("shin", "foot")}, np.empty((n, 3), dtype))
    offsets = GAUSS_NODES * period_s if period_s else np.zeros(1)
    weights = GAUSS_WEIGHTS if period_s else np.ones(1)
    for lo in range(0, n, CHUNK):
        tc = t[lo:lo + CHUNK]
        rows = np.arange(lo, lo + len(tc))
        moving = _moving(tc, feet, ank)
        for dt in offsets[offsets != 0]:
            moving |= _moving(tc + dt, feet, ank)
        mv = np.flatnonzero(moving)
        if len(mv):
            kin = _kinematics(tc[mv], feet, ank, side, mounts)
            readings = {seg: tuple(np.zeros((len(mv), 3)) for _ in range(3)) for seg in mounts}
            for dt, wt in zip(offsets, weights):
                node = kin if dt == 0 else _kinematics(tc[mv] + dt, feet, ank, side, mounts)
                for seg, m in mounts.items():
                    for total, x in zip(readings[seg], _sensor_readings(node, seg, m, field)):
                        total += wt * x
            _fill(out, rows[mv], kin, mounts, field, readings, np.arange(len(mv)))
        st = np.flatnonzero(~moving)
        if len(st):
            key = feet.index(tc[st]) * len(ank.start) + ank.index(tc[st])
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            kin = _kinematics(tc[st][first], feet, ank, side, mounts)
            _fill(out, rows[st], kin, mounts, field, None, inverse)
    return out
