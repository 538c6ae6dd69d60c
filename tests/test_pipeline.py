"""The whole analysis on a simulated walk: every stride column filled and close to the truth,
summary with asymmetry, and a sensor missing half of the recording."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.columns import LOWER_BACK_COLUMNS, STRIDE_COLUMNS
from analysis.pipeline import analyze
from analysis.summary import asymmetry_index
from analysis.validation import stride_errors
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario


@pytest.fixture(scope="module")
def sim():
    return simulate(SimConfig(minutes=2.5, seed=4, mounting="random", scenario=Scenario(kind="walk")))


@pytest.fixture(scope="module")
def result(sim):
    return analyze(sim.signals)


def walking_strides(result):
    s = result.strides
    return s[s["bout_id"].isin(result.bouts.loc[result.bouts["activity"] == "walking", "bout_id"])]


def test_every_stride_column_filled(result):
    assert list(result.strides.columns) == list(STRIDE_COLUMNS)
    walking = walking_strides(result)
    assert len(walking) > 40
    # every leg column filled; the lower back's are empty without that sensor (tests/test_report_chain.py)
    assert not walking.drop(columns=["quality", *LOWER_BACK_COLUMNS]).isna().any().any()
    assert walking[list(LOWER_BACK_COLUMNS)].isna().all().all()


def test_every_walking_stride_near_its_true_stride(sim, result):
    """Per stride, the whole pipeline (events, calibration, angles joined per stride) against the truth.

    README: peak dorsiflexion within 1.04° for every stride outside spot turns, 1.5° in them (p95 0.17°); events 1.1 / 4.0 ms (initial
    contact / toe-off median); stride length |error| p95 0.26 % over 1 h. The other metrics have no
    README figure: their limits are this walk's measured maxima (deg: plantarflexion 0.35, range 0.26,
    peak eversion 0.51 on the last stride before a turn, eversion excursion 1.36, whose contact value, the first sample after
    the contact, carries a median -0.9° bias (1.13 and -0.7° before issue 11's first-touch contact and heel rocker);
    tibial acceleration 0.012 g) rounded up.
    """
    walking = walking_strides(result)
    m = stride_errors(walking, sim.truth_strides)
    assert len(m) == len(walking)  # every walking stride has its true stride
    err = {c: np.abs(m[c].to_numpy()) for c in m.columns if c.endswith("_err") or c.endswith("_ms")
           or c.endswith("_pct")}
    turn = walking["quality"].astype(str).str.contains("turn").to_numpy()
    # walking bouts keep their turns (Mobilise-D); a spot-turn stride is the weakest: 1.45° on this walk,
    # and its short length has no meaningful relative error: the figures below are of the other strides
    assert err["peak_dorsiflexion_deg_err"][turn].max() <= 1.5
    err = {c: e[~turn] for c, e in err.items()}
    assert err["peak_dorsiflexion_deg_err"].max() <= 1.04
    assert np.percentile(err["peak_dorsiflexion_deg_err"], 95) <= 0.17
    assert np.median(err["ic_err_ms"]) <= 2.0 and np.median(err["to_err_ms"]) <= 4.5
    assert np.percentile(err["len_err_pct"], 95) <= 0.5
    for col, limit in (("peak_plantarflexion_deg_err", 0.5), ("sagittal_range_deg_err", 0.4),
                       ("peak_eversion_deg_err", 0.6), ("eversion_excursion_deg_err", 1.4),
                       ("peak_tibial_accel_g_err", 0.02)):
        assert err[col].max() <= limit, (col, err[col].max())


def test_summary_has_sides_hours_and_asymmetry(sim, result):
    """The day's medians and asymmetry agree with the truth's (the asymmetry of the true medians)."""
    sm = result.summary
    day = sm[sm["period"] == "day"]
    truth = sim.truth_strides[sim.truth_strides["quality"] != "spot_turn"]
    for metric, tol, asi_tol in (("stride_length_m", 0.01, 1.0), ("peak_dorsiflexion_deg", 0.2, 3.0)):
        row = {r["side"]: r for _, r in day[day["metric"] == metric].iterrows()}
        assert set(row) == {"left", "right", "asymmetry"}
        true_median = {s: truth.loc[truth["side"] == s, metric].median() for s in ("left", "right")}
        for side in ("left", "right"):
            assert abs(row[side]["median"] - true_median[side]) <= tol, (metric, side)
            assert row[side]["q1"] <= row[side]["median"] <= row[side]["q3"]
        true_asi = 100 * (true_median["left"] - true_median["right"]) / (
            0.5 * (abs(true_median["left"]) + abs(true_median["right"])))
        assert abs(row["asymmetry"]["median"] - true_asi) <= asi_tol, metric
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
