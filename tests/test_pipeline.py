"""The whole analysis on a simulated walk: every stride column filled and close to the truth,
summary with asymmetry, and a sensor missing half of the recording."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.columns import STRIDE_COLUMNS
from analysis.pipeline import analyze
from analysis.summary import asymmetry_index
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario


@pytest.fixture(scope="module")
def sim():
    return simulate(SimConfig(minutes=2.5, seed=4, mounting="random", scenario=Scenario(kind="walk")))


@pytest.fixture(scope="module")
def result(sim):
    return analyze(sim.signals)


def test_every_stride_column_filled_and_near_truth(sim, result):
    s = result.strides
    assert list(s.columns) == list(STRIDE_COLUMNS)
    walking = s[s["bout_id"].isin(result.bouts.loc[result.bouts["activity"] == "walking", "bout_id"])]
    assert len(walking) > 40
    assert not walking.drop(columns="quality").isna().any().any()
    truth = sim.truth_strides
    for col, tol in (("peak_dorsiflexion_deg", 3.0), ("peak_plantarflexion_deg", 3.0),
                     ("sagittal_range_deg", 3.0), ("eversion_excursion_deg", 3.0),
                     ("peak_tibial_accel_g", 0.5), ("stride_length_m", 0.03)):
        for side in ("left", "right"):
            d = walking.loc[walking["side"] == side, col].median()
            t = truth.loc[(truth["side"] == side) & (truth["quality"] != "spot_turn"), col].median()
            assert abs(d - t) <= tol, (col, side, d, t)


def test_summary_has_sides_hours_and_asymmetry(result):
    sm = result.summary
    day = sm[sm["period"] == "day"]
    for metric in ("stride_length_m", "peak_dorsiflexion_deg"):
        row = {r["side"]: r for _, r in day[day["metric"] == metric].iterrows()}
        assert set(row) == {"left", "right", "asymmetry"}
        assert row["asymmetry"]["median"] == pytest.approx(
            asymmetry_index(row["left"]["median"], row["right"]["median"]))
        assert row["left"]["iqr"] >= 0
    assert (sm["period"] == "hour").any()


def test_asymmetry_index_formula():
    assert asymmetry_index(1.1, 0.9) == pytest.approx(20.0)
    assert asymmetry_index(0.9, 1.1) == pytest.approx(-20.0)
    assert np.isnan(asymmetry_index(0.0, 0.0))


def test_sensor_missing_half_the_recording_is_flagged(sim):
    t_half = sim.time_s[-1] / 2
    signals = dict(sim.signals)
    signals["left_shin"] = signals["left_shin"][signals["left_shin"]["time_s"] < t_half]
    res = analyze(signals)
    assert any("left_shin" in w for w in res.warnings)
    s = res.strides
    late_left = s[(s["side"] == "left") & (s["start_s"] > t_half)]
    early_left = s[(s["side"] == "left") & (s["end_s"] < t_half)]
    assert len(late_left) > 10 and len(early_left) > 10
    assert late_left["quality"].str.contains("sensor_missing").all()
    assert late_left["peak_dorsiflexion_deg"].isna().all()
    assert not early_left["quality"].str.contains("sensor_missing").any()
    assert late_left["stride_length_m"].notna().all()  # the foot still gives the spatial metrics
    assert not s.loc[s["side"] == "right", "quality"].str.contains("sensor_missing").any()
