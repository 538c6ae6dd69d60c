"""Strides, events, stride length and bouts against the simulator's truth: random mounting, noise,
bias and dropped samples (the simulator's default sensor errors), both legs.

Tolerances sit just above the README's figures ("Numbers you can defend", benchmarks/bench_gait_sim.py:
initial contact 1.1 / 1.3 ms median / p95, toe-off 4.0 / 4.4 ms, stride length |error| mean 0.08 %,
p95 0.18 % over 1 h; slow walking 1.2 / 1.5 ms, 5.4 / 5.8 ms, very slow toe-off 8.6 / 9.1 ms, stride
length mean 0.5-0.7 %, p95 1.0-1.4 %, max 1.8-4.2 %), with room for this shorter walk's own spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.bouts import gait_tables
from analysis.validation import stride_errors
from gait_sim import SimConfig, simulate
from gait_sim.config import BoutSpec, Scenario, SensorErrors


@pytest.fixture(scope="module")
def walk():
    sim = simulate(SimConfig(minutes=5, seed=1, mounting="random", scenario=Scenario(kind="walk")))
    strides, bouts = gait_tables(sim.signals)
    return sim, strides, bouts


def match(det: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Errors of the detected strides matched one to one to the true strides."""
    return stride_errors(det, truth)


def test_both_legs_precision_and_recall(walk):
    sim, strides, _ = walk
    m = match(strides, sim.truth_strides)
    for side in ("left", "right"):
        n_det = (strides["side"] == side).sum()
        n_true = (sim.truth_strides["side"] == side).sum()
        n_match = (m["side"] == side).sum()
        assert n_true > 50
        assert n_match / n_det >= 0.99
        assert n_match / n_true >= 0.99


def test_initial_contact_timing(walk):
    sim, strides, _ = walk
    err = np.abs(match(strides, sim.truth_strides)["ic_err_ms"].to_numpy())
    assert np.median(err) <= 2.0  # measured 1.41 ms on this walk
    assert np.percentile(err, 95) <= 2.5  # measured 1.69 ms


def test_toe_off_timing(walk):
    """The simulator's toe rocker has the pitch-rate timing of ipol_feet (peak 30 ms before toe-off, 0.70 of
    the peak at toe-off), so the detector tuned on real data times it within a few ms (measured, seed 1:
    median 3.8 ms, p95 4.3 ms, detections slightly early)."""
    sim, strides, _ = walk
    err = np.abs(match(strides, sim.truth_strides)["to_err_ms"].to_numpy())
    assert np.median(err) <= 4.5
    assert np.percentile(err, 95) <= 5.0


def test_toe_off_error_is_a_constant_offset(walk):
    sim, strides, _ = walk
    err = match(strides, sim.truth_strides)["to_err_ms"].to_numpy()
    q5, q95 = np.percentile(err, [5, 95])
    assert q95 - q5 <= 2.0  # timing is repeatable; only the definition's offset remains (measured 1.0 ms)


def test_stride_length(walk):
    sim, strides, _ = walk
    m = match(strides, sim.truth_strides)
    # spot turns: the simulator itself marks heel-to-heel length ill-defined there
    m = m[(m["truth_quality"] != "spot_turn") & ~m["quality"].str.contains("gap")]
    err = np.abs(m["len_err_pct"].to_numpy())
    assert len(err) > 100
    assert err.mean() <= 0.3  # measured 0.20 % on this walk
    assert np.percentile(err, 95) <= 0.5  # measured 0.39 %


def mobilise_d_bouts(truth_strides: pd.DataFrame, truth_bouts: pd.DataFrame,
                     max_break_s: float = 3.0) -> list[pd.DataFrame]:
    """The simulator's true walking and turn bouts grouped as Mobilise-D counts walking: a turn is part of
    the walking around it, and only a pause longer than ``max_break_s`` (s) between the last contact of
    one and the first contact of the next separates two bouts. Each bout's span is its strides' first
    and last initial contact (``start_s``, ``end_s`` replaced)."""
    moving = truth_bouts[truth_bouts["activity"].isin(["walking", "turn"])].copy()
    g = truth_strides.groupby("bout_id")
    moving["start_s"] = moving["bout_id"].map(g["start_s"].min())
    moving["end_s"] = moving["bout_id"].map(g["end_s"].max())
    moving = moving.sort_values("start_s")
    groups: list[list[int]] = []
    last_end = -np.inf
    for i, row in moving.iterrows():  # per true bout (a handful)
        if row["start_s"] - last_end > max_break_s or not groups:
            groups.append([])
        groups[-1].append(i)
        last_end = row["end_s"]
    return [moving.loc[g] for g in groups]


