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

Whole days are handled as quaternions with compiled kernels (analysis.orientation.quaternion), the two
sides in parallel threads, without (n, 3, 3) matrices. Angles are float32 (resolution about 1e-5° at
180°), which halves the table of a 16-hour day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from analysis.errors import UserError

from . import columns as col
from .calibration import Calibration, SensorCalibration, calibrate
from .orientation import DEFAULT_FILTER
from .orientation import quaternion as quat
from .parallel import in_parallel

#: window (s) of the moving median of the shin-foot heading difference; None keeps the neutral one
HEADING_WINDOW_S: float | None = 30.0
#: the moving median runs on every k-th sample so that its window holds about this many samples (the
#: heading difference changes over tens of seconds; a 3000-sample median over a day took ~14 s)
HEADING_MEDIAN_SAMPLES = 301
#: grid times this close (s) to a sample take the sample itself
GRID_TOL_S = 1e-9
#: angle columns of one side, in table order (``{side}_`` prefix)
SIDE_COLUMNS = ("dorsiflexion_deg", "eversion_deg", "internal_rotation_deg", "foot_pitch_deg",
                "foot_roll_deg", "shin_inclination_deg", "gap")


def _time_grid(cal: Calibration) -> np.ndarray:
    """Common time base: the sensors' own if they share one without gaps, else a regular grid at the highest
    rate; empty when no sensor was calibrated."""
    if not cal.sensors:
        return np.zeros(0)
    times = [s.time_s for s in cal.sensors.values()]
    if all(len(s.segments) == 1 and np.array_equal(s.time_s, times[0]) for s in cal.sensors.values()):
        return times[0]
    rate = max(s.rate_hz for s in cal.sensors.values())
    start = min(t[0] for t in times)
    stop = max(t[-1] for t in times)
    return start + np.arange(int(np.floor((stop - start) * rate)) + 1) / rate


def _on_grid(s: SensorCalibration, grid: np.ndarray) -> np.ndarray:
    """Segment-to-world quaternions (m, 4) at grid times: slerp inside contiguous segments, NaN elsewhere."""
    joined = np.ones(len(s.time_s), dtype=bool)
    joined[[b - 1 for _, b in s.segments]] = False
    epochs = np.array([quat.from_matrix(m.r_segment_sensor.T[None])[0] for m in s.mountings])
    q = np.ascontiguousarray(s.quaternions)
    return quat.on_grid(s.time_s, q, joined, s.epoch_index().astype(np.int64), epochs, grid, GRID_TOL_S)


def _block_index(s: SensorCalibration, grid: np.ndarray) -> np.ndarray:
    """Index of the sensor's filter block in force at each grid time."""
    starts = np.array([s.time_s[a] for a, _ in s.blocks])
    return np.searchsorted(starts, grid, side="right")


