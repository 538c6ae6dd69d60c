"""The learned swing check (analysis.swing_check): fitted on ipol_feet TUNE 1-5, it drops candidate swings
that are no footstep on REPORT 6-10 without losing one, and its constants are what the fit gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.swing_check import FEATURE_MEAN, FEATURE_SD, MIN_PROBABILITY, WEIGHTS, SwingCheck
from conftest import load_benchmark


@pytest.fixture(scope="module")
def scored(ipol_feet):
    """Every candidate swing of the ten subjects (no check applied) with the module's probability."""
    bench = load_benchmark("bench_swing_classifier")
    c = bench.candidates(ipol_feet)
    swings = c[c["n_reference"] == 0].copy()
    z = (swings[list(bench.FEATURES)].to_numpy(float) - np.asarray(FEATURE_MEAN)) / np.asarray(FEATURE_SD)
    swings["p"] = 1.0 / (1.0 + np.exp(-(WEIGHTS[0] + z @ np.asarray(WEIGHTS[1:]))))
    return bench, swings


def test_constants_are_the_tune_fit(scored):
    bench, swings = scored
    tune = swings["subject"].isin(bench.TUNE).to_numpy()
    x = swings[list(bench.FEATURES)].to_numpy(float)
    mu, sd = x[tune].mean(axis=0), x[tune].std(axis=0)
    w = bench.fit_logistic((x[tune] - mu) / sd, swings["true"].to_numpy()[tune])
    np.testing.assert_allclose(mu, FEATURE_MEAN, atol=6e-5)  # the module keeps 4 decimals
    np.testing.assert_allclose(sd, FEATURE_SD, atol=6e-5)
    np.testing.assert_allclose(w, WEIGHTS, atol=6e-5)


def test_report_loses_no_footstep_and_drops_false_swings(scored):
    _, swings = scored
    report = swings[swings["subject"].between(6, 10)]
    dropped = report["p"] < MIN_PROBABILITY
    assert not (dropped & report["true"]).any()
    assert (dropped & ~report["true"]).sum() >= 5  # 23 -> 18 false swings (bench_swing_classifier.py)


def test_a_pivot_shuffle_is_dropped_and_a_step_kept():
    # a step: 6 rad/s toes-up peak, 0.40 s swing, 1.3 m; a shuffle: 0.3 rad/s, 0.15 s, 1 cm
    swings = pd.DataFrame({"ms_idx": [0, 1], "toe_off_s": [1.0, 5.0], "initial_contact_s": [1.40, 5.15],
                           "displacement_m": [1.3, 0.01]})
    check = SwingCheck().check(swings, np.array([6.0, 0.3]))
    assert check.keep_.tolist() == [True, False]
    assert SwingCheck(min_probability=0.0).check(swings, np.array([6.0, 0.3])).keep_.all()
