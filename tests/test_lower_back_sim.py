"""The lower-back analysis against the simulator's exact pelvis, shock and gait (gait_sim.pelvis).

Simulated recordings with sensor errors (noise, bias, drift, drops) and random mounting. Tolerances
(stated in docs/lower_back.md): per stride, every stride within pelvic tilt range 0.2°, obliquity range
0.2°, tilt stance mean and trunk lean 0.6°, peak sacral acceleration 0.03 g, attenuation 1.5 percentage
points; rotation range 95 % of strides within 0.15° (every stride within 1.5°: a bout's last stride turns
as the feet close).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from analysis.errors import UserError
from analysis.lower_back import LowerBackFrame, LowerBackGait, PelvisMotion, SacralShock, TrunkLean
from gait_sim import BoutSpec, Scenario, SimConfig, simulate

PLACEMENTS = ("left_shin", "right_shin", "lower_back")
WALK = (BoutSpec("walking", 40, speed_mps=1.3), BoutSpec("standing", 5), BoutSpec("sitting", 20),
        BoutSpec("walking", 30, speed_mps=1.0), BoutSpec("standing", 5))


@pytest.fixture(scope="module")
def walk():
    sim = simulate(SimConfig(minutes=2.5, seed=2, mounting="random", placements=PLACEMENTS, bouts=WALK))
    frame = LowerBackFrame().align(sim.signals["lower_back"])
    return sim, frame


def _metrics(sim, frame) -> pd.DataFrame:
    ts = sim.truth_strides
    return pd.concat([PelvisMotion().compute(frame, ts).metrics_, TrunkLean().compute(frame, ts).metrics_,
                      SacralShock().compute(sim.signals["lower_back"], ts).metrics_], axis=1)


def test_mounting_found_from_standing_and_walking(walk):
    sim, frame = walk
    assert frame.neutral_ == "standing"
    # r_segment_sensor maps sensor vectors into the pelvis frame, as the simulator's mounting
    err = Rotation.from_matrix(frame.r_segment_sensor_ @ sim.mounting["lower_back"].T).magnitude()
    assert np.degrees(err) < 1.0


def test_quiet_standing_is_zero_and_sitting_tilts_back(walk):
    sim, frame = walk
    t = frame.time_s_
    sitting = next(p for p in sim.periods if p.activity == "sitting_lying")
    mid = (t > sitting.start_s + 3) & (t < sitting.end_s - 3)
    assert abs(np.median(frame.angles_deg_[mid, 0]) - sim.config.pelvis.sitting_tilt_deg) < 1.0
    for p in sim.periods:
        if p.activity == "standing" and p.end_s - p.start_s > 3:
            sel = (t > p.start_s + 1) & (t < p.end_s - 1)
            assert np.abs(np.median(frame.angles_deg_[sel, :2], axis=0)).max() < 0.5


def test_per_stride_pelvis_and_shock_within_tolerances(walk):
    sim, frame = walk
    ts, est = sim.truth_strides, _metrics(*walk)
    assert len(ts) > 50
    err = (est - ts[est.columns]).abs()
    # a stride with a hole of more than 0.1 s in the lower-back samples (dropped packets) is NaN, not a guess
    assert err.notna().mean().min() > 0.95
    err = err.dropna()
    for col, tol in (("pelvic_tilt_range_deg", 0.2), ("pelvic_obliquity_range_deg", 0.2),
                     ("pelvic_tilt_stance_mean_deg", 0.6), ("trunk_lean_deg", 0.6),
                     ("peak_sacral_accel_g", 0.03), ("shock_attenuation_pct", 1.5),
                     ("pelvic_rotation_range_deg", 1.5)):
        assert err[col].max() < tol, col
    assert err["pelvic_rotation_range_deg"].quantile(0.95) < 0.15


def test_lower_back_only_gait(walk):
    sim, frame = walk
    gait = LowerBackGait(sensor_height_m=sim.config.pelvis.sensor_height_m).detect(frame)
    true_ic, true_side = [], []
    for p in sim.periods:
        if p.walk is not None:
            for side, c in p.walk.contacts.items():
                true_ic += list(c.ic_s[1:])
                true_side += [side] * (len(c.ic_s) - 1)
    true_ic, true_side = np.array(true_ic), np.array(true_side)
    est = gait.ics_["time_s"].to_numpy()
    nearest = np.abs(est[:, None] - true_ic[None, :]).argmin(axis=1)
    err = est - true_ic[nearest]
    ok = np.abs(err) < 0.04
    # 0.98: the closing step of a bout (feet side by side) is found up to 60 ms early
    assert ok.mean() >= 0.98  # precision
    assert len(np.unique(nearest[ok])) >= 0.98 * len(true_ic)  # recall
    assert np.median(np.abs(err[ok])) < 0.02
    assert (gait.ics_["side"].to_numpy()[ok] == true_side[nearest[ok]]).mean() >= 0.98
    truth = sim.truth_strides.groupby("bout_id")[["stride_time_s", "speed_mps"]].median()
    assert len(gait.bouts_) == len(truth)
    for (_, b), (_, tr) in zip(gait.bouts_.iterrows(), truth.iterrows()):
        assert abs(b["cadence_spm"] - 120.0 / tr["stride_time_s"]) < 1.5
        assert abs(b["walking_speed_mps"] - tr["speed_mps"]) < 0.06


def _stiff_day(compensation: float):
    scen = Scenario(kind="walk", stiff_side="left", stiff_factor=0.4)
    cfg = SimConfig(minutes=4, seed=5, placements=PLACEMENTS, scenario=scen)
    cfg = dataclasses.replace(cfg, pelvis=dataclasses.replace(cfg.pelvis, compensation=compensation))
    sim = simulate(cfg)
    est = _metrics(sim, LowerBackFrame().align(sim.signals["lower_back"]))
    return sim, pd.concat([sim.truth_strides[["side", "bout_id"]], est], axis=1)


def test_days_with_and_without_compensation_told_apart():
    _, plain = _stiff_day(0.0)
    sim, comp = _stiff_day(1.0)
    med = lambda df, side, col: df.loc[df["side"] == side, col].median()  # noqa: E731
    # without compensation the stiff ankle sends as much shock up as the other one
    assert abs(med(plain, "left", "shock_attenuation_pct") - med(plain, "right", "shock_attenuation_pct")) < 3.0
    # with it the stiff side's attenuation falls: the model asks 3 points per degree of deficit (5.4°) of
    # its nominal 3 g tibial peak; against the simulated tibial peak that is about 9 points
    drop = med(plain, "left", "shock_attenuation_pct") - med(comp, "left", "shock_attenuation_pct")
    assert drop > 6.0
    assert med(comp, "left", "pelvic_tilt_stance_mean_deg") - med(plain, "left", "pelvic_tilt_stance_mean_deg") > 1.0
    assert med(comp, "left", "pelvic_tilt_range_deg") - med(plain, "left", "pelvic_tilt_range_deg") > 0.5
    # the simulator's truth agrees with what the analysis found
    truth = sim.truth_strides
    assert abs(truth.loc[truth.side == "left", "shock_attenuation_pct"].median()
               - med(comp, "left", "shock_attenuation_pct")) < 1.5


def test_bad_input_is_a_clear_error():
    t = np.arange(500) / 100.0
    still = pd.DataFrame({"time_s": t, "acc_x_mps2": 0.0, "acc_y_mps2": 0.0, "acc_z_mps2": 9.81,
                          "gyr_x_radps": 0.0, "gyr_y_radps": 0.0, "gyr_z_radps": 0.0})
    with pytest.raises(UserError, match="lower_back: no walking"):
        LowerBackFrame().align(still)
    with pytest.raises(UserError, match="lower_back: samples lack column"):
        LowerBackFrame().align(still.drop(columns="gyr_z_radps"))


def test_adding_the_lower_back_leaves_the_leg_sensors_unchanged():
    base = SimConfig(minutes=0.5, seed=3, mounting="random", placements=("left_shin", "right_foot"),
                     bouts=(BoutSpec("walking", 15, speed_mps=1.2),))
    legs = simulate(base)
    more = simulate(dataclasses.replace(base, placements=(*base.placements, "lower_back")))
    for p in base.placements:
        pd.testing.assert_frame_equal(legs.signals[p], more.signals[p])
    assert set(more.truth_strides.columns) > set(legs.truth_strides.columns)