def test_bouts_start_and_end_within_one_stride(walk):
    """Walking bouts (Mobilise-D: a turn stays inside its bout) start and end within one stride of the
    truth's, with the truth's stride counts (± 1 stride per side: a turn's last stride may end on
    either side of the bout's last contact)."""
    sim, strides, bouts = walk
    expected = mobilise_d_bouts(sim.truth_strides, sim.truth_bouts)
    walking = bouts[bouts["activity"] == "walking"]
    assert len(expected) >= 3 and len(walking) == len(expected)
    assert not (bouts["activity"] == "turn").any()
    for group in expected:
        start, end = group["start_s"].min(), group["end_s"].max()
        ov = np.minimum(walking["end_s"], end) - np.maximum(walking["start_s"], start)
        d = walking.iloc[int(np.argmax(ov.to_numpy()))]
        stride = sim.truth_strides.loc[sim.truth_strides["bout_id"].isin(group["bout_id"]), "stride_time_s"].median()
        assert abs(d["start_s"] - start) <= stride
        assert abs(d["end_s"] - end) <= stride
        for side in ("left", "right"):
            assert abs(d[f"n_strides_{side}"] - group[f"n_strides_{side}"].sum()) <= 1


@pytest.fixture(scope="module")
def slow_walk():
    """Slow walking (0.5 m/s, 0.8 m strides; 0.3 m/s, 0.68 m strides of 2.3 s) and shuffling (0.3 m/s,
    0.45 m strides, straight and in a 180° curve): stance phases with long, slowly rolling edges, slow
    terminal swing and slow push-off."""
    bouts = (BoutSpec("walking", 60, speed_mps=0.5, stride_length_m=0.8), BoutSpec("standing", 5),
             BoutSpec("walking", 60, speed_mps=0.3, stride_length_m=0.45), BoutSpec("standing", 5),
             BoutSpec("walking", 30, speed_mps=0.3, stride_length_m=0.45, turn_deg=180),
             BoutSpec("standing", 5), BoutSpec("walking", 40, speed_mps=0.3))
    sim = simulate(SimConfig(minutes=4.5, seed=1, mounting="random", bouts=bouts))
    strides, bouts = gait_tables(sim.signals)
    return sim, strides, bouts


@pytest.mark.slow
def test_slow_and_shuffling_walking(slow_walk):
    """The targets of normal walking, and tighter stride length: before zero velocity was kept out of
    swings and anchored at the stillest stance samples, this walk measured stride length MAE 1.55 %,
    p95 1.92 %, max 47 % (seeds 2-3: MAE 2.0 %); now 0.72 %, 1.44 %, 1.84 % (seeds 2-3: 0.5 %)."""
    sim, strides, bouts = slow_walk
    truth = sim.truth_strides
    m = match(strides, truth)
    assert len(m) / len(strides) >= 0.99 and len(m) / len(truth) >= 0.99
    ic, to = np.abs(m["ic_err_ms"].to_numpy()), np.abs(m["to_err_ms"].to_numpy())
    # the p95s include the very slow bout (2.3 s strides), where the README gives toe-off 8.6 / 9.1 ms
    assert np.median(ic) <= 2.0 and np.percentile(ic, 95) <= 10.0  # measured 1.54 / 8.76 ms
    assert np.median(to) <= 6.0 and np.percentile(to, 95) <= 9.1  # measured 5.33 / 8.24 ms
    err = np.abs(m.loc[~m["quality"].str.contains("gap"), "len_err_pct"].to_numpy())
    assert err.mean() <= 0.5 and np.percentile(err, 95) <= 1.4 and err.max() <= 2.5  # 0.34 / 1.14 / 2.16 %
    walking = bouts[bouts["activity"] == "walking"]
    true_walking = sim.truth_bouts[sim.truth_bouts["activity"] == "walking"]
    assert len(walking) == len(true_walking) == 4
    assert walking["n_strides_left"].tolist() == true_walking["n_strides_left"].tolist()
    assert walking["n_strides_right"].tolist() == true_walking["n_strides_right"].tolist()


def test_stride_length_with_a_large_accelerometer_bias():
    """ipol_feet's left sensors read 10.1-10.4 m/s² at rest (right: 9.86-9.93): biases of ~0.3-0.5 m/s².
    With a bias of that size (0.3 m/s² per axis and sensor) the stride-length |error| was mean 1.07 %,
    p95 1.49 % on this walk (each foot off by its own sensor's bias) until the part the rests observe was
    removed (zupt.rest_acc_bias; measured after: 0.18 %, p95 0.47 %)."""
    cfg = SimConfig(minutes=5, seed=1, mounting="random", scenario=Scenario(kind="walk"),
                    errors=SensorErrors(acc_bias_mps2=0.3))
    sim = simulate(cfg)
    strides, _ = gait_tables(sim.signals)
    m = match(strides, sim.truth_strides)
    m = m[(m["truth_quality"] != "spot_turn") & ~m["quality"].str.contains("gap")]
    err = np.abs(m["len_err_pct"].to_numpy())
    assert len(err) > 100
    assert err.mean() <= 0.3
    assert np.percentile(err, 95) <= 0.6
