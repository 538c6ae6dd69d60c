"""When a change of a gait metric is worth telling a clinician: past the measurement error, with
enough walking behind it.

Smallest changes worth reporting (``MEANINGFUL_CHANGE``, in the metric's unit):

* ankle angles (peak dorsiflexion, sagittal range, peak eversion, eversion excursion): 2°. Between
  sessions, errors of kinematic gait measurements below 2° are acceptable and 2-5° reasonable
  (McGinley et al. 2009, systematic review); a smaller change cannot be told from measurement error.
* walking speed: 0.10 m/s, the substantial meaningful change of gait speed (Perera et al. 2006).
* stride length: 0.10 m, the stride-length change that alone moves speed by Perera's 0.10 m/s at
  the reference stride time of about 1.0-1.2 s (derived, not a published threshold).

A trend or a difference is *stated* only when it is past that size, its 95 % interval excludes zero,
and the data behind it are enough (``enough_walking``). Everything else is reported as "no change
beyond measurement error" or "too little walking to judge".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOURCES = {
    "mcginley2009": "McGinley JL, Baker R, Wolfe R, Morris ME. The reliability of three-dimensional "
                    "kinematic gait measurements: a systematic review. Gait Posture. 2009;29(3):360-369.",
    "perera2006": "Perera S, Mody SH, Woodman RC, Studenski SA. Meaningful change and responsiveness in "
                  "common physical performance measures in older adults. J Am Geriatr Soc. "
                  "2006;54(5):743-749.",
}

#: smallest change worth reporting, in the metric's unit, and its source key
MEANINGFUL_CHANGE: dict[str, tuple[float, str]] = {
    "peak_dorsiflexion_deg": (2.0, "mcginley2009"),
    "peak_plantarflexion_deg": (2.0, "mcginley2009"),
    "sagittal_range_deg": (2.0, "mcginley2009"),
    "peak_eversion_deg": (2.0, "mcginley2009"),
    "eversion_excursion_deg": (2.0, "mcginley2009"),
    "speed_mps": (0.10, "perera2006"),
    "stride_length_m": (0.10, "perera2006"),
}

#: a within-day trend needs this much walking (s) spread over this many clock hours
MIN_WALKING_S = 1800.0  # 30 min: engineering choice, about 1 500 strides per side
MIN_HOURS = 3
#: a trend across days needs this many days with at least MIN_DAY_STRIDES strides each
MIN_DAYS = 3
MIN_DAY_STRIDES = 100  # a day median from fewer strides moves by more than the change we look for


@dataclass(frozen=True)
class Change:
    """A change of one metric (later minus earlier, or over a span) and what may be said of it."""

    metric: str
    change: float  # metric unit
    low: float  # 95 % interval of the change
    high: float
    enough_data: bool

    @property
    def threshold(self) -> float:
        return MEANINGFUL_CHANGE.get(self.metric, (np.nan, ""))[0]

    @property
    def meaningful(self) -> bool:
        """Past the smallest meaningful change, with an interval that excludes zero."""
        return (self.enough_data and np.isfinite(self.change) and np.isfinite(self.threshold)
                and abs(self.change) >= self.threshold and (self.low > 0 or self.high < 0))

    def verdict(self) -> str:
        """``meaningful``, ``within measurement error`` or ``not enough data``."""
        if not self.enough_data or not np.isfinite(self.change):
            return "not enough data"
        return "meaningful" if self.meaningful else "within measurement error"


def enough_walking(walking_s: float, hours_with_walking: int) -> bool:
    """Enough walking behind a within-day trend (MIN_WALKING_S over MIN_HOURS clock hours)."""
    return walking_s >= MIN_WALKING_S and hours_with_walking >= MIN_HOURS


__all__ = ["Change", "MEANINGFUL_CHANGE", "MIN_DAYS", "MIN_DAY_STRIDES", "MIN_HOURS", "MIN_WALKING_S", "SOURCES",
           "enough_walking"]
