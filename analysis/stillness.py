"""When a sensor is still: the two detectors of the analysis, which answer two different questions.

* ``still_samples``: is the sensor at rest around this sample, by the norms of its rates? A sample is
  still when, over a centred window of ``window_s``, the largest gyroscope norm stays below
  ``gyr_max_radps`` and the largest deviation of the accelerometer norm from g below
  ``acc_dev_max_mps2``. It sees the 0.1-0.6 s foot-flat of every stance, which is what the
  zero-velocity update of the stride length needs (analysis.zupt, with its ipol_feet-tuned
  thresholds), and the held lunge of the knee-to-wall test. It needs a gyroscope bias well below
  ``gyr_max_radps`` (MEMS gyroscopes: < 0.05 rad/s).
* ``rest_periods``: periods of at least ``min_s`` in which every gyroscope and accelerometer axis has
  a moving standard deviation below a threshold and the accelerometer norm is near g. It uses the
  spread, not the level, of the rates, so it is insensitive to the gyroscope bias it serves to
  estimate (analysis.calibration.bias), and the neutral pose is one of its periods. A stance is far
  too short to be one.

A sample in a rest period is also a still sample unless the bias exceeds ``gyr_max_radps``; the
converse does not hold. Frames: sensor frame, acc in m/s², gyr in rad/s, rates in Hz.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from analysis.conventions import GRAVITY_MPS2
from analysis.vectors import row_norms
from analysis.windows import column_max, drop_short, moving

#: rest_periods: moving std of each gyroscope axis (rad/s) and accelerometer axis (m/s²) below these
#: over REST_WINDOW_S, accelerometer norm within REST_ACC_NORM_TOL_MPS2 of g, for at least MIN_REST_S.
#: Engineering choice: the simulator's rest samples have a gyroscope std of at most 0.006 rad/s
#: (95th percentile, 2 seeds x 4 min), far below 0.04; the threshold leaves room for real sensors' noise
#: and the sway of quiet standing; 1 s gives a bias median over 50-200 samples.
REST_GYR_STD_RADPS = 0.04
REST_ACC_STD_MPS2 = 0.25
REST_ACC_NORM_TOL_MPS2 = 1.0
REST_WINDOW_S = 0.5
MIN_REST_S = 1.0


def still_samples(acc: np.ndarray, gyr: np.ndarray, fs: float, *, gyr_max_radps: float,
                  acc_dev_max_mps2: float, window_s: float) -> np.ndarray:
    """Boolean (n,): the sensor is still around each sample (see module docstring; ``fs`` in Hz)."""
    half = int(round(window_s * fs / 2))
    gn = row_norms(gyr)
    an = np.abs(row_norms(acc) - GRAVITY_MPS2)
    if half > 0:
        gn = maximum_filter1d(gn, size=2 * half + 1, mode="nearest")
        an = maximum_filter1d(an, size=2 * half + 1, mode="nearest")
    return (gn < gyr_max_radps) & (an < acc_dev_max_mps2)


def rest_periods(acc: np.ndarray, gyr: np.ndarray, rate_hz: float, segments: list[tuple[int, int]], *,
                 gyr_std_radps: float = REST_GYR_STD_RADPS, acc_std_mps2: float = REST_ACC_STD_MPS2,
                 acc_norm_tol_mps2: float = REST_ACC_NORM_TOL_MPS2, window_s: float = REST_WINDOW_S,
                 min_s: float = MIN_REST_S) -> np.ndarray:
    """Boolean (n,): samples in rest periods of at least ``min_s`` (see module docstring); windows do not
    cross the gaps between ``segments`` (contiguous [start, stop) sample ranges)."""
    w = max(3, int(round(window_s * rate_hz)))
    gyr_std = column_max(moving(gyr, w, segments, "std"))
    acc_std = column_max(moving(acc, w, segments, "std"))
    norm_ok = np.abs(row_norms(acc) - GRAVITY_MPS2) < acc_norm_tol_mps2
    still = (gyr_std < gyr_std_radps) & (acc_std < acc_std_mps2) & norm_ok
    return drop_short(still, int(min_s * rate_hz))
