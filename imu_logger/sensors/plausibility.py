"""Checks that decoded samples are physically possible before anyone takes them as data.

A wrong scale factor (a start answer misread, a unit guessed) leaves every sample well formed and
every value wrong by one factor. At rest the accelerometer measures gravity alone, so the median
norm of the samples taken at rest must be about 1 g whatever the mounting.
"""

from __future__ import annotations

import numba
import numpy as np

from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import DecodedStream

#: angular rate below which a sample counts as at rest, rad/s (about 6 °/s: still, or standing)
REST_RATE_RADPS = 0.1
#: samples at rest needed before the check speaks (about a fifth of a second at 100 Hz)
MIN_REST_SAMPLES = 20
#: accepted median norm at rest, in g: sensor offset and scale errors are a few percent
REST_NORM_RANGE_G = (0.85, 1.15)
#: accepted median norm of all samples when too few are at rest, in g (walking stays near 1 g)
ANY_NORM_RANGE_G = (0.6, 1.6)


#: the words that start a scale warning (analysis warnings pick them out of the decoder notes)
IMPLAUSIBLE_SCALE = "implausible scale"

def gravity_norm_warning(model: str, acc_mps2: np.ndarray, gyr_radps: np.ndarray) -> str | None:
    """A one-line warning naming ``model`` when the acceleration norm cannot be gravity, else None.

    ``acc_mps2`` and ``gyr_radps`` are (n, 3) in m/s² and rad/s. The samples at rest (angular rate
    below :data:`REST_RATE_RADPS`) decide when there are enough of them; otherwise all samples,
    with a wider band. Too few finite samples: no verdict (None).
    """
    acc = np.asarray(acc_mps2, np.float64).reshape(-1, 3)
    gyr = np.asarray(gyr_radps, np.float64).reshape(-1, 3)
    norm_g, n_rest = _norms_rest_first(acc, gyr, REST_RATE_RADPS, GRAVITY_MPS2)
    # norm_g is this function's own array: the medians may reorder it (no copy of a day's norms)
    if n_rest >= MIN_REST_SAMPLES:
        median, (lo, hi), where = float(np.median(norm_g[:n_rest], overwrite_input=True)), REST_NORM_RANGE_G, "at rest"
    elif norm_g.size >= MIN_REST_SAMPLES:
        median, (lo, hi), where = float(np.median(norm_g, overwrite_input=True)), ANY_NORM_RANGE_G, "over all samples"
    else:
        return None
    if lo <= median <= hi:
        return None
    return (f"{model}: {IMPLAUSIBLE_SCALE}: the median acceleration norm {where} is {median:.3g} g, "
            f"not about 1 g; these accelerations are not trustworthy")


@numba.njit(cache=True)
def _norms_rest_first(acc: np.ndarray, gyr: np.ndarray, rest_radps: float, g: float) -> tuple[np.ndarray, int]:
    """|acc| / g (g units) of the rows with finite acc and gyr, those at rest (|gyr| < rest_radps) first
    (in any order: only their median is used), and how many are at rest. One pass, no temporaries;
    norms summed x² + y² + z² in that order, as np.linalg.norm does."""
    n = acc.shape[0]
    out = np.empty(n)
    rest, moving = 0, n - 1
    for i in range(n):
        ax, ay, az, gx, gy, gz = acc[i, 0], acc[i, 1], acc[i, 2], gyr[i, 0], gyr[i, 1], gyr[i, 2]
        if not (np.isfinite(ax) and np.isfinite(ay) and np.isfinite(az)
                and np.isfinite(gx) and np.isfinite(gy) and np.isfinite(gz)):
            continue
        norm = np.sqrt(ax * ax + ay * ay + az * az) / g
        if np.sqrt(gx * gx + gy * gy + gz * gz) < rest_radps:
            out[rest] = norm
            rest += 1
        else:
            out[moving] = norm
            moving -= 1
    # finite rows: [0, rest) at rest, (moving, n) moving; close the gap
    n_moving = n - 1 - moving
    for k in range(n_moving):  # forward: the target lies before the source
        out[rest + k] = out[moving + 1 + k]
    return out[:rest + n_moving], rest


def with_gravity_check(model: str, stream: DecodedStream) -> DecodedStream:
    """``stream`` with :func:`gravity_norm_warning`'s warning, if any, added to its notes."""
    warning = gravity_norm_warning(model, stream.acc_mps2, stream.gyr_radps)
    if warning and len(stream):
        stream.notes.append((int(stream.notification_index[0]), warning))
        stream.notes.sort()
    return stream
