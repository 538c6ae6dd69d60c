"""Walking periods of one sensor: sustained rhythmic rotation (the calibration's use of "walking").

Used for the flexion axis, the placement checks and slip detection, which need several seconds of
gait; the strides themselves come from analysis.events.
"""

from __future__ import annotations

import numpy as np

from analysis.windows import drop_short, moving

#: walking: moving RMS of the gyroscope norm (rad/s) over WALK_WINDOW_S (s) above WALK_GYR_RMS_RADPS,
#: for at least MIN_WALK_S (s). Engineering choice: on the simulator (2 seeds x 4 min, random mounting)
#: the 2 s RMS exceeds 0.85 rad/s in 95 % of walking samples of every shin and foot and is ~0.01 rad/s
#: at rest; 2 s spans one or two strides, and 4 s (about 4 strides) gives several swings for the axis.
WALK_GYR_RMS_RADPS = 0.6
WALK_WINDOW_S = 2.0
MIN_WALK_S = 4.0


def detect_walking(gyr: np.ndarray, rate_hz: float, segments: list[tuple[int, int]]) -> np.ndarray:
    """Samples (n,) in sustained rhythmic motion (walking bouts) of at least ``MIN_WALK_S``."""
    w = max(3, int(round(WALK_WINDOW_S * rate_hz)))
    rms = np.sqrt(moving(np.sum(gyr ** 2, axis=1, keepdims=True), w, segments, "mean")[:, 0])
    return drop_short(np.nan_to_num(rms) > WALK_GYR_RMS_RADPS, int(MIN_WALK_S * rate_hz))
