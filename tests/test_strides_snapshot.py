"""Snapshot (regression) tests of strides.csv on fixed inputs: a simulated walk and a real ipol_feet trial
shipped with the tests. Any change of a stride, an event time, a metric or a flag shows here.

A deliberate change of the analysis rewrites the snapshots with ``IMU_LOGGER_UPDATE_SNAPSHOTS=1``; the
commit then shows, in the CSV diff, what changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from analysis.ipol_validation import load_foot
from analysis.pipeline import analyze
from analysis.strides import compute_strides
from conftest import IPOL_FIXTURE
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario

SNAPSHOTS = Path(__file__).parent / "data" / "snapshots"
UPDATE = os.environ.get("IMU_LOGGER_UPDATE_SNAPSHOTS") == "1"


def check_snapshot(table: pd.DataFrame, name: str) -> None:
    """``table`` equals the stored snapshot ``name`` (numbers to 1e-6 relative or absolute)."""
    path = SNAPSHOTS / name
    if UPDATE:
        table.to_csv(path, index=False, float_format="%.9g")
    stored = pd.read_csv(path, keep_default_na=False, na_values=[""])
    fresh = pd.read_csv(pd.io.common.StringIO(table.to_csv(index=False, float_format="%.9g")),
                        keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(fresh, stored, check_dtype=False, rtol=1e-6, atol=1e-6)


def test_strides_csv_of_a_simulated_walk():
    """The whole pipeline (strides, calibration, angle metrics, flags) on a 2-minute simulated walk."""
    sim = simulate(SimConfig(minutes=2.0, seed=4, mounting="random", scenario=Scenario(kind="walk")))
    check_snapshot(analyze(sim.signals).strides, "strides_sim_walk_seed4.csv")


@pytest.mark.parametrize("trial", ["3-2", "3-6"])
def test_strides_of_a_real_ipol_trial(trial):
    """Strides of both feet of a real trial (ipol_feet fixture, foot sensors only)."""
    feet = {"left_foot": load_foot(IPOL_FIXTURE, trial, "lf"), "right_foot": load_foot(IPOL_FIXTURE, trial, "rf")}
    check_snapshot(compute_strides(feet), f"strides_ipol_{trial}.csv")