def _moving_median(d: np.ndarray, window: int) -> np.ndarray:
    """Centred moving median over ``window`` samples, on every k-th sample and interpolated back."""
    k = max(1, window // HEADING_MEDIAN_SAMPLES)
    sub = pd.Series(d[::k]).rolling(max(3, int(round(window / k))), center=True, min_periods=1).median()
    return np.interp(np.arange(len(d)), np.arange(0, len(d), k), sub.to_numpy())


def _heading_turn(q_shin: np.ndarray, q_foot: np.ndarray, blocks: np.ndarray, grid: np.ndarray,
                  window_s: float | None) -> np.ndarray:
    """Rotation (rad, about the world vertical) that brings the foot's heading onto the shin's.

    The heading difference of the two flexion axes is smoothed (moving median over ``window_s``, or
    the median of the whole block when None) within each stretch where both filters run unbroken.
    """
    diff = quat.heading_of_y(q_foot) - quat.heading_of_y(q_shin)
    turn = np.full(len(grid), np.nan)
    step = np.median(np.diff(grid)) if len(grid) > 1 else 1.0
    finite = np.isfinite(diff)
    edges = np.concatenate([[0], np.flatnonzero(np.diff(blocks)) + 1, [len(grid)]])  # blocks never decrease
    for a, b in zip(edges[:-1], edges[1:]):
        idx = a + np.flatnonzero(finite[a:b])
        if len(idx) == 0:
            continue
        d = np.unwrap(diff[idx])
        if window_s is None:
            turn[idx] = np.median(d)
        else:
            turn[idx] = _moving_median(d, max(3, int(round(window_s / step))))
    return turn


def _neutral_quaternion(q_shin: np.ndarray, q_foot: np.ndarray, turn: np.ndarray) -> np.ndarray:
    """Mean foot-relative-to-shin rotation (4,) of the given (neutral) samples, heading matched."""
    ok = np.isfinite(q_shin).all(axis=1) & np.isfinite(q_foot).all(axis=1) & np.isfinite(turn)
    if not ok.any():
        raise UserError("the neutral period has no valid orientation")
    half = -0.5 * turn[ok]
    q_turn = np.column_stack([np.cos(half), np.zeros_like(half), np.zeros_like(half), np.sin(half)])
    rel = quat.multiply(quat.conjugate(q_shin[ok]), quat.multiply(q_turn, q_foot[ok]))
    return Rotation.from_quat(rel[:, [1, 2, 3, 0]]).mean().as_quat()[[3, 0, 1, 2]]


def _empty_table(cal: Calibration) -> pd.DataFrame:
    table: dict[str, np.ndarray] = {col.TIME: np.zeros(0)}
    for side in cal.neutral_s:
        for name in SIDE_COLUMNS:
            table[f"{side}_{name}"] = np.zeros(0, dtype=bool if name == "gap" else np.float32)
    return pd.DataFrame(table)


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


def angles_from_calibration(cal: Calibration, heading_window_s: float | None = HEADING_WINDOW_S, *,
                            grid: np.ndarray | None = None,
                            neutral_quaternions: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Angle table (see module docstring) from an existing calibration; empty (with the columns of the
    calibrated sides) when no sensor could be calibrated.

    ``grid`` (s) replaces the common time base, and ``neutral_quaternions`` (side -> (4,), see
    :func:`neutral_quaternion`) the neutral pose found in ``cal.neutral_s``: a piece of a recording
    (analysis.streamed) is computed on the whole recording's grid with the whole recording's neutral."""
    grid = _time_grid(cal) if grid is None else grid
    if len(grid) == 0:
        return _empty_table(cal)
    sides = [side for side in ("left", "right")
             if f"{side}_shin" in cal.sensors or f"{side}_foot" in cal.sensors]
    table: dict[str, np.ndarray] = {col.TIME: grid}
    given = neutral_quaternions or {}
    for columns in in_parallel(lambda side: _side_angles(cal, side, grid, heading_window_s, given.get(side)), sides):
        table.update(columns)
    return pd.DataFrame(table, copy=False)  # the computed columns as they are, not copied into one block


def neutral_quaternion(cal: Calibration, side: str, grid: np.ndarray,
                       heading_window_s: float | None = HEADING_WINDOW_S) -> np.ndarray | None:
    """The mean foot-to-shin rotation (4,) of ``side`` in its neutral period ``cal.neutral_s[side]``, heading
    matched as the angle table does, from the orientations on ``grid`` (s; it must cover the neutral period
    and half the heading window around it); None without both sensors of that side."""
    shin, foot = cal.sensors.get(f"{side}_shin"), cal.sensors.get(f"{side}_foot")
    if shin is None or foot is None:
        return None
    q_shin, q_foot = _on_grid(shin, grid), _on_grid(foot, grid)
    valid = np.isfinite(q_shin).all(axis=1) & np.isfinite(q_foot).all(axis=1)
    return _side_neutral(cal, side, shin, foot, q_shin, q_foot, valid, grid, heading_window_s)[1]


def _pair_turn(shin: SensorCalibration, foot: SensorCalibration, q_shin: np.ndarray, q_foot: np.ndarray,
               grid: np.ndarray, heading_window_s: float | None) -> np.ndarray:
    """:func:`_heading_turn` within the stretches where both sensors' filter blocks run unbroken."""
    blocks = _block_index(shin, grid) * (len(foot.blocks) + 1) + _block_index(foot, grid)
    return _heading_turn(q_shin, q_foot, blocks, grid, heading_window_s)


def _side_neutral(cal: Calibration, side: str, shin: SensorCalibration, foot: SensorCalibration,
                  q_shin: np.ndarray, q_foot: np.ndarray, valid: np.ndarray, grid: np.ndarray,
                  heading_window_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The heading turn of the foot onto the shin on the grid, and the neutral quaternion (4,)."""
    turn = _pair_turn(shin, foot, q_shin, q_foot, grid, heading_window_s)
    neutral = cal.neutral_s[side]
    in_neutral = (grid >= neutral[0]) & (grid <= neutral[1]) & valid
    return turn, _neutral_quaternion(q_shin[in_neutral], q_foot[in_neutral], turn[in_neutral])


def _side_angles(cal: Calibration, side: str, grid: np.ndarray, heading_window_s: float | None,
                 q_neutral: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The angle columns of one side (see module docstring) on the grid; ``q_neutral`` (4,) given or
    found in the neutral period."""
    shin, foot = cal.sensors.get(f"{side}_shin"), cal.sensors.get(f"{side}_foot")
    table: dict[str, np.ndarray] = {}
    sign = 1.0 if side == "left" else -1.0  # analysis.conventions.side_sign
    q_shin = _on_grid(shin, grid) if shin is not None else None
    q_foot = _on_grid(foot, grid) if foot is not None else None
    valid = np.ones(len(grid), dtype=bool)
    for q in (q_shin, q_foot):
        if q is not None:
            valid &= np.isfinite(q).all(axis=1)
    if q_shin is not None and q_foot is not None:
        if q_neutral is None:
            turn, q_neutral = _side_neutral(cal, side, shin, foot, q_shin, q_foot, valid, grid, heading_window_s)
        else:
            turn = _pair_turn(shin, foot, q_shin, q_foot, grid, heading_window_s)
        angles = quat.ankle_angles_deg(q_shin, q_foot, turn, q_neutral, sign)
        angles[~valid] = np.nan
        table[f"{side}_dorsiflexion_deg"] = angles[:, 0]
        table[f"{side}_eversion_deg"] = angles[:, 1]
        table[f"{side}_internal_rotation_deg"] = angles[:, 2]
    if q_foot is not None:
        tilt = quat.tilt_deg(q_foot)  # heading-free, so the unmatched foot gives the same
        table[f"{side}_foot_pitch_deg"] = -tilt[:, 0]
        table[f"{side}_foot_roll_deg"] = sign * tilt[:, 1]
    if q_shin is not None:
        table[f"{side}_shin_inclination_deg"] = quat.tilt_deg(q_shin)[:, 0]
    table[f"{side}_gap"] = ~valid
    return table
