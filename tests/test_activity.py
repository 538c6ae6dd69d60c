"""Activity classification over a simulated day against the simulator's periods."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.activity import activity_periods, classify_activity
from analysis.bouts import gait_tables
from gait_sim import SimConfig, simulate
from gait_sim.config import BoutSpec


@pytest.fixture(scope="module")
def day():
    bouts = (BoutSpec("walking", 30.0), BoutSpec("standing", 20.0), BoutSpec("walking", 20.0),
             BoutSpec("standing", 15.0))
    sim = simulate(SimConfig(minutes=2, seed=7, mounting="random", bouts=bouts))
    strides, table = gait_tables(sim.signals)
    return sim, strides, table


def _fraction(windows, start, end, activity):
    inner = windows[(windows["start_s"] >= start + 1.0) & (windows["end_s"] <= end - 1.0)]
    return (inner["activity"] == activity).mean()


def test_walking_and_standing_match_truth(day):
    sim, _, table = day
    windows = classify_activity(sim.signals, table[table["activity"].isin(["walking", "turn"])])
    for _, p in sim.truth_bouts.iterrows():
        expected = "walking" if p["activity"] == "walking" else "standing"
        assert _fraction(windows, p["start_s"], p["end_s"], expected) >= 0.9, p


def test_lying_shin_reads_as_sitting_lying(day):
    sim, _, table = day
    signals = {k: v.copy() for k, v in sim.signals.items()}
    # the last standing period, with both shins turned to horizontal (legs out / lying)
    last = sim.truth_bouts.iloc[-1]
    turn = Rotation.from_euler("y", 85, degrees=True)
    for p in ("left_shin", "right_shin"):
        df = signals[p]
        sel = (df["time_s"] > last["start_s"]).to_numpy()
        cols = ["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]
        acc = df[cols].to_numpy(float).copy()
        acc[sel] = turn.apply(acc[sel])
        signals[p] = df.assign(**{c: acc[:, k] for k, c in enumerate(cols)})
    periods = activity_periods(classify_activity(signals, table[table["activity"] == "walking"]))
    lying = periods[periods["activity"] == "sitting_lying"]
    assert len(lying) == 1
    assert abs(lying["start_s"].iat[0] - last["start_s"]) <= 1.0
    assert np.isclose(lying["end_s"].iat[0], sim.time_s[-1], atol=1.0)
