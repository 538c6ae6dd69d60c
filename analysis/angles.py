"""Continuous ankle angles, foot angles to the ground and shin inclination, in degrees, on one time base.

Input: the samples of each placement and (optionally) their :class:`analysis.calibration.Calibration`.
Output columns (present when the sensors allow; conventions in analysis.conventions):

* ``{side}_dorsiflexion_deg``, ``{side}_eversion_deg``, ``{side}_internal_rotation_deg``: foot relative
  to shin in the joint coordinate system, 0 in the neutral pose (shin and foot on that side needed);
* ``{side}_foot_pitch_deg`` (toes up +), ``{side}_foot_roll_deg`` (eversion side +): the foot relative
  to the ground, not a joint angle; 0 in the neutral pose;
* ``{side}_shin_inclination_deg``: tibia to vertical in the sagittal plane, knee forward +;
* ``{side}_gap``: True where a sensor of that side has no data (a time jump): angles are NaN there and
  nothing is interpolated across it.

Each sensor's filter has its own arbitrary heading. The foot's heading is brought onto the shin's by
the heading difference of their flexion axes, smoothed over ``HEADING_WINDOW_S`` within each stretch
where both filters run unbroken (so slow relative drift of the two filters about the vertical, and the
new heading after a filter restart, are removed, while the within-stride rotation is kept).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation, Slerp

from imu_logger.errors import UserError

from . import columns as col
from .calibration import Calibration, SensorCalibration, calibrate
from .conventions import ankle_angles, foot_ground_angles, shin_inclination
from .orientation import DEFAULT_FILTER

#: window (s) of the moving median of the shin-foot heading difference; None keeps the neutral one
HEADING_WINDOW_S: float | None = 30.0


def _time_grid(cal: Calibration) -> np.ndarray:
    """Common time base: the sensors' own if they share one without gaps, else a regular grid at the highest rate."""
    times = [s.time_s for s in cal.sensors.values()]
    if all(len(s.segments) == 1 and np.array_equal(s.time_s, times[0]) for s in cal.sensors.values()):
        return times[0]
    rate = max(s.rate_hz for s in cal.sensors.values())
    start = min(t[0] for t in times)
    stop = max(t[-1] for t in times)
    return start + np.arange(int(np.floor((stop - start) * rate)) + 1) / rate


def _on_grid(s: SensorCalibration, grid: np.ndarray) -> np.ndarray:
    """Segment-to-world matrices (m, 3, 3) at grid times: slerp inside contiguous segments, NaN elsewhere."""
    mats = s.segment_matrices()
    if len(grid) == len(s.time_s) and np.array_equal(grid, s.time_s):
        return mats
    out = np.full((len(grid), 3, 3), np.nan)
    tol = 1e-9
    for a, b in s.segments:
        ok = np.isfinite(mats[a:b]).all(axis=(1, 2))
        if b - a < 2 or not ok.all():
            continue
        inside = (grid >= s.time_s[a] - tol) & (grid <= s.time_s[b - 1] + tol)
        if inside.any():
            tq = np.clip(grid[inside], s.time_s[a], s.time_s[b - 1])
            out[inside] = Slerp(s.time_s[a:b], Rotation.from_matrix(mats[a:b]))(tq).as_matrix()
    return out


def _heading(r: np.ndarray) -> np.ndarray:
    """Heading (rad) of the segment's medio-lateral (y) axis in the world's horizontal plane."""
    return np.arctan2(r[:, 1, 1], r[:, 0, 1])


def _block_index(s: SensorCalibration, grid: np.ndarray) -> np.ndarray:
    """Index of the sensor's filter block in force at each grid time."""
    starts = np.array([s.time_s[a] for a, _ in s.blocks])
    return np.searchsorted(starts, grid, side="right")


