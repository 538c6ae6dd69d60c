"""Knee-to-wall (weight-bearing lunge) test: tibial inclination from the shin accelerometer.

Method (pure functions; the live guide is imu_logger.k2w.session):

* A sample is *still* when, over the 0.25 s around it, the angular rate stays below
  ``STILL_GYR_RADPS`` and the acceleration norm within ``STILL_ACC_MPS2`` of gravity: then the
  accelerometer reads gravity alone (specific force, analysis.conventions) in the sensor frame.
* Each trial starts upright: the latest still period of at least ``BASELINE_S`` before the lunge
  gives the shin's standing gravity direction ``g0`` (sensor frame). No mounting calibration is
  needed: the sensor may sit on the shin at any orientation.
* The lunge is the movement after it; its rotation axis (the shin's medio-lateral axis in sensor
  axes) is the principal direction of the angular rate during the movement.
* The end position is a still period of at least ``HOLD_S`` whose gravity direction ``g`` is tilted
  at least ``MIN_TILT_DEG`` from ``g0``. Tibial inclination = the angle between ``g0`` and ``g``
  projected on the plane normal to the rotation axis (sagittal component; without a usable
  rotation the full tilt angle). The highest such hold of the trial counts; the trial ends when the
  shin is back within ``RETURN_TILT_DEG`` of ``g0``.
* Best of the trials per side; the left-right difference is left minus right.

Accuracy: averaging the accelerometer over a 2 s hold leaves noise far below 0.1°; an accelerometer
bias ``b`` tilts gravity by about ``b / 9.81`` rad (0.05 m/s² ≈ 0.3°); see tests/test_k2w.py for
the measured error with random sensor mountings, noise and bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.stillness import still_samples
from analysis.windows import runs

K2W_TRIAL_EVENT = "k2w_trial"
K2W_RESULT_EVENT = "k2w_result"
STILL_GYR_RADPS = 0.2  # ~11 °/s: a held lunge sways less than this
STILL_ACC_MPS2 = 0.8
STILL_WINDOW_S = 0.25
BASELINE_S = 1.0
HOLD_S = 2.0
MIN_TILT_DEG = 10.0
RETURN_TILT_DEG = 5.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def tilt_deg(g0: np.ndarray, g: np.ndarray, axis: np.ndarray | None = None) -> float:
    """Angle (degrees) from gravity direction ``g0`` to ``g`` (sensor frame), about ``axis`` if given.

    With ``axis`` both vectors are projected on the plane normal to it first, so only the rotation
    about that axis (the sagittal inclination) counts.
    """
    a, b = np.asarray(g0, float), np.asarray(g, float)
    if axis is not None:
        n = _unit(np.asarray(axis, float))
        a, b = a - n * (a @ n), b - n * (b @ n)
    a, b = _unit(a), _unit(b)
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b)))


def rotation_axis(gyr: np.ndarray) -> np.ndarray | None:
    """Principal direction (unit, sensor frame) of angular rates (n, 3) in rad/s, None if too little."""
    g = np.asarray(gyr, float)
    if g.shape[0] < 5 or np.sum(g * g) < 0.05:
        return None
    w, v = np.linalg.eigh(g.T @ g)
    return v[:, -1]


@dataclass
class Trial:
    """The outcome of one lunge trial. Times are seconds from the trial start."""

    side: str
    number: int
    inclination_deg: float = float("nan")  # sagittal tibial inclination of the best hold
    total_tilt_deg: float = float("nan")  # full 3-D tilt of that hold
    hold_start_s: float = float("nan")
    hold_s: float = 0.0
    complete: bool = False

    @property
    def detected(self) -> bool:
        return bool(np.isfinite(self.inclination_deg))


def evaluate_trial(acc: np.ndarray, gyr: np.ndarray, fs_hz: float, side: str = "",
                   number: int = 0) -> Trial:
    """Find baseline, holds and return in one trial's samples (see module docstring)."""
    trial = Trial(side, number)
    still = still_samples(acc, gyr, fs_hz, gyr_max_radps=STILL_GYR_RADPS, acc_dev_max_mps2=STILL_ACC_MPS2,
                          window_s=STILL_WINDOW_S)  # the zero-velocity rule of the gait analysis
    g0, base_end, best = None, 0, None
    for start, end in runs(still):
        g = acc[start:end].mean(axis=0)
        duration = (end - start) / fs_hz
        if g0 is None:
            if duration >= BASELINE_S:
                g0, base_end = g, end
            continue
        if best is not None and tilt_deg(g0, g) <= RETURN_TILT_DEG:
            trial.complete = True
            break
        if duration >= HOLD_S and tilt_deg(g0, g) >= MIN_TILT_DEG:
            axis = rotation_axis(gyr[base_end:start])
            incl = tilt_deg(g0, g, axis)
            if best is None or incl > best[0]:
                best = (incl, tilt_deg(g0, g), start / fs_hz, duration)
        elif best is None and duration >= BASELINE_S:
            g0, base_end = g, end  # still standing (or settling): the latest upright pose counts
    if best is not None:
        trial.inclination_deg, trial.total_tilt_deg, trial.hold_start_s, trial.hold_s = best
    return trial


def trial_event(trial: Trial) -> dict:
    """Fields of the ``k2w_trial`` event that stores ``trial`` in a recording."""
    return {"side": trial.side, "trial": trial.number,
            "inclination_deg": trial.inclination_deg if trial.detected else None,
            "total_tilt_deg": trial.total_tilt_deg if trial.detected else None,
            "hold_s": trial.hold_s, "detected": trial.detected}


K2W_TRIAL_COLUMNS = ("side", "trial", "inclination_deg", "total_tilt_deg", "hold_s", "detected",
                     "wall_ns")


def k2w_trials_from_events(events: list[dict]) -> pd.DataFrame:
    """The knee-to-wall trials stored in a recording's events, one row each (K2W_TRIAL_COLUMNS)."""
    rows = [{c: e.get(c) for c in K2W_TRIAL_COLUMNS} for e in events if e.get("kind") == K2W_TRIAL_EVENT]
    df = pd.DataFrame(rows, columns=list(K2W_TRIAL_COLUMNS))
    df["inclination_deg"] = pd.to_numeric(df["inclination_deg"], errors="coerce")
    df["total_tilt_deg"] = pd.to_numeric(df["total_tilt_deg"], errors="coerce")
    return df


def best_per_side(trials: pd.DataFrame) -> dict[str, float]:
    """Best (largest) detected inclination per side in degrees; sides without one are absent."""
    out = {}
    for side in ("left", "right"):
        v = trials.loc[trials["side"] == side, "inclination_deg"].dropna()
        if len(v):
            out[side] = float(v.max())
    return out
