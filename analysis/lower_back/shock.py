"""Peak sacral acceleration after each initial contact and the tibia-to-sacrum shock attenuation.

Definitions in analysis.lower_back: the peak is the largest specific-force norm (g, gravity included,
as strides.csv's ``peak_tibial_accel_g``) within ``window_s`` after the stride's initial contact;
attenuation is ``(1 - peak_sacral / peak_tibial) * 100`` (Mizrahi, Verbitsky & Isakov 2000).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.algorithm import Algorithm
from analysis.columns import ACC, TIME
from analysis.conventions import GRAVITY_MPS2



class SacralShock(Algorithm):
    """Sacral shock per stride.

    Parameters
    ----------
    window_s
        The peak is searched over [contact, contact + window_s] (s). Engineering choice: the sacral
        peak of the heel-strike transient follows the contact by tens of milliseconds (the simulator's:
        30 ms); 0.10 s holds it and ends long before the next contact (> 0.3 s later).
    """

    def __init__(self, window_s: float = 0.10):
        self.window_s = window_s

    def compute(self, samples: pd.DataFrame, strides: pd.DataFrame) -> "SacralShock":
        """``samples``: the lower-back sensor (time_s, acc_*_mps2, same time base as the strides);
        ``strides``: start_s and, for the attenuation, peak_tibial_accel_g. Result: ``metrics_``, a
        DataFrame of SHOCK_COLUMNS with the index of ``strides`` (NaN without samples in the window or
        without the tibial peak)."""
        t = samples[TIME].to_numpy(float)
        norm = np.linalg.norm(samples[list(ACC)].to_numpy(float), axis=1) / GRAVITY_MPS2
        start = strides["start_s"].to_numpy(float)
        lo = np.searchsorted(t, start, side="left")
        hi = np.searchsorted(t, start + self.window_s, side="right")
        peak = np.full(len(strides), np.nan)
        for i, (a, b) in enumerate(zip(lo, hi)):
            if b > a:
                peak[i] = norm[a:b].max()
        tib = (strides["peak_tibial_accel_g"].to_numpy(float) if "peak_tibial_accel_g" in strides
               else np.full(len(strides), np.nan))
        with np.errstate(divide="ignore", invalid="ignore"):
            att = (1.0 - peak / tib) * 100.0
        self.metrics_ = pd.DataFrame({"peak_sacral_accel_g": peak, "shock_attenuation_pct": att},
                                     index=strides.index)
        return self
