"""The neutral pose of a side: the first period in which every sensor of the side is still in one posture.

That is quiet standing at the start of the recording, as the protocol asks, or an interval the user
gives. A warning is given by the caller when no walking follows it within ``NEUTRAL_BEFORE_WALK_S``.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import UserError
from analysis.vectors import row_norms
from analysis.windows import runs

from .sensor import SensorData

#: the neutral pose lasts at least this long (s): one rest period of analysis.stillness
MIN_NEUTRAL_S = 1.0
#: a still period is split where the posture changes by more than this (deg; engineering choice: small
#: against a change of posture such as sitting down, large against the sway of quiet standing)
POSE_TOL_DEG = 2.0
#: neutral standing should be followed by walking within this time (s; the protocol asks the walker to
#: stand a few seconds and then walk)
NEUTRAL_BEFORE_WALK_S = 15.0


def neutral_interval(side_sensors: list[SensorData], given: tuple[float, float] | None,
                      side: str) -> tuple[tuple[float, float], bool]:
    """Neutral period [start, end] in seconds and whether it is followed by walking."""
    if given is not None:
        a, b = given
        for s in side_sensors:
            if ((s.t >= a) & (s.t <= b)).sum() < 2:
                raise UserError(f"neutral interval {a}–{b} s has no samples of sensor {s.source!r}")
        return (float(a), float(b)), True
    # common still time on a grid of the first sensor
    ref = side_sensors[0]
    still = ref.still.copy()
    for s in side_sensors[1:]:
        still &= np.interp(ref.t, s.t, s.still.astype(float), left=0.0, right=0.0) > 0.5
    for a, b in runs(still):
        directions = []
        for s in side_sensors:  # gravity directions of this still run only, on the reference times
            acc = np.column_stack([np.interp(ref.t[a:b], s.t, s.acc[:, k]) for k in range(3)])
            directions.append(acc / row_norms(acc)[:, None])
        for start, stop in _constant_pose_parts(directions, 0, b - a):
            start, stop = start + a, stop + a
            if ref.t[stop - 1] - ref.t[start] >= MIN_NEUTRAL_S:
                end = ref.t[stop - 1]
                walk_times = np.concatenate([s.t[s.walking] for s in side_sensors])
                soon = bool(np.any((walk_times > end) & (walk_times < end + NEUTRAL_BEFORE_WALK_S)))
                return (float(ref.t[start]), float(end)), soon
    raise UserError(f"{side} side: no quiet standing period found for the neutral pose; mark one "
                    f"(neutral interval) or record a few seconds of standing still")


def _constant_pose_parts(directions: list[np.ndarray], a: int, b: int) -> list[tuple[int, int]]:
    """Split a still run [a, b) where any sensor's gravity direction moves by more than ``POSE_TOL_DEG``
    (a slow change of posture, e.g. sitting down, passes the stillness test)."""
    parts = []
    cos_tol = np.cos(np.radians(POSE_TOL_DEG))
    pos = a
    while pos < b:
        stop, look = b, 256
        while True:  # search ahead in growing chunks: a long still run may hold many postures
            end = min(b, pos + look)
            for d in directions:
                moved = np.flatnonzero(np.einsum("ij,j->i", d[pos:end], d[pos]) < cos_tol)
                if len(moved):
                    stop = min(stop, pos + int(moved[0]))
            if stop < b or end == b:
                break
            look *= 4
        parts.append((pos, stop))
        pos = stop
    return parts
