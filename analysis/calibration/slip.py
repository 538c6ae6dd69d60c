"""Slipping sensors: each walking bout's flexion axis and mean gravity direction, in the sensor frame, are
compared with the first bout's; a change larger than ``SLIP_DEG`` means the sensor moved on the segment.
The mounting is re-estimated from the two directions (TRIAD) from that bout on."""

from __future__ import annotations

import numpy as np

from analysis.windows import runs

from .axes import angle_deg, flexion_axis, triad, unit
from .model import MountingEpoch, PlacementWarning
from .sensor import SensorData

#: change of a bout's flexion axis or gravity direction (deg) that counts as the sensor slipping
#: (the flexion axis varies by at most 2.9° between bouts of a simulated day, see axes.flexion_axis)
SLIP_DEG = 10.0
#: bouts shorter than this are not used for slip detection (too few strides for a stable axis)
MIN_SLIP_BOUT_S = 8.0


def _bout_features(s: SensorData) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """(start_s, end_s, flexion axis, mean accelerometer direction) of each long enough walking bout."""
    out = []
    for a, b in runs(s.walking):
        if s.t[b - 1] - s.t[a] >= MIN_SLIP_BOUT_S:
            gravity = unit(s.acc[a:b].mean(axis=0))
            out.append((float(s.t[a]), float(s.t[b - 1]), flexion_axis(s.gyr[a:b], gravity), gravity))
    return out


def slip_epochs(placement: str, s: SensorData, base: np.ndarray,
                 warnings: list[PlacementWarning]) -> list[MountingEpoch]:
    """Mounting epochs: the base mounting, plus a re-estimated one after each detected slip."""
    epochs = [MountingEpoch(float(s.t[0]), base)]
    bouts = _bout_features(s)
    if len(bouts) < 2:
        return epochs
    _, verified_s, ref_axis, ref_grav = bouts[0]
    ref_mount = base
    for start, end, axis, grav in bouts[1:]:
        axis = axis if np.dot(axis, ref_axis) >= 0 else -axis
        d_axis, d_grav = angle_deg(axis, ref_axis), angle_deg(grav, ref_grav)
        if max(d_axis, d_grav) <= SLIP_DEG:
            verified_s = end
            continue
        # the rotation of the sensor on the segment that maps the old features onto the new ones
        slip = triad(ref_grav, ref_axis, grav, axis)
        consistent = abs(angle_deg(ref_grav, ref_axis) - angle_deg(grav, axis)) < 5.0
        mount = ref_mount @ slip.T
        if consistent:
            # the old mounting was last confirmed at the end of the previous matching bout
            epochs.append(MountingEpoch(verified_s, mount))
            ref_axis, ref_grav, ref_mount = axis, grav, mount
        warnings.append(PlacementWarning(
            placement, "slipping",
            f"the sensor moved on the segment between {verified_s:.0f} s and {start:.0f} s (its flexion "
            f"axis turned by {d_axis:.0f}° and its mean gravity direction by {d_grav:.0f}°); "
            + (f"the mounting was re-estimated from {verified_s:.0f} s on" if consistent
               else "angles after this time are unreliable: re-attach the sensor firmly"),
            consistent, verified_s))
        verified_s = end
    return epochs
