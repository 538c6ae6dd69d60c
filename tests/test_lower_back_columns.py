"""The pipeline's one call: the lower back's strides.csv columns joined onto any strides table."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import UserError
from analysis.lower_back import LOWER_BACK_STRIDE_COLUMNS, add_lower_back_columns, lower_back_strides
from gait_sim import BoutSpec, SimConfig, simulate


@pytest.fixture(scope="module")
def sim():
    return simulate(SimConfig(minutes=1.0, seed=4, mounting="random",
                              placements=("left_shin", "left_foot", "lower_back"),
                              bouts=(BoutSpec("walking", 30, speed_mps=1.2), BoutSpec("standing", 5))))


def test_columns_joined_in_order_with_the_table_kept(sim):
    legs = sim.truth_strides.drop(columns=list(LOWER_BACK_STRIDE_COLUMNS)).iloc[::-1]
    out = add_lower_back_columns(legs, sim.signals)
    assert list(out.columns) == [*legs.columns, *LOWER_BACK_STRIDE_COLUMNS]
    pd.testing.assert_frame_equal(out[legs.columns], legs)
    # the right side has no shin: no attenuation there, but the pelvis is measured
    right = out["side"] == "right"
    assert out.loc[right, "shock_attenuation_pct"].isna().all()
    assert out.loc[~right, "shock_attenuation_pct"].notna().mean() > 0.9
    err = (out["pelvic_obliquity_range_deg"] - sim.truth_strides.loc[out.index, "pelvic_obliquity_range_deg"]).abs()
    assert err.max() < 0.2


def test_nan_columns_without_the_sensor_or_without_walking(sim):
    legs = sim.truth_strides.drop(columns=list(LOWER_BACK_STRIDE_COLUMNS))
    without = add_lower_back_columns(legs, {k: v for k, v in sim.signals.items() if k != "lower_back"})
    assert without[list(LOWER_BACK_STRIDE_COLUMNS)].isna().all().all()
    standing = sim.signals["lower_back"]
    standing = standing[standing["time_s"] < 9.0]  # the initial quiet standing only
    still = add_lower_back_columns(legs, {"lower_back": standing})
    assert still[list(LOWER_BACK_STRIDE_COLUMNS)].isna().all().all()


def test_lower_back_alone(sim):
    strides = lower_back_strides({"lower_back": sim.signals["lower_back"]}, sim.config.pelvis.sensor_height_m)
    truth = sim.truth_strides
    assert abs(len(strides) - len(truth)) <= 2
    assert strides["pelvic_tilt_range_deg"].notna().mean() > 0.9
    assert abs(strides["stride_time_s"].median() - truth["stride_time_s"].median()) < 0.01
    with pytest.raises(UserError, match="lower_back: no samples"):
        lower_back_strides({"left_shin": sim.signals["left_shin"]})
