"""Which side a leg is on, from its push-off roll, and the net relabelling of left/right corrections.

Gait physics: in push-off the foot inverts (supinates; the sole turns medially), which is a negative
rotation about the forward axis on the left foot and a positive one on the right. When both sides move
like the other one, all labels are exchanged left/right; when only one side does, it is reported but not
corrected.
"""

from __future__ import annotations

import numpy as np

from .model import PlacementWarning, SensorCalibration

#: side from the push-off roll (see side_evidence): toes-up rate (rad/s) that marks a swing, push-off
#: window (s), and the evidence needed: strides, fraction agreeing, median roll (deg). On ipol_feet
#: (real feet, foot only) medians are 4-18°; a simulated foot, which does not roll, gives < 0.1°.
SWING_PEAK_RADPS = 2.0
PUSH_OFF_S = 0.2
SIDE_MIN_STRIDES = 8
SIDE_AGREE = 0.75
SIDE_MIN_DEG = 0.5


def _toe_offs(gyr_y: np.ndarray, walking: np.ndarray, rate: float) -> np.ndarray:
    """Toe-off proxies (sample indices) of a foot: the last sample with a toes-down (non-negative)
    rotation about the left-pointing y axis before each swing's toes-up peak."""
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(-gyr_y, height=SWING_PEAK_RADPS, distance=int(0.6 * rate))
    window = int(PUSH_OFF_S * rate)
    out = []
    for peak in peaks:
        if not walking[peak]:
            continue
        k, lim = peak, max(0, peak - int(0.4 * rate))
        while k > lim and gyr_y[k] < 0:
            k -= 1
        if k > lim and k >= window:
            out.append(k)
    return np.array(out, dtype=int)


def side_evidence(foot: SensorCalibration, foot_gyr: np.ndarray, shin: SensorCalibration | None = None,
                  shin_gyr: np.ndarray | None = None) -> tuple[str | None, str]:
    """Which side a foot (with its shin, when given) moves like: 'left', 'right' or None, and why.

    Gait physics: in push-off the foot inverts (supinates; the sole turns medially), relative to the
    ground and to the shank. About the forward x axis of the segment frame (x forward, y left, z up on
    both sides) inversion is a negative rotation on the left foot and a positive one on the right. The
    roll over the ``PUSH_OFF_S`` before each toe-off is taken relative to the shin when there is one.
    ``foot_gyr`` and ``shin_gyr`` are bias-corrected gyroscope samples (n, 3) in the sensor frame.
    A side is returned when at least ``SIDE_MIN_STRIDES`` strides agree in ``SIDE_AGREE`` of cases and
    the median roll is at least ``SIDE_MIN_DEG``.
    """
    roll_rates = foot.to_segment(foot_gyr)
    roll = roll_rates[:, 0]
    if shin is not None and shin_gyr is not None:
        roll = roll - np.interp(foot.time_s, shin.time_s, shin.to_segment(shin_gyr)[:, 0])
    toe_offs = _toe_offs(roll_rates[:, 1], foot.walking, foot.rate_hz)
    w = int(PUSH_OFF_S * foot.rate_hz)
    push = np.array([np.degrees(roll[k - w:k].sum() / foot.rate_hz) for k in toe_offs])
    what = "foot relative to the shin" if shin is not None and shin_gyr is not None else "foot"
    if len(push) < SIDE_MIN_STRIDES:
        return None, f"only {len(push)} push-offs found"
    left_like = float(np.mean(push < 0))
    median = float(np.median(push))
    why = (f"roll of the {what} in push-off: median {median:+.1f}° about the forward axis, "
           f"{100 * max(left_like, 1 - left_like):.0f}% of {len(push)} strides")
    if abs(median) < SIDE_MIN_DEG:
        return None, why
    if left_like >= SIDE_AGREE and median < 0:
        return "left", why
    if left_like <= 1 - SIDE_AGREE and median > 0:
        return "right", why
    return None, why


def check_sides(result: dict[str, SensorCalibration], gyr: dict[str, np.ndarray],
                 warnings: list[PlacementWarning]) -> tuple[bool, dict[str, tuple[str | None, str]]]:
    """Warn when a side moves like the other side. Returns whether both sides show it (labels to exchange)
    and, per side, the side its motion shows (or None) with the evidence."""
    shown: dict[str, tuple[str | None, str]] = {}
    for side in ("left", "right"):
        foot, shin = result.get(f"{side}_foot"), result.get(f"{side}_shin")
        if foot is None or not foot.walking.any():
            continue
        shown[side] = side_evidence(foot, gyr[foot.placement], shin, gyr[shin.placement] if shin else None)
    wrong = [side for side, (found, _) in shown.items() if found is not None and found != side]
    right = [side for side, (found, _) in shown.items() if found == side]
    exchange = len(wrong) == 2
    for side in wrong:
        labels = " and ".join(p for p in (f"{side}_shin", f"{side}_foot") if p in result)
        if exchange:
            message = f"the sensors labelled {labels} move like the other leg ({shown[side][1]})"
        elif right:
            message = (f"the sensors labelled {labels} move like the other leg ({shown[side][1]}), but the "
                       f"other side's move like their own: check where the sensors were worn")
        else:
            message = (f"the sensors labelled {labels} move like the other leg ({shown[side][1]}): check "
                       f"where they were worn; not corrected, since this pattern varies between people")
        for p in (f"{side}_shin", f"{side}_foot"):
            if p in result:
                warnings.append(PlacementWarning(p, "swapped_left_right", message, exchange))
    return exchange, shown


def other_side(placement: str) -> str:
    side, segment = placement.split("_")
    return f"{'right' if side == 'left' else 'left'}_{segment}"


def net_relabelling(result: dict[str, SensorCalibration], warnings: list[PlacementWarning]) -> list[PlacementWarning]:
    """One warning per relabelled sensor, recorded label to analysed placement, with the evidence of every
    left/right correction (the pairing and side checks can each exchange labels; only the net change matters)."""
    corrected = [w for w in warnings if w.kind == "swapped_left_right" and w.corrected]
    if not corrected:
        return warnings
    evidence = "; ".join(dict.fromkeys(w.message for w in corrected))
    kept = [w for w in warnings if w not in corrected]
    for p, c in result.items():
        if c.source != p and c.source.split("_")[1] == p.split("_")[1]:
            kept.append(PlacementWarning(p, "swapped_left_right", f"the sensor recorded as {c.source} was worn on "
                                         f"the {p.replace('_', ' ')}; analysed as {p}. Evidence: {evidence}", True))
    return kept
