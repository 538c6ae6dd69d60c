"""A learned check of a foot's candidate swings: is this a footstep, or a pivot shuffle or foot adjustment?

The swing detector (analysis.events) also fires on the small rotations of a U-turn pivot and of a foot
shifting while standing. Those have a low toes-up rate peak, a short swing and little horizontal
displacement. A logistic model of the three (ln peak toes-up rate in rad/s, swing duration toe-off to
contact in s, ln displacement in m), standardised, scores each candidate; one scoring below
``min_probability`` is dropped before strides are formed, so the two real contacts around it make one
stride.

Fitted on ipol_feet subjects 1-5 (TUNE) by ``benchmarks/bench_swing_classifier.py``, which prints these
constants and the check on subjects 6-10 (REPORT): false swings 23 -> 18 on REPORT, no footstep lost on
either part. ``min_probability`` is the lowest probability any TUNE footstep got, so the model only
drops what is far outside every real footstep seen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.algorithm import Algorithm

#: standardisation of the features (mean, sd), fitted on ipol_feet TUNE 1-5 (bench_swing_classifier.py)
FEATURE_MEAN = (1.7052, 0.4069, 0.1032)
FEATURE_SD = (0.3503, 0.0608, 0.4754)
#: logistic weights, intercept first, on the standardised features (fitted on ipol_feet TUNE 1-5)
WEIGHTS = (2.1828, 1.0137, 0.4662, 0.5964)
#: lowest probability of a TUNE footstep (fitted on ipol_feet TUNE 1-5)
MIN_PROBABILITY = 0.000246


def swing_features(swings: pd.DataFrame, toes_up_radps: np.ndarray) -> np.ndarray:
    """(n, 3) features of the swings of analysis.strides.foot_analysis: ln peak toes-up rate (rad/s, at
    mid-swing, floored at 0.1), swing duration (s), ln horizontal displacement (m, floored at 0.01)."""
    if len(swings) == 0:
        return np.zeros((0, 3))
    peak = toes_up_radps[swings["ms_idx"].to_numpy(np.int64)]
    return np.column_stack([
        np.log(np.maximum(peak, 0.1)),
        (swings["initial_contact_s"] - swings["toe_off_s"]).to_numpy(float),
        np.log(np.maximum(swings["displacement_m"].to_numpy(float), 0.01)),
    ])


class SwingCheck(Algorithm):
    """Keep the candidate swings that the fitted footstep model finds plausible.

    Parameters (defaults fitted on ipol_feet TUNE 1-5, see the module docstring): ``feature_mean`` and
    ``feature_sd`` (the standardisation, units of each feature), ``weights`` (intercept first),
    ``min_probability`` (a swing scoring lower is dropped; 0 keeps every swing).

    Action: ``check(swings, toes_up_radps)``; results ``probability_`` and ``keep_`` (bool per swing).
    """

    def __init__(self, feature_mean: tuple[float, float, float] = FEATURE_MEAN,
                 feature_sd: tuple[float, float, float] = FEATURE_SD,
                 weights: tuple[float, float, float, float] = WEIGHTS,
                 min_probability: float = MIN_PROBABILITY) -> None:
        self.feature_mean = feature_mean
        self.feature_sd = feature_sd
        self.weights = weights
        self.min_probability = min_probability

    def check(self, swings: pd.DataFrame, toes_up_radps: np.ndarray) -> SwingCheck:
        """Score the swings (analysis.strides.foot_analysis's, with ``displacement_m``). Returns self."""
        z = (swing_features(swings, toes_up_radps) - np.asarray(self.feature_mean)) / np.asarray(self.feature_sd)
        w = np.asarray(self.weights, float)
        self.probability_ = 1.0 / (1.0 + np.exp(-(w[0] + z @ w[1:])))
        self.keep_ = self.probability_ >= self.min_probability
        return self
