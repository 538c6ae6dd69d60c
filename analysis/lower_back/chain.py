"""Up the chain over a day: per bout and side, peak dorsiflexion against pelvic tilt range and attenuation.

The relation is within one walker: across the day's walking bouts, an ordinary least-squares slope of the
bout medians (y per degree of dorsiflexion) with its t-based confidence interval. A callout is written when
the interval excludes 0 in the compensating direction: less dorsiflexion with a larger pelvic tilt range,
or less dorsiflexion with less shock attenuation. It is an association within one walker, not a diagnosis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.algorithm import Algorithm

#: (column, unit, the sign of the slope that a stiffer ankle with compensation gives, callout wording)
RELATIONS = (
    ("pelvic_tilt_range_deg", "°", -1.0, "a larger pelvic tilt range"),
    ("shock_attenuation_pct", "percentage points", 1.0, "less shock attenuation between shin and lower back"),
)
NOT_A_DIAGNOSIS = "This is an association within one walker over the day, not a diagnosis."


class AnkleChain(Algorithm):
    """Within-walker relation of peak dorsiflexion to the lower back's figures.

    Parameters
    ----------
    min_strides
        A bout and side enters with at least this many strides having both figures (its medians).
    min_bouts
        A relation needs at least this many bouts (fewer: slope NaN, no callout).
    confidence
        Level of the slope's confidence interval.
    """

    def __init__(self, min_strides: int = 3, min_bouts: int = 5, confidence: float = 0.95):
        self.min_strides = min_strides
        self.min_bouts = min_bouts
        self.confidence = confidence

    def relate(self, strides: pd.DataFrame) -> "AnkleChain":
        """``strides``: side, bout_id, peak_dorsiflexion_deg and the RELATIONS columns. Results:
        ``per_bout_`` (bout_id, side, n_strides, and the medians), ``relations_`` (side, y, slope_per_deg,
        ci_low, ci_high, n_bouts), ``callouts_`` (plain-language sentences)."""
        cols = ["peak_dorsiflexion_deg", *(r[0] for r in RELATIONS)]
        rows, rel, callouts = [], [], []
        for (bout, side), g in strides.groupby(["bout_id", "side"], sort=True):
            ok = g[cols].notna().all(axis=1)
            if ok.sum() >= self.min_strides:
                rows.append({"bout_id": bout, "side": side, "n_strides": int(ok.sum()),
                             **g.loc[ok, cols].median().to_dict()})
        per_bout = pd.DataFrame(rows, columns=["bout_id", "side", "n_strides", *cols])
        for side, g in per_bout.groupby("side", sort=True):
            x = g["peak_dorsiflexion_deg"].to_numpy(float)
            for col, unit, sign, wording in RELATIONS:
                slope, lo, hi = self._slope(x, g[col].to_numpy(float))
                rel.append({"side": side, "y": col, "slope_per_deg": slope, "ci_low": lo, "ci_high": hi,
                            "n_bouts": len(g)})
                if np.isfinite(slope) and (sign * lo > 0 if sign > 0 else sign * hi > 0):
                    callouts.append(
                        f"On the {side} side, walking bouts with less dorsiflexion came with {wording}: "
                        f"{slope:+.2f} {unit} per degree of dorsiflexion ({100 * self.confidence:.0f} % CI "
                        f"{lo:+.2f} to {hi:+.2f}, {len(g)} bouts). {NOT_A_DIAGNOSIS}")
        self.per_bout_ = per_bout
        self.relations_ = pd.DataFrame(rel, columns=["side", "y", "slope_per_deg", "ci_low", "ci_high", "n_bouts"])
        self.callouts_ = callouts
        return self

    def _slope(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        n = len(x)
        sxx = float(np.sum((x - x.mean()) ** 2)) if n else 0.0
        if n < max(self.min_bouts, 3) or sxx <= 0:
            return np.nan, np.nan, np.nan
        b = float(np.sum((x - x.mean()) * (y - y.mean())) / sxx)
        resid = y - (y.mean() + b * (x - x.mean()))
        se = np.sqrt(np.sum(resid**2) / (n - 2) / sxx)
        half = float(stats.t.ppf(0.5 + self.confidence / 2, n - 2)) * se
        return b, b - half, b + half
