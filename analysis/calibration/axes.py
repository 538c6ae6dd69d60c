"""Segment axes in the sensor frame: the flexion (medio-lateral) axis, and the mounting built from it.

The mounting ``r_segment_sensor`` has rows segment x, y, z in sensor coordinates: z = the gravity
direction in the neutral pose, y = the flexion axis made orthogonal to z, x = y × z.
"""

from __future__ import annotations

import numpy as np

from analysis.vectors import principal_axis, row_norms


def flexion_axis(gyr: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """Principal axis of the fast (swing) rotations with the rotation about ``vertical`` removed.

    Turning adds rotation about the vertical and slow stance rotations mix in other axes; keeping the
    samples above half the 95th percentile of the rate and removing the vertical part makes the axis
    stable from bout to bout (simulated days: median 0.8°, max 2.9° between bouts, against 3.8° and
    23° for plain PCA).
    """
    rate = row_norms(gyr)
    fast = gyr[rate > 0.5 * np.percentile(rate, 95)]
    v = unit(vertical)
    return principal_axis(fast - np.outer(np.einsum("ij,j->i", fast, v), v))


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def mounting_from_axes(z_sensor: np.ndarray, y_sensor: np.ndarray) -> np.ndarray:
    """Rotation (3, 3) whose rows are segment x, y, z in sensor coordinates (y made orthogonal to z)."""
    z = unit(z_sensor)
    y = unit(y_sensor - np.dot(y_sensor, z) * z)
    return np.vstack([np.cross(y, z), y, z])


def triad(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Rotation S with S @ a1 = b1 exactly and S @ a2 ≈ b2 (TRIAD)."""
    def frame(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        e1 = unit(u)
        e2 = unit(np.cross(u, v))
        return np.column_stack([e1, e2, np.cross(e1, e2)])
    return frame(b1, b2) @ frame(a1, a2).T


def upside_down(r_segment_sensor: np.ndarray) -> bool:
    """True when the sensor axis closest to the segment's vertical points down."""
    z_in_sensor = r_segment_sensor[2]
    k = int(np.argmax(np.abs(z_in_sensor)))
    return bool(z_in_sensor[k] < 0)


def angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(np.dot(unit(u), unit(v))), 0.0, 1.0))))
