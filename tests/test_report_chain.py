"""The whole path with a lower-back sensor: the pipeline fills its strides.csv columns, and the report
tells a simulated day with compensation from one without."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from analysis import GaitPipeline
from analysis.columns import LOWER_BACK_COLUMNS
from gait_sim import BoutSpec, Scenario, SimConfig, simulate
from imu_logger.report.html import build_report
from imu_logger.results import Results

# one speed (speed moves the heel strike and so the attenuation); a steep fatigue drift makes the
# dorsiflexion differ from bout to bout; pauses of 5 s keep the bouts apart (Mobilise-D: > 3 s)
BOUTS = tuple(b for _ in range(12) for b in (BoutSpec("walking", 12, speed_mps=1.3), BoutSpec("standing", 5)))
ALL = ("left_shin", "left_foot", "right_shin", "right_foot", "lower_back")


def _day(compensation: float):
    cfg = SimConfig(minutes=3.6, seed=5, placements=ALL, bouts=BOUTS,
                    scenario=Scenario(stiff_side="left", stiff_factor=0.4, fatigue_dorsiflexion_drop_deg=6.0))
    sim = simulate(dataclasses.replace(cfg, pelvis=dataclasses.replace(cfg.pelvis, compensation=compensation)))
    return sim, GaitPipeline().run(sim.signals)


@pytest.fixture(scope="module")
def days():
    return _day(0.0), _day(1.0)


def _chain_html(pipe) -> str:
    html = build_report([Results(source=Path("day"), label="day", gait=pipe.results_)])
    return re.search(r'<section id="chain">(.*?)</section>', html, re.S).group(1)


def test_the_lower_back_columns_follow_the_simulator(days):
    for sim, pipe in days:
        found = pipe.strides_.dropna(subset=["shock_attenuation_pct"])
        assert len(found) >= 0.9 * len(pipe.strides_)
        truth = sim.truth_strides.groupby("side")[list(LOWER_BACK_COLUMNS)].median()
        medians = found.groupby("side")[list(LOWER_BACK_COLUMNS)].median()
        # docs/lower_back.md: per stride within 0.2-0.6° and 1.5 attenuation points; medians well within
        assert (medians["pelvic_tilt_range_deg"] - truth["pelvic_tilt_range_deg"]).abs().max() < 0.3
        assert (medians["shock_attenuation_pct"] - truth["shock_attenuation_pct"]).abs().max() < 1.5


def test_report_tells_compensation_from_none(days):
    (_, plain), (_, compensating) = days
    without, with_ = _chain_html(plain), _chain_html(compensating)
    assert 'class="callout"' not in without
    callouts = re.findall(r'<div class="callout">(.*?)</div>', with_)
    assert any(c.startswith("On the left side, walking bouts with less dorsiflexion came with") for c in callouts)
    assert all("not a diagnosis" in c for c in callouts)


def test_without_a_lower_back_sensor_the_section_says_how_to_get_it(days):
    (sim, _), _ = days
    legs = GaitPipeline().run({p: df for p, df in sim.signals.items() if p != "lower_back"})
    assert legs.strides_[list(LOWER_BACK_COLUMNS)].isna().all().all()
    assert "No lower-back sensor" in _chain_html(legs)
