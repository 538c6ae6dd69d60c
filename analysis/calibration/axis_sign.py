"""The sign of a segment's flexion axis from gait physics, so that y points left however the sensor is worn.

* foot: the foot travels toes first. Between two stance points the gravity-free acceleration is
  integrated to velocity (zero at both ends); its mean, in the sensor frame at the first stance, points
  forward, and x = y × z must agree with it (``foot_forward``);
* shin: its rate about y correlates positively with the same side foot's (both rotate toes-up/knee-back
  in swing); without a foot, the largest rotation of the shank is the swing, which is negative about a
  left-pointing y (bottom of the shank moving forward) (``sign_from_largest_rotation``).

This is not the sign rule of analysis.events (``foot_axis_sign``), which decides the same thing ("toes
first") from the displacements of the strides' zero-velocity trajectory. The calibration runs on its own
sensors after the placement checks (a foot whose label was exchanged is not the sensor the strides
analysed under that label), and the events' rule applied here, on the first-pass zero-velocity
trajectory, is less robust: on ipol_feet it flipped the axis of one foot (trial 4-1 left, whose fast
strides the fixed zero-velocity thresholds miss), and the swings rotating toes-up about the automatic
axis fell from 92.0 % to 91.1 % (benchmarks/bench_angles.py --ipol-only). The two rules agree on every
simulated recording of the benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from analysis.conventions import GRAVITY_MPS2
from analysis.vectors import row_norms

from .axes import unit
from .model import PlacementWarning
from .sensor import SensorData
from .swaps import correlation

#: foot stance (for the forward direction): lowest-motion sample of each stride below this gyro norm
#: (rad/s; the same bound as analysis.zupt's stance minima: ipol_feet's mid-stance p90 is 2.4 rad/s)
STANCE_GYR_MAX_RADPS = 3.0
#: the shin's sign follows the foot's when their flexion rates correlate at least this much (|r|;
#: engineering choice: a worn leg gives |r| 0.91-0.93 on the simulator, 2 seeds x 4 min)
SHIN_FOOT_MIN_R = 0.2


def _stance_points(s: SensorData) -> np.ndarray:
    """Index of the least-moving sample of each stride during walking (one per local gyro minimum)."""
    norm = row_norms(s.gyr)
    smooth = pd.Series(norm).rolling(max(3, int(0.05 * s.rate)), center=True, min_periods=1).mean().to_numpy()
    half = int(0.35 * s.rate)  # strides last more than 0.7 s
    from scipy.ndimage import minimum_filter1d
    local_min = (smooth == minimum_filter1d(smooth, 2 * half + 1)) & s.walking & (smooth < STANCE_GYR_MAX_RADPS)
    return np.flatnonzero(local_min)


@njit(cache=True, nogil=True)
def _travel_directions(q: np.ndarray, acc: np.ndarray, stance: np.ndarray, seg_of: np.ndarray,
                       t: np.ndarray, rate: float, gravity: float) -> np.ndarray:
    """Sum over strides (consecutive stance points in one segment, <= 2.5 s apart) of the unit horizontal
    mean velocity between them, in the sensor frame at the first stance (strides slower than 0.2 m/s skip).

    Per stride: gravity-free acceleration in the world, integrated to velocity, with the linear drift that
    makes it zero at both stances removed; its mean is the direction of travel.
    """
    total = np.zeros(3)
    for s in range(stance.shape[0] - 1):
        i0, i1 = stance[s], stance[s + 1]
        if seg_of[i0] != seg_of[i1] or t[i1] - t[i0] > 2.5:
            continue
        v = np.zeros(3)
        v_sum = np.zeros(3)
        for i in range(i0, i1 + 1):
            w, x, y, z = float(q[i, 0]), float(q[i, 1]), float(q[i, 2]), float(q[i, 3])
            ax, ay, az = float(acc[i, 0]), float(acc[i, 1]), float(acc[i, 2])
            tx, ty, tz = 2.0 * (y * az - z * ay), 2.0 * (z * ax - x * az), 2.0 * (x * ay - y * ax)
            v[0] += (ax + w * tx + y * tz - z * ty) / rate
            v[1] += (ay + w * ty + z * tx - x * tz) / rate
            v[2] += (az + w * tz + x * ty - y * tx - gravity) / rate
            v_sum += v
        # mean of v - linspace(0, 1) * v_end, over the stride's samples
        mean = v_sum / (i1 - i0 + 1) - 0.5 * v
        norm = np.sqrt(mean[0] ** 2 + mean[1] ** 2)
        if not norm > 0.2:  # m/s: a real step, not shuffling (NaN orientation skips too)
            continue
        hx, hy = mean[0] / norm, mean[1] / norm
        # into the sensor frame at the first stance: conj(q) h q
        w, x, y, z = float(q[i0, 0]), -float(q[i0, 1]), -float(q[i0, 2]), -float(q[i0, 3])
        tx, ty, tz = 2.0 * (-z * hy), 2.0 * (z * hx), 2.0 * (x * hy - y * hx)
        total[0] += hx + w * tx + y * tz - z * ty
        total[1] += hy + w * ty + z * tx - x * tz
        total[2] += w * tz + x * ty - y * tx
    return total


def foot_forward(s: SensorData) -> np.ndarray | None:
    """Mean direction of travel of a foot in its sensor frame (unit, horizontal part), or None."""
    stance = _stance_points(s)
    seg_of = np.zeros(len(s.t), dtype=np.int64)
    for k, (a, b) in enumerate(s.segments):
        seg_of[a:b] = k
    total = _travel_directions(s.quats, s.acc, stance.astype(np.int64),
                               seg_of, s.t, float(s.rate), GRAVITY_MPS2)
    return None if np.linalg.norm(total) == 0 else unit(total)


def sign_from_largest_rotation(gyr_y: np.ndarray) -> float:
    """+1 when the largest rotation about the candidate axis is negative (shank swing about left y)."""
    lo, hi = np.percentile(gyr_y, [0.5, 99.5])
    return 1.0 if -lo >= hi else -1.0


def side_axis_signs(sensors: dict[str, SensorData], side: str, axes: dict[str, np.ndarray],
                    zs: dict[str, np.ndarray], warnings: list[PlacementWarning]) -> dict[str, tuple[float, str]]:
    """Per placement of ``side`` in ``axes``: the sign (+1/−1) that makes its flexion axis point left, and
    how it was decided (module docstring). ``zs`` are the segments' up directions in the sensor frame."""
    signs: dict[str, tuple[float, str]] = {}
    foot, shin = f"{side}_foot", f"{side}_shin"
    if foot in axes:
        x_candidate = np.cross(axes[foot], zs[foot])
        forward = foot_forward(sensors[foot])
        if forward is None:
            signs[foot] = (1.0, "undetermined (no strides)")
            warnings.append(PlacementWarning(foot, "axis_sign", "no strides found to tell forward from "
                                             "backward: dorsiflexion sign not verified", False))
        else:
            signs[foot] = (1.0 if np.dot(x_candidate, forward) >= 0 else -1.0, "foot travels toes first")
    if shin in axes:
        s = sensors[shin]
        w_shin = np.einsum("ij,j->i", s.gyr, axes[shin])
        if foot in axes:
            f = sensors[foot]
            w_foot = np.interp(s.t, f.t, np.einsum("ij,j->i", f.gyr, signs[foot][0] * axes[foot]))
            both = s.walking & (np.interp(s.t, f.t, f.walking.astype(float)) > 0.5)
            r = correlation(w_shin[both], w_foot[both])
            if np.isfinite(r) and abs(r) > SHIN_FOOT_MIN_R:
                signs[shin] = (1.0 if r > 0 else -1.0, f"rotates with the {side} foot (r={abs(r):.2f})")
        if shin not in signs:
            signs[shin] = (sign_from_largest_rotation(w_shin[s.walking]), "largest rotation is the swing")
    return signs
