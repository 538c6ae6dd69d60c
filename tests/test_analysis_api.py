"""The public analysis API: GaitPipeline runs, GaitResults round-trips through its folder, and no
module of analysis/ imports the capture side."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import GaitPipeline, GaitResults, UserError
from analysis.columns import STRIDE_COLUMNS
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario


@pytest.fixture(scope="module")
def pipe():
    sim = simulate(SimConfig(minutes=1.0, seed=4, mounting="random", scenario=Scenario(kind="walk")))
    return GaitPipeline().run(sim.signals)


def test_results_in_trailing_underscore_attributes(pipe):
    assert list(pipe.strides_.columns) == list(STRIDE_COLUMNS)
    assert (pipe.bouts_["activity"] == "walking").any()
    assert pipe.results_.strides is pipe.strides_
    assert pipe.results_.filter == "smoothed"
    assert pipe.get_params()["filter"] == "smoothed"


def test_save_and_load_round_trip(pipe, tmp_path):
    res = pipe.results_
    res.extra["start_wall_ns"] = 123
    res.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "analysis.json", "angles.parquet", "bouts.csv", "events.csv", "strides.csv", "summary.csv"]
    back = GaitResults.load(tmp_path)
    pd.testing.assert_frame_equal(back.strides, res.strides, check_dtype=False)
    pd.testing.assert_frame_equal(back.events, res.events, check_dtype=False)
    pd.testing.assert_frame_equal(back.bouts, res.bouts, check_dtype=False)
    pd.testing.assert_frame_equal(back.summary, res.summary.reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(back.angles, res.angles)
    assert back.info() == json.loads((tmp_path / "analysis.json").read_text())
    assert back.extra == {"start_wall_ns": 123}


def test_load_recomputes_a_missing_summary(pipe, tmp_path):
    pipe.results_.save(tmp_path)
    (tmp_path / "summary.csv").unlink()
    back = GaitResults.load(tmp_path)
    pd.testing.assert_frame_equal(back.summary, pipe.summary_.reset_index(drop=True), check_dtype=False)


def test_load_names_the_missing_file(tmp_path):
    with pytest.raises(UserError, match="strides.csv: missing"):
        GaitResults.load(tmp_path)


def test_unknown_filter_is_a_user_error(pipe):
    with pytest.raises(UserError, match="filter"):
        GaitPipeline(filter="nope").run({})


def test_analysis_imports_nothing_of_capture():
    names = [m.name for m in pkgutil.walk_packages(analysis.__path__, "analysis.")]
    code = ("import importlib, sys\n"
            f"for n in {names!r}: importlib.import_module(n)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('imu_logger', 'bleak', 'bumble')]\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_summary_csv_export_and_report_agree(pipe):
    """One day summary: summary.csv, the export's hourly table and the report's day table give the
    same numbers for every metric."""
    from analysis.report_data import day_metrics, summary_table
    from analysis.summary import METRICS, representative_strides

    summary = pipe.summary_
    used = representative_strides(pipe.strides_, pipe.bouts_)
    day = day_metrics(used).set_index("metric")
    hourly = summary_table(used)
    csv_day = summary[summary["period"] == "day"].set_index(["metric", "side"])
    csv_hour = summary[summary["period"] == "hour"].set_index(["metric", "side", "hour_start_s"])
    assert set(day.index) <= {m.column for m in METRICS}
    assert {"peak_dorsiflexion_deg", "stride_length_m", "cadence_steps_per_min", "stance_fraction",
            "peak_pronation_velocity_dps"} <= set(day.index)
    assert set(csv_day.index.get_level_values("metric")) == set(day.index)
    for metric in day.index:
        for side in ("left", "right"):
            row = csv_day.loc[(metric, side)]
            assert day.at[metric, f"{side}_median"] == row["median"]
            assert day.at[metric, f"{side}_q3"] - day.at[metric, f"{side}_q1"] == pytest.approx(row["iqr"])
            for _, h in hourly[hourly["side"] == side].iterrows():
                r = csv_hour.loc[(metric, side, h["hour"] * 3600.0)]
                assert h[f"median_{metric}"] == r["median"] and h[f"iqr_{metric}"] == r["iqr"]
        assert day.at[metric, "asymmetry_pct"] == pytest.approx(csv_day.loc[(metric, "asymmetry"), "median"],
                                                                nan_ok=True)


def test_tuning_reaches_the_algorithms(pipe):
    """A parameter given to the pipeline changes what its algorithm finds: a lower toe-off fraction puts
    toe-off later (the rate climbs back through a smaller share of the push-off dip); a shorter standstill
    limit than any foot-flat drops every stride; a stricter zero-velocity threshold shortens the still
    periods the trajectory is anchored at, which moves the stride lengths (the events stay)."""
    from analysis import StrideDetector, SwingEventDetector, ZeroVelocityDetector

    sim = simulate(SimConfig(minutes=1.0, seed=4, mounting="random", scenario=Scenario(kind="walk")))

    def strides(**detector) -> pd.DataFrame:
        return GaitPipeline(stride_detector=StrideDetector(**detector)).run(sim.signals).strides_.set_index(
            ["side", "start_s"])

    base = pipe.strides_.set_index(["side", "start_s"])
    late = strides(foot_events=SwingEventDetector(to_fraction=0.3))
    shared = base.index.intersection(late.index)
    assert len(shared) > 20 and (late.loc[shared, "toe_off_s"] > base.loc[shared, "toe_off_s"]).all()
    assert len(strides(max_still_s=0.02)) == 0
    forced = strides(zero_velocity=ZeroVelocityDetector(gyr_thresh_radps=0.3))
    shared = base.index.intersection(forced.index)
    assert len(shared) > 20
    assert not np.allclose(forced.loc[shared, "stride_length_m"], base.loc[shared, "stride_length_m"], atol=1e-4)
