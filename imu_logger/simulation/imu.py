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

CHUNK = 200_000  # samples per vectorised block: bounds temporary memory to a few hundred MB


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


def _sensor(out: SideOutput, seg: str, sl: slice, rot_seg: np.ndarray, w: np.ndarray, acc_point: np.ndarray,
            mount: Mount, field: np.ndarray) -> None:
    rot_sensor = rot_seg @ mount.rotation
    f_world = acc_point.copy()
    f_world[:, 2] += GRAVITY_MPS2
    out.acc[seg][sl] = np.einsum("nji,nj->ni", rot_sensor, f_world)
    out.gyr[seg][sl] = w @ mount.rotation
    out.mag[seg][sl] = np.einsum("nji,j->ni", rot_sensor, field)
    out.sensor_quat[seg][sl] = matrices_to_quaternions(rot_sensor)


def generate_side(t: np.ndarray, feet: foot_mod.Segments, ank: ankle_mod.AnkleTable, side: str,
                  mounts: dict[str, Mount], field: np.ndarray, dtype: str) -> SideOutput:
    """Ideal signals of ``side`` at times ``t`` for the segments in ``mounts`` ('shin', 'foot')."""
    n = len(t)
    new = lambda k: {seg: np.empty((n, k), dtype) for seg in mounts}  # noqa: E731
    out = SideOutput(new(3), new(3), new(3), new(4),
                     {seg: np.empty((n, 4), dtype) for seg in ("shin", "foot")}, np.empty((n, 3), dtype))
    for lo in range(0, n, CHUNK):
        sl = slice(lo, min(lo + CHUNK, n))
        tc = t[sl]
        fs = foot_mod.evaluate(feet, feet.index(tc), tc)
        ang, dang, ddang = ankle_mod.evaluate(ank, ank.index(tc), tc)
        rot_shin, w_shin, a_shin = shin_kinematics(fs.rot, fs.w, fs.a, ang, dang, ddang, side)
        out.angles_deg[sl] = ang
        out.segment_quat["foot"][sl] = matrices_to_quaternions(fs.rot)
        out.segment_quat["shin"][sl] = matrices_to_quaternions(rot_shin)
        if "foot" in mounts:
            m = mounts["foot"]
            acc = fs.ankle_acc + point_acceleration(fs.rot, fs.w, fs.a, m.position_m[None, :].repeat(len(tc), 0))
            _sensor(out, "foot", sl, fs.rot, fs.w, acc, m, field)
        if "shin" in mounts:
            m = mounts["shin"]
            acc = fs.ankle_acc + point_acceleration(rot_shin, w_shin, a_shin, m.position_m[None, :].repeat(len(tc), 0))
            _sensor(out, "shin", sl, rot_shin, w_shin, acc, m, field)
    return out
