"""Checks that decoded samples are physically possible before anyone takes them as data.

A wrong scale factor (a start answer misread, a unit guessed) leaves every sample well formed and
every value wrong by one factor. At rest the accelerometer measures gravity alone, so the median
norm of the samples taken at rest must be about 1 g whatever the mounting.
"""

from __future__ import annotations

import numpy as np

from imu_logger.sensors.base import GRAVITY_MPS2, DecodedStream

#: angular rate below which a sample counts as at rest, rad/s (about 6 °/s: still, or standing)
REST_RATE_RADPS = 0.1
#: samples at rest needed before the check speaks (about a fifth of a second at 100 Hz)
MIN_REST_SAMPLES = 20
#: accepted median norm at rest, in g: sensor offset and scale errors are a few percent
REST_NORM_RANGE_G = (0.85, 1.15)
#: accepted median norm of all samples when too few are at rest, in g (walking stays near 1 g)
ANY_NORM_RANGE_G = (0.6, 1.6)


def gravity_norm_warning(model: str, acc_mps2: np.ndarray, gyr_radps: np.ndarray) -> str | None:
    """A one-line warning naming ``model`` when the acceleration norm cannot be gravity, else None.

    ``acc_mps2`` and ``gyr_radps`` are (n, 3) in m/s² and rad/s. The samples at rest (angular rate
    below :data:`REST_RATE_RADPS`) decide when there are enough of them; otherwise all samples,
    with a wider band. Too few finite samples: no verdict (None).
    """
    acc = np.asarray(acc_mps2, np.float64).reshape(-1, 3)
    gyr = np.asarray(gyr_radps, np.float64).reshape(-1, 3)
    finite = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
    norm_g = np.linalg.norm(acc[finite], axis=1) / GRAVITY_MPS2
    rest = np.linalg.norm(gyr[finite], axis=1) < REST_RATE_RADPS
    if np.count_nonzero(rest) >= MIN_REST_SAMPLES:
        median, (lo, hi), where = float(np.median(norm_g[rest])), REST_NORM_RANGE_G, "at rest"
    elif norm_g.size >= MIN_REST_SAMPLES:
        median, (lo, hi), where = float(np.median(norm_g)), ANY_NORM_RANGE_G, "over all samples"
    else:
        return None
    if lo <= median <= hi:
        return None
    return (f"{model}: implausible scale: the median acceleration norm {where} is {median:.3g} g, "
            f"not about 1 g; these accelerations are not trustworthy")


def with_gravity_check(model: str, stream: DecodedStream) -> DecodedStream:
    """``stream`` with :func:`gravity_norm_warning`'s warning, if any, added to its notes."""
    warning = gravity_norm_warning(model, stream.acc_mps2, stream.gyr_radps)
    if warning and len(stream):
        stream.notes.append((int(stream.notification_index[0]), warning))
        stream.notes.sort()
    return stream
