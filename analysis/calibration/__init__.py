"""Automatic calibration of each sensor: gyroscope bias, sensor-to-segment mounting, neutral pose, checks.

Nothing is asked of the walker. The steps, one module each (frames and signs from analysis.conventions):

* ``sensor``: the samples checked; rest periods (analysis.stillness.rest_periods) and walking periods
  (``walking``); the gyroscope bias (``bias``: median of each rest period, linear in time between
  them); the orientation from the chosen filter (analysis.orientation.segment_orientation: short gaps
  bridged for the filter state only);
* ``swaps``: shin/foot exchanged, legs paired by when they swing (labels corrected when clear);
* ``neutral``: the neutral pose of each side (quiet standing, or an interval the user gives);
* ``axes``: the mounting ``r_segment_sensor`` (rows: segment x, y, z in sensor coordinates): z = the
  mean accelerometer direction in the neutral pose, y = the flexion axis (principal axis of the
  swing rotations during walking, vertical part removed), made orthogonal to z, x = y × z;
* ``axis_sign``: the sign of y from gait physics, so a sensor worn upside down or back to front still
  gives dorsiflexion positive;
* ``sides``: each leg's side from its push-off roll, and the net relabelling of left/right corrections;
* ``slip``: a sensor that moved on its segment, with the mounting re-estimated from then on;
* ``model``: the results (Calibration, SensorCalibration, MountingEpoch, PlacementWarning).

Checks are reported as PlacementWarning naming the placement, in plain words.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from analysis.conventions import LEG_PLACEMENTS
from analysis.errors import UserError
from analysis.orientation import DEFAULT_FILTER, filter_blocks
from analysis.parallel import in_parallel

from .axes import flexion_axis, mounting_from_axes, unit, upside_down
from .axis_sign import side_axis_signs
from .model import Calibration, MountingEpoch, PlacementWarning, SensorCalibration
from .neutral import neutral_interval
from .sensor import SensorData, orientation_of, prepare
from .sides import check_sides, net_relabelling, other_side, side_evidence
from .slip import slip_epochs
from .swaps import check_leg_pairing, check_shin_foot_swap

__all__ = ["Calibration", "MountingEpoch", "PlacementWarning", "SensorCalibration", "calibrate", "calibrate_sensors",
           "side_evidence"]


def calibrate(samples: dict[str, pd.DataFrame], neutral_interval_s: tuple[float, float] | None = None,
              method: str = DEFAULT_FILTER, **filter_params) -> Calibration:
    """Calibrate every sensor of a recording (placement -> samples with analysis.columns columns).

    ``neutral_interval_s`` [start, end] overrides the automatic neutral (quiet standing) period.
    ``method`` and ``filter_params`` select the orientation filter (analysis.orientation.FILTERS).
    """
    _check_placements(samples)
    prepared = dict(zip(samples, in_parallel(lambda item: prepare(*item), list(samples.items()))))
    return calibrate_sensors(prepared, neutral_interval_s, method, **filter_params)


def calibrate_sensors(prepared: dict[str, SensorData], neutral_interval_s: tuple[float, float] | None = None,
                      method: str = DEFAULT_FILTER, **filter_params) -> Calibration:
    """:func:`calibrate` from each sensor's working data (analysis.calibration.sensor.SensorData: checked
    samples, rest and walking periods, bias-corrected gyroscope) found already, e.g. by a streamed
    analysis from pieces of a long recording (analysis.streamed)."""
    _check_placements(prepared)
    return _calibrate(prepared, neutral_interval_s, method, filter_params, leg_checks=True)


def _check_placements(samples: dict) -> None:
    unknown = sorted(set(samples) - set(LEG_PLACEMENTS))
    if unknown:
        raise UserError(f"unknown placement {', '.join(unknown)}; use {', '.join(LEG_PLACEMENTS)}")
    if not samples:
        raise UserError("no sensors to calibrate")


def _calibrate(prepared: dict[str, SensorData], neutral_interval_s: tuple[float, float] | None, method: str,
               filter_params: dict, leg_checks: bool) -> Calibration:
    warnings: list[PlacementWarning] = []
    sensors = dict(prepared)
    for p, s in sensors.items():
        if not s.still.any():
            warnings.append(PlacementWarning(p, "no_still", "no still period found: gyroscope bias not "
                                             "removed (the filter's own bias estimate is relied on)", False))
    sensors = check_shin_foot_swap(sensors, warnings)
    if leg_checks:
        sensors = check_leg_pairing(sensors, warnings)
    paired = any(w.kind == "swapped_left_right" for w in warnings)
    for s, q in zip(sensors.values(), in_parallel(lambda s: orientation_of(s, method, filter_params), list(sensors.values()))):
        s.quats = q

    neutral: dict[str, tuple[float, float]] = {}
    result: dict[str, SensorCalibration] = {}
    for side in ("left", "right"):
        present = [p for p in (f"{side}_shin", f"{side}_foot") if p in sensors]
        if not present:
            continue
        interval, before_walk = neutral_interval([sensors[p] for p in present], neutral_interval_s, side)
        neutral[side] = interval
        if not before_walk:
            warnings.append(PlacementWarning(present[0], "neutral_not_standing",
                                             f"the neutral pose is the first still period "
                                             f"{interval[0]:.1f}–{interval[1]:.1f} s, which is not followed by "
                                             f"walking: check that it is quiet standing", False, interval[0]))
        no_walk = [p for p in present if sensors[p].walking.sum() < sensors[p].rate]
        if no_walk:
            for p in present:
                warnings.append(PlacementWarning(p, "no_walking", "no walking found, so the medio-lateral axis "
                                                 f"cannot be found: no angles for the {side} side", False))
            continue
        zs, axes = {}, {}
        for p in present:
            s = sensors[p]
            in_neutral = (s.t >= interval[0]) & (s.t <= interval[1])
            zs[p] = unit(s.acc[in_neutral].mean(axis=0))
            # vertical removal uses the walking-mean gravity: the shank leans on average while walking
            axes[p] = flexion_axis(s.gyr[s.walking], s.acc[s.walking].mean(axis=0))
        signs = side_axis_signs(sensors, side, axes, zs, warnings)
        for p in present:
            s = sensors[p]
            base = mounting_from_axes(zs[p], signs[p][0] * axes[p])
            up = upside_down(base)
            if up:
                warnings.append(PlacementWarning(p, "upside_down", "the sensor is worn upside down (its most "
                                                 "vertical axis points down); corrected by the automatic "
                                                 "mounting", True))
            epochs = slip_epochs(p, s, base, warnings)
            result[p] = SensorCalibration(p, s.source, s.t, s.rate, s.segments,
                                          filter_blocks(s.t, s.segments), s.still, s.walking, s.bias_s,
                                          s.bias_radps, s.quats, epochs, up, signs[p][1])
    if not leg_checks:
        return Calibration(result, neutral, warnings, method)
    exchange, shown = check_sides(result, {p: sensors[p].gyr for p in result}, warnings)
    lone = [p for p in prepared if sum(q.split("_")[1] == p.split("_")[1] for q in prepared) == 1]
    if paired and len(prepared) == 3 and not exchange:
        # three sensors and a shin swinging with the other side's foot (or a foot with the other side's
        # shin): either the pair of two is exchanged (corrected above) or the lone sensor is on the other
        # side. The leg it forms decides: if that leg moves like the other side, the lone sensor is moved.
        side = lone[0].split("_")[0]
        found, why = shown.get(side, (None, ""))
        if found is not None and found != side:
            moved = other_side(lone[0])
            relabelled = {p: s for p, s in prepared.items() if p != lone[0]}
            relabelled[moved] = prepared[lone[0]]
            cal = _calibrate(relabelled, neutral_interval_s, method, filter_params, leg_checks=False)
            cal.sensors[moved] = dataclasses.replace(cal.sensors[moved], source=lone[0])
            partner = "foot" if lone[0].endswith("shin") else "shin"
            cal.warnings.append(PlacementWarning(
                moved, "swapped_left_right",
                f"the sensor recorded as {lone[0]} was worn on the {moved.replace('_', ' ')}: it swings with the "
                f"{found} {partner}, and that leg moves like a {found} leg ({why}); analysed as {moved}", True))
            return cal
    if exchange:
        result = {other_side(p): dataclasses.replace(c, placement=other_side(p)) for p, c in result.items()}
        neutral = {("right" if side == "left" else "left"): v for side, v in neutral.items()}
        warnings = [w if w.kind == "swapped_left_right" else dataclasses.replace(w, placement=other_side(w.placement))
                    for w in warnings]
    return Calibration(result, neutral, net_relabelling(result, warnings), method)
