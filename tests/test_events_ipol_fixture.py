"""Gait events and distance on the four IPOL trials shipped in tests/data (subjects 3 and 5): real
sensors in every clone.

Scored by ``analysis.ipol_validation.evaluate_trial``, which reads the files with the same loader
(``load_foot``) as the full set in ../shared (tests/test_events_ipol.py). Figures on these trials when the tolerances were set
(`.venv/bin/python benchmarks/bench_gait_ipol.py tests/data/ipol_feet`): 148 reference footsteps,
precision 0.987, recall 0.993; |toe-off error| median 10.8 ms, p95 43.0 ms; distance per foot
19.9-21.4 m; |left − right| at most 1.15 m. Initial contact (the first touch) minus the reference heel
strike (at the impact): median −18.4 ms [p5 −55.2, p95 −1.9] (benchmarks/bench_first_touch.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis import columns as col
from analysis.ipol_validation import evaluate_trial, load_foot, summarise, trial_names
from conftest import IPOL_FIXTURE

TRIALS = ("3-2", "3-6", "5-1", "5-5")


@pytest.fixture(scope="module")
def rows():
    return [evaluate_trial(IPOL_FIXTURE, name) for name in trial_names(IPOL_FIXTURE)]


def test_the_fixture_reads_as_samples_in_si_units():
    """The four trials load with the loader of the full set: analysis columns, packet times, and in the
    standing still before each walk (protocol) gravity alone in m/s² and a still gyroscope in rad/s."""
    assert tuple(trial_names(IPOL_FIXTURE)) == TRIALS
    for name in TRIALS:
        walk_start_s = json.loads((IPOL_FIXTURE / f"{name}.json").read_text())["TrialBoundaries"][0] / 100
        for foot in ("lf", "rf"):
            df = load_foot(IPOL_FIXTURE, name, foot)
            assert list(df.columns) == [col.TIME, *col.ACC, *col.GYR]
            t = df[col.TIME].to_numpy()
            assert np.all(np.diff(t) > 0) and t[0] <= 0.01 and walk_start_s > 2.0
            still = df[t < 2.0]
            # at rest these sensors read 0.2-6 % above g; in g or deg/s the data would be off 10-57x
            assert np.median(np.linalg.norm(still[list(col.ACC)], axis=1)) == pytest.approx(9.81, rel=0.07)
            assert np.median(np.linalg.norm(still[list(col.GYR)], axis=1)) < 0.1


def test_the_fixture_is_an_unchanged_copy_of_the_shared_data(ipol_feet: Path):
    for path in sorted(IPOL_FIXTURE.glob("*-*.*")):
        assert path.read_bytes() == (ipol_feet / path.name).read_bytes(), path.name


def test_footstep_precision_and_recall(rows):
    overall = summarise(rows).set_index("subject").loc["all"]
    assert overall["footsteps"] == 148
    assert overall["precision"] >= 0.98  # at most 2 of ~148 detected swings unmatched
    assert overall["recall"] >= 0.98


def test_event_timing_error(rows):
    to = np.abs(np.concatenate([r["to_err_ms"] for r in rows]))
    ic = np.concatenate([r["ic_err_ms"] for r in rows])
    assert np.median(to) <= 13.0 and np.percentile(to, 95) <= 50.0
    # the first touch comes before the reference's impact: a definitional offset, then the spread
    assert -21.0 <= np.median(ic) <= -16.0
    assert np.percentile(ic, 95) <= 0.0 and np.percentile(ic, 5) >= -58.0


def test_trial_distance_and_left_right_agreement(rows):
    """Every foot walks the protocol's ~20 m (10 m, U-turn, 10 m back) with no lost or doubled strides,
    packet loss of 3-6 and 5-5 included; both feet of a trial agree."""
    d = np.array([r["distance_m"] for r in rows])
    assert np.all((d >= 0.95 * 20.0) & (d <= 1.1 * 20.0))
    assert np.all(np.abs(d[:, 0] - d[:, 1]) <= 1.4)
