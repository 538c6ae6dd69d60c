"""The peer benchmark's scoring (benchmarks/bench_peers_ipol.py): our side scored as ipol_validation does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import load_benchmark


@pytest.fixture(scope="module")
def peers():
    return load_benchmark("bench_peers_ipol")


@pytest.mark.parametrize("name", ["1-1", "4-3", "8-5"])
def test_our_side_scores_as_the_ipol_benchmark(peers, shared_datasets, name):
    """The rows the peer benchmark prints for our pipeline are analysis.ipol_validation's (footsteps, errors,
    distance), so a gaitmap figure beside them is compared with the project's own figure, not a re-scoring."""
    data = shared_datasets / "ipol_feet"
    ours = peers.ours_trial(data, name)
    ipol = peers.ipol.evaluate_trial(data, name)
    for key in ("matched", "matched_detected", "detected", "reference", "to_err_ms", "ic_err_ms", "distance_m"):
        assert ours[key] == ipol[key], key
    assert 0 < ours["steady_matched"] <= ours["steady_reference"] < ours["reference"]


def test_steady_footsteps_leave_out_the_turn_and_the_first_and_last(peers):
    ref = np.array([[1.0, 1.4], [2.0, 2.4], [3.0, 3.4], [4.0, 4.4], [5.0, 5.4], [6.0, 6.4]])
    meta = {"UTurnBoundaries": [280, 420]}  # 2.8-4.2 s: the third and fourth footsteps turn
    assert peers.steady(ref, meta).tolist() == [False, True, False, False, True, False]


def test_zupt_distance_counts_steps_inside_the_trial(peers):
    zupts = pd.DataFrame({"time_s": [0.5, 1.0, 2.0, 2.5, 3.0, 9.0],
                          "x_m": [0.0, 0.0, 1.2, 1.23, 2.43, 9.0], "y_m": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]})
    # b0 = 1 s drops the first interval; a 3 cm shuffle is not a step; 9 s is past b1 + 0.5 s
    assert peers.zupt_distance(zupts, 1.0, 3.0) == pytest.approx(2.4)