def _align_heading(r_shin: np.ndarray, r_foot: np.ndarray, blocks: np.ndarray,
                   grid: np.ndarray, window_s: float | None) -> np.ndarray:
    """Foot matrices rotated about the world vertical so their heading follows the shin's.

    The heading difference of the two flexion axes is smoothed (moving median over ``window_s``, or
    the median of the whole block when None) within each stretch where both filters run unbroken.
    """
    diff = _heading(r_foot) - _heading(r_shin)
    correction = np.full(len(grid), np.nan)
    step = np.median(np.diff(grid)) if len(grid) > 1 else 1.0
    for block in np.unique(blocks):
        idx = np.flatnonzero((blocks == block) & np.isfinite(diff))
        if len(idx) == 0:
            continue
        d = np.unwrap(diff[idx])
        if window_s is None:
            correction[idx] = np.median(d)
        else:
            w = max(3, int(round(window_s / step)))
            correction[idx] = pd.Series(d).rolling(w, center=True, min_periods=1).median().to_numpy()
    c, s = np.cos(-correction), np.sin(-correction)
    rz = np.zeros((len(grid), 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = c, -s, s, c, 1.0
    return np.einsum("nij,njk->nik", rz, r_foot)


def _mean_rotation(r: np.ndarray) -> np.ndarray:
    ok = np.isfinite(r).all(axis=(1, 2))
    if not ok.any():
        raise UserError("the neutral period has no valid orientation")
    return Rotation.from_matrix(r[ok]).mean().as_matrix()


def angle_table(samples: dict[str, pd.DataFrame], calibration: Calibration | None = None, *,
                neutral_interval_s: tuple[float, float] | None = None, method: str = DEFAULT_FILTER,
                heading_window_s: float | None = HEADING_WINDOW_S, **filter_params) -> pd.DataFrame:
    """Angles of every side the sensors allow, as a DataFrame with ``time_s`` and unit-named columns.

    Without ``calibration``, :func:`analysis.calibration.calibrate` is run on ``samples`` with
    ``neutral_interval_s``, ``method`` and ``filter_params``.
    """
    cal = calibration if calibration is not None else calibrate(
        samples, neutral_interval_s=neutral_interval_s, method=method, **filter_params)
    return angles_from_calibration(cal, heading_window_s=heading_window_s)


def angles_from_calibration(cal: Calibration, heading_window_s: float | None = HEADING_WINDOW_S) -> pd.DataFrame:
    """Angle table (see module docstring) from an existing calibration."""
    grid = _time_grid(cal)
    table: dict[str, np.ndarray] = {col.TIME: grid}
    for side in ("left", "right"):
        shin, foot = cal.sensors.get(f"{side}_shin"), cal.sensors.get(f"{side}_foot")
        if shin is None and foot is None:
            continue
        neutral = cal.neutral_s[side]
        in_neutral = (grid >= neutral[0]) & (grid <= neutral[1])
        gap = np.zeros(len(grid), dtype=bool)
        r_shin = _on_grid(shin, grid) if shin is not None else None
        r_foot = _on_grid(foot, grid) if foot is not None else None
        if r_shin is not None and r_foot is not None:
            blocks = _block_index(shin, grid) * (len(foot.blocks) + 1) + _block_index(foot, grid)
            r_foot = _align_heading(r_shin, r_foot, blocks, grid, heading_window_s)
        for r in (r_shin, r_foot):
            if r is not None:
                gap |= ~np.isfinite(r).all(axis=(1, 2))
        valid = ~gap
        if r_shin is not None and r_foot is not None:
            rel = np.einsum("nji,njk->nik", r_shin[in_neutral & valid], r_foot[in_neutral & valid])
            r_neutral = _mean_rotation(rel)
            angles = np.full((len(grid), 3), np.nan)
            angles[valid] = ankle_angles(r_shin[valid], r_foot[valid], side, r_neutral)
            table[f"{side}_dorsiflexion_deg"] = angles[:, 0]
            table[f"{side}_eversion_deg"] = angles[:, 1]
            table[f"{side}_internal_rotation_deg"] = angles[:, 2]
        if r_foot is not None:
            foot_angles = np.full((len(grid), 2), np.nan)
            ok = np.isfinite(r_foot).all(axis=(1, 2))
            foot_angles[ok] = foot_ground_angles(r_foot[ok], side)
            table[f"{side}_foot_pitch_deg"] = foot_angles[:, 0]
            table[f"{side}_foot_roll_deg"] = foot_angles[:, 1]
        if r_shin is not None:
            incl = np.full(len(grid), np.nan)
            ok = np.isfinite(r_shin).all(axis=(1, 2))
            incl[ok] = shin_inclination(r_shin[ok])
            table[f"{side}_shin_inclination_deg"] = incl
        table[f"{side}_gap"] = gap
    return pd.DataFrame(table)
