"""The report's day-by-day view on simulated days of one walker whose left ankle stiffens, and of one
whose ankles do not: the trend is stated when it is real and past the meaningful change only."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import GaitPipeline
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario
from imu_logger.report.html import build_report
from imu_logger.results import Results

pytestmark = pytest.mark.slow  # several simulated days analysed: 17-60 s per test
DAY_NS = 86_400 * 10**9
MONDAY_9AM_NS = 1_796_634_000 * 10**9  # 2026-12-07 09:00 UTC


def _days(stiff_factors: list[float | None], seed0: int) -> tuple[list[Results], list[pd.DataFrame]]:
    sessions, truths = [], []
    for day, factor in enumerate(stiff_factors):
        scenario = Scenario(kind="walk", walk_bout_s=(200.0, 220.0), standing_s=(5.0, 10.0),
                            stiff_side="left" if factor else None, stiff_factor=factor or 0.4)
        sim = simulate(SimConfig(minutes=4.0, seed=seed0 + day, mounting="random", scenario=scenario))
        gait = GaitPipeline().run(sim.signals).results_
        sessions.append(Results(source=Path(f"day{day}"), label=f"day{day}", gait=gait,
                                start_wall_ns=MONDAY_9AM_NS + day * DAY_NS))
        truths.append(sim.truth_strides)
    return sessions, truths


def _days_section(html: str) -> str:
    return re.search(r'<section id="days">(.*?)</section>', html, re.S).group(1)


@pytest.fixture(scope="module")
def stiffening():
    return _days([1.0, 0.7, 0.4], seed0=20)


def test_stiffening_left_ankle_is_stated_with_its_size(stiffening):
    sessions, truths = stiffening
    text = _days_section(build_report(sessions))
    assert "3 days" in text and "2026-12-07" in text and "2026-12-09" in text
    left = [t[t["side"] == "left"]["peak_dorsiflexion_deg"].median() for t in truths]
    true_drop = left[0] - left[-1]
    assert true_drop > 4  # the scenario: a stiffening of several degrees
    m = re.search(r"Left peak dorsiflexion in stance: falls by ([0-9.]+) °", text)
    assert m, text
    assert float(m.group(1)) == pytest.approx(true_drop, abs=1.0)
    assert "Right peak dorsiflexion in stance: no change beyond measurement error" in text


def test_unchanged_walker_gets_no_trend(tmp_path):
    sessions, _ = _days([None, None, None], seed0=40)
    text = _days_section(build_report(sessions))
    for side in ("Left", "Right"):
        for metric in ("peak dorsiflexion in stance", "peak eversion", "stride length"):
            assert f"{side} {metric}: no change beyond measurement error" in text, text


def test_two_days_are_too_few_for_a_trend(stiffening):
    sessions, _ = stiffening
    text = _days_section(build_report(sessions[:2]))
    assert "too few days to judge a trend" in text
    assert "falls by" not in text and "rises by" not in text


def test_one_day_explains_how_to_get_the_view(stiffening):
    sessions, _ = stiffening
    one = [dataclasses.replace(sessions[0])]
    assert "several days" in _days_section(build_report(one))
