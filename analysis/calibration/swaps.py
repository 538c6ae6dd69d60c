"""Placement checks between segments: shin and foot exchanged, and legs paired by when they swing.

* shin/foot swapped: a foot is flat and still during a large part of every stance; a shank never is.
  The labels are swapped back when the evidence is clear.
* legs: a shin and a foot on the same side swing at the same time; a shin that moves with the other
  side's foot means the feet (or shins) are exchanged; corrected (needs both feet and a shin, or both
  shins and a foot). Which side each leg is on is then read by analysis.calibration.sides.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.conventions import GRAVITY_MPS2
from analysis.vectors import row_norms

from .model import PlacementWarning
from .sensor import SensorData

#: fraction of walking a lone sensor is motionless: real feet (ipol_feet) 0.14–0.44, shanks far less
FOOT_STILL_MIN = 0.05
SHIN_STILL_MAX = 0.12
#: a shin belongs to the other side's foot when its swing envelope correlates with that foot's by this
#: much more than with its own side's (engineering choice: on the simulator, 2 seeds x 4 min, the
#: same-side correlation of correctly worn legs is 0.89-0.94, the cross-side one 0.14-0.44)
PAIRING_MARGIN = 0.2
#: a time without samples of any sensor this long (s) is left out of the pairing's common time grid
COMMON_HOLE_S = 10.0


def _walking_still_fraction(s: SensorData) -> float:
    """Fraction of walking samples in which the segment is nearly motionless (foot flat in stance)."""
    if s.walking.sum() < s.rate:
        return float("nan")
    norm = row_norms(s.gyr[s.walking])
    acc_ok = np.abs(row_norms(s.acc[s.walking]) - GRAVITY_MPS2) < 1.5
    return float(np.mean((norm < 0.5) & acc_ok))


def _swing_envelope(s: SensorData, grid: np.ndarray) -> np.ndarray:
    """Gyroscope norm smoothed over 0.1 s on a common time grid (NaN outside the sensor's samples)."""
    norm = pd.Series(row_norms(s.gyr)).rolling(
        max(3, int(0.1 * s.rate)), center=True, min_periods=1).mean().to_numpy()
    out = np.interp(grid, s.t, norm, left=np.nan, right=np.nan)
    return out


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 50:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _covered_grid(sensors: list[SensorData], t0: float, t1: float, step_s: float) -> np.ndarray:
    """Times every ``step_s`` from ``t0`` to ``t1``, leaving out the holes of at least ``COMMON_HOLE_S``
    that every sensor has (a streamed analysis calibrates on walking windows spread over a week:
    the grid stays as long as its samples, not as the week)."""
    holes: list[tuple[float, float]] | None = None
    for s in sensors:
        k = np.flatnonzero(np.diff(s.t) >= COMMON_HOLE_S)
        mine = list(zip(s.t[k], s.t[k + 1]))
        holes = mine if holes is None else [(max(a, c), min(b, d)) for a, b in holes for c, d in mine
                                            if min(b, d) > max(a, c)]
    edges = [t0, *[x for h in sorted(holes or []) for x in h], t1]
    return np.concatenate([np.arange(a, b, step_s) for a, b in zip(edges[::2], edges[1::2])])


def check_shin_foot_swap(sensors: dict[str, SensorData], warnings: list[PlacementWarning]) -> dict[str, SensorData]:
    out = dict(sensors)
    for side in ("left", "right"):
        shin, foot = f"{side}_shin", f"{side}_foot"
        if shin in sensors and foot in sensors:
            f_shin = _walking_still_fraction(sensors[shin])
            f_foot = _walking_still_fraction(sensors[foot])
            if np.isfinite(f_shin) and np.isfinite(f_foot) and f_shin > 2.0 * f_foot + 0.05:
                out[shin], out[foot] = sensors[foot], sensors[shin]
                warnings.append(PlacementWarning(
                    shin, "swapped_shin_foot",
                    f"the sensors labelled {shin} and {foot} are swapped (the one labelled {shin} is still "
                    f"during {100 * f_shin:.0f}% of walking, like a foot flat in stance; the one labelled "
                    f"{foot} {100 * f_foot:.0f}%); analysed with the labels exchanged", True))
        for label in (shin, foot):
            if label in sensors and (shin in sensors) != (foot in sensors):
                frac = _walking_still_fraction(sensors[label])
                wrong = (frac > SHIN_STILL_MAX) if label.endswith("shin") else (frac < FOOT_STILL_MIN)
                if np.isfinite(frac) and wrong:
                    other = "foot" if label.endswith("shin") else "shin"
                    warnings.append(PlacementWarning(
                        label, "swapped_shin_foot",
                        f"moves like a {other} (still during {100 * frac:.0f}% of walking); check where it was "
                        f"worn", False))
    return out


def check_leg_pairing(sensors: dict[str, SensorData], warnings: list[PlacementWarning]) -> dict[str, SensorData]:
    """Shins and feet grouped into legs by when they swing; labels exchanged when a shin swings with the
    other side's foot.

    Needs both feet and at least one shin (feet exchanged), or both shins and one foot (shins exchanged).
    Which pair is the mislabelled one cannot be told from timing alone; :func:`check_sides` then puts the
    completed legs on the side their motion shows.
    """
    feet = [p for p in ("left_foot", "right_foot") if p in sensors]
    shins = [p for p in ("left_shin", "right_shin") if p in sensors]
    if len(feet) == 2 and shins:
        movers, anchors = ("left_foot", "right_foot"), shins
    elif len(shins) == 2 and feet:
        movers, anchors = ("left_shin", "right_shin"), feet
    else:
        return sensors
    t0 = max(s.t[0] for s in sensors.values())
    t1 = min(s.t[-1] for s in sensors.values())
    if t1 - t0 < 5.0:
        return sensors
    grid = _covered_grid(list(sensors.values()), t0, t1, 0.01)
    env = {p: _swing_envelope(s, grid) for p, s in sensors.items()}
    same, cross = [], []
    for anchor in anchors:
        side = anchor.split("_")[0]
        own = next(m for m in movers if m.startswith(side))
        other = next(m for m in movers if not m.startswith(side))
        same.append(correlation(env[anchor], env[own]))
        cross.append(correlation(env[anchor], env[other]))
    same_r, cross_r = float(np.mean(same)), float(np.mean(cross))
    if np.isfinite(same_r) and np.isfinite(cross_r) and cross_r > same_r + PAIRING_MARGIN:
        out = dict(sensors)
        out[movers[0]], out[movers[1]] = sensors[movers[1]], sensors[movers[0]]
        kind, anchor_kind = movers[0].split("_")[1], anchors[0].split("_")[1]
        for m in movers:
            warnings.append(PlacementWarning(
                m, "swapped_left_right",
                f"the {kind} sensors swing with the other side's {anchor_kind} (correlation {cross_r:.2f} against "
                f"{same_r:.2f} with their own side)", True))
        return out
    return sensors
