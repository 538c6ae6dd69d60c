"""Gait events and distance on the real ipol_feet recordings (all trials of subjects 1-10).

The README's figures (benchmarks/bench_gait_ipol.py): footsteps precision 0.983, recall 0.986; toe-off
|error| median 7.1 ms, p95 26.1 ms. The data are fixed, so the tolerances are those figures rounded up.
Initial contact is the first touch and ipol_feet's heel strikes sit at the impact, so the contact
reads early by definition: signed median −26.5 ms [p5 −74.9, p95 −6.0] (benchmarks/bench_first_touch.py;
docs/ipol_validation.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.ipol_validation import distance_drivers, evaluate_all, summarise

pytestmark = pytest.mark.slow  # all 58 trials: ~20 s


@pytest.fixture(scope="module")
def scores(ipol_feet):
    rows = evaluate_all(ipol_feet)
    return rows, summarise(rows)


def test_footstep_precision_and_recall(scores):
    _, table = scores
    overall = table[table["subject"] == "all"].iloc[0]
    assert overall["precision"] >= 0.982
    assert overall["recall"] >= 0.985


def test_event_timing_error(scores):
    rows, _ = scores
    to = np.abs(np.concatenate([r["to_err_ms"] for r in rows]))
    ic = np.concatenate([r["ic_err_ms"] for r in rows])
    assert np.median(to) <= 7.5 and np.percentile(to, 95) <= 27.0
    # the first touch comes before the reference's impact: a definitional offset, then the spread
    assert -28.0 <= np.median(ic) <= -25.0
    assert np.percentile(ic, 95) <= -5.0 and np.percentile(ic, 5) >= -76.0


def _distances(rows):
    return np.array([r["distance_m"] for r in rows]), np.array([r["subject"] for r in rows])


def test_left_and_right_feet_walk_the_same_distance(scores):
    """Both feet walked the same path: their sums agree whatever the true distance (no 20 m assumption).

    Before the stance zero-velocity updates and trapezoidal integration (docs/ipol_validation.md) the
    worst trial disagreed by 2.86 m (4-3, no packet loss); now the worst is 1.67 m.
    """
    d, _ = _distances(scores[0])
    lr = np.abs(d[:, 0] - d[:, 1]) / 20.0
    assert np.all(lr <= 0.10)
    assert np.median(lr) <= 0.03


def test_trial_distance(scores):
    """The strides of each trial sum to about 20 m (protocol: 10 m, U-turn, 10 m back).

    "20 m ± 5 % for every trial" holds for 59 % of foot-trials and cannot be made to hold honestly:
    20 m is the marked distance, not a measured one, and the walkers did not all walk it (subjects 4
    and 8 read 21.1-22.7 m on both feet in every trial; trials 7-1 and 7-2 read 22.3-23.7 m with six
    more swings than subject 7's other trials at the same stride length; docs/ipol_validation.md).
    Asserted: the scale over all trials (median within ± 5 %), no trial with lost or doubled strides
    (every foot within −10 %/+20 %), and that distances differ between trials of one subject because of
    the number of steps walked, not because of the measured stride length (a stride-length error would
    show up in the second correlation).
    """
    rows = scores[0]
    d, _ = _distances(rows)
    assert abs(np.median(d) / 20.0 - 1) <= 0.05
    assert np.all((d >= 0.9 * 20.0) & (d <= 1.2 * 20.0))
    drivers = distance_drivers(rows)
    assert drivers["with_swing_count"] >= 0.5
    assert abs(drivers["with_stride_length"]) <= 0.2
