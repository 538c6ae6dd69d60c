"""Coordinate frames, signs and the ankle joint coordinate system, shared by analysis and simulator.

Frames (right-handed, identical for both sides, like gaitmap's body frame but not mirrored):

* **world**: z up (against gravity), x and y horizontal; heading is arbitrary.
* **segment** (shin or foot) in the neutral pose (quiet standing, shin vertical, foot flat):
  x anterior (shin: forward; foot: heel to toe), y left, z superior (shin: along the tibia;
  foot: normal to the sole). So y is the medio-lateral axis on both sides, pointing left.
* **sensor**: the sensor's own axes; ``R_segment_sensor`` maps sensor vectors into the segment frame.

An orientation is the rotation matrix (or scalar-first quaternion ``[w, x, y, z]``) that maps vectors
from the body (segment or sensor) frame into the world frame: ``v_world = R @ v_body``.

Accelerometers measure specific force: ``f_body = R.T @ (a_world + [0, 0, g])``, so a sensor at rest
reads +9.81 m/s² on its up axis. Gyroscopes measure body-frame angular velocity in rad/s.

Ankle angles (joint coordinate system after Wu et al. 2002, ISB): the foot relative to the shin,
``R_ankle = R_shin.T @ R_foot``, decomposed intrinsically as ``R_y(a) @ R_x(b) @ R_z(c)``: first about
the shin's medio-lateral axis, then the floating (≈ anterior-posterior) axis, then the foot's long
vertical axis.

* ``dorsiflexion_deg = -a``: toes up is positive on both sides (plantarflexion negative).
* ``eversion_deg = +b`` on the left, ``-b`` on the right: sole turning laterally is positive
  (eversion = pronation in this project), inversion negative.
* ``internal_rotation_deg = +c`` on the right, ``-c`` on the left: toes turning medially positive.

Angles are referenced to the neutral pose: ``R_ankle_neutral.T @ R_ankle`` is decomposed, so quiet
standing is 0° in all three.

Foot-only angles relative to the ground (no shin sensor): intrinsic ``R_z(yaw) @ R_y(p) @ R_x(r)``
of the foot orientation; ``foot_pitch_deg = -p`` (toes up positive) and ``foot_roll_deg`` with the
eversion sign of the side. Shin inclination (what the knee-to-wall test measures) is ``p`` of the shin
(tibia top forward of the ankle positive).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

Side = Literal["left", "right"]
LEG_PLACEMENTS: tuple[str, ...] = ("left_shin", "left_foot", "right_shin", "right_foot")
#: every placement a sensor can have; ``lower_back`` is over L5/S1 (the Mobilise-D position), optional
PLACEMENTS: tuple[str, ...] = (*LEG_PLACEMENTS, "lower_back")
GRAVITY_MPS2 = 9.80665


def side_sign(side: Side) -> float:
    """+1 for the left side, -1 for the right: the sign that turns ``b`` into eversion."""
    if side == "left":
        return 1.0
    if side == "right":
        return -1.0
    raise ValueError(f"side must be 'left' or 'right', not {side!r}")


def ankle_rotation(dorsiflexion_deg: np.ndarray, eversion_deg: np.ndarray,
                   internal_rotation_deg: np.ndarray, side: Side) -> np.ndarray:
    """Foot-relative-to-shin rotation matrices (n, 3, 3) from ankle angles in degrees."""
    s = side_sign(side)
    angles = np.column_stack([-np.asarray(dorsiflexion_deg, float),
                              s * np.asarray(eversion_deg, float),
                              -s * np.asarray(internal_rotation_deg, float)])
    return Rotation.from_euler("YXZ", angles, degrees=True).as_matrix()


def ankle_angles(r_shin: np.ndarray, r_foot: np.ndarray, side: Side,
                 r_neutral: np.ndarray | None = None) -> np.ndarray:
    """Ankle angles (n, 3) in degrees: dorsiflexion, eversion, internal rotation.

    ``r_shin`` and ``r_foot`` are segment-to-world rotation matrices (n, 3, 3); ``r_neutral`` is the
    foot-relative-to-shin rotation (3, 3) in the neutral pose, or None when the segment frames are
    already referenced to it.
    """
    rel = np.einsum("nji,njk->nik", r_shin, r_foot)
    if r_neutral is not None:
        rel = np.einsum("ji,njk->nik", r_neutral, rel)
    a, b, c = Rotation.from_matrix(rel).as_euler("YXZ", degrees=True).T
    s = side_sign(side)
    return np.column_stack([-a, s * b, -s * c])


def tilt_angles(r_segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pitch and roll (degrees) of segment orientations (n, 3, 3) relative to the ground.

    Pitch is the rotation about the segment's y axis after removing heading (positive tilts the
    segment's x axis down and its z axis forward); roll is about its x axis.
    """
    _, pitch, roll = Rotation.from_matrix(r_segment).as_euler("ZYX", degrees=True).T
    return pitch, roll


def foot_ground_angles(r_foot: np.ndarray, side: Side) -> np.ndarray:
    """Foot-only angles (n, 2) in degrees relative to the ground: pitch (toes up +), roll (eversion +)."""
    pitch, roll = tilt_angles(r_foot)
    return np.column_stack([-pitch, side_sign(side) * roll])


def shin_inclination(r_shin: np.ndarray) -> np.ndarray:
    """Sagittal tibial inclination (n,) in degrees from vertical, knee forward of the ankle positive."""
    pitch, _ = tilt_angles(r_shin)
    return pitch
