"""Ankle angles against the simulator's truth: random mounting, noise, bias, dropped samples."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import columns as col
from analysis.angles import angle_table
from analysis.conventions import foot_ground_angles, shin_inclination
from analysis.orientation.quaternion import to_matrix
from gait_sim import BoutSpec, Scenario, SimConfig, simulate

WALK = (BoutSpec("walking", 40.0), BoutSpec("standing", 5.0), BoutSpec("walking", 30.0, turn_deg=90.0))


@pytest.fixture(scope="module")
def walk_sim():
    return simulate(SimConfig(minutes=1.5, seed=11, mounting="random", bouts=WALK))


def walking(t: np.ndarray, sim) -> np.ndarray:
    mask = np.zeros(len(t), dtype=bool)
    for b in sim.truth_bouts.itertuples():
        if b.activity == "walking":
            mask |= (t >= b.start_s) & (t <= b.end_s)
    return mask


def truth_at(sim, t: np.ndarray, name: str) -> np.ndarray:
    return np.interp(t, sim.truth_angles[col.TIME], sim.truth_angles[name])


def rms(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x ** 2)))


def test_ankle_angles_match_truth_during_walking(walk_sim) -> None:
    table = angle_table(walk_sim.signals)
    t = table[col.TIME].to_numpy()
    walk = walking(t, walk_sim)
    for side in ("left", "right"):
        for angle in ("dorsiflexion_deg", "eversion_deg"):
            name = f"{side}_{angle}"
            # README: RMS while walking at most 0.57° (dorsiflexion) and 0.91° (eversion) over all seeds
            limit = 0.6 if angle == "dorsiflexion_deg" else 0.95
            assert rms((table[name].to_numpy() - truth_at(walk_sim, t, name))[walk]) <= limit, name


def test_peak_dorsiflexion_per_stride_within_the_claimed_1_04_degrees(walk_sim) -> None:
    """README: every stride's peak dorsiflexion within 1.04°, p95 0.17° while walking."""
    table = angle_table(walk_sim.signals)
    t = table[col.TIME].to_numpy()
    errors = []
    for side in ("left", "right"):
        est = table[f"{side}_dorsiflexion_deg"].to_numpy()
        for st in walk_sim.truth_strides[walk_sim.truth_strides.side == side].itertuples():
            stance = (t >= st.start_s) & (t <= st.toe_off_s) & np.isfinite(est)
            if stance.sum() > 10:
                errors.append(abs(est[stance].max() - st.peak_dorsiflexion_deg))
    assert len(errors) > 60
    assert max(errors) <= 1.04 and np.percentile(errors, 95) <= 0.17


@pytest.mark.slow
def test_peak_dorsiflexion_within_1_04_degrees_across_an_unsure_gap_in_a_spot_turn() -> None:
    """Walk seed 0 loses 0.25 s of the right foot at toe-off of a spot turn, where the gap's
    cubic fill misses 12° of rotation. Its tilt error must stay at the gap: it used to be spread over the
    3 s before and after it (a walking stride 2.2 s earlier off by 2.0°, the spot turn by 5.7°)."""
    sim = simulate(SimConfig(minutes=5.0, seed=0, mounting="random", scenario=Scenario(kind="walk")))
    table = angle_table(sim.signals)
    t = table[col.TIME].to_numpy()
    checked = set()
    for side in ("left", "right"):
        est = table[f"{side}_dorsiflexion_deg"].to_numpy()
        truth = truth_at(sim, t, f"{side}_dorsiflexion_deg")
        for st in sim.truth_strides[sim.truth_strides.side == side].itertuples():
            stance = (t >= st.start_s) & (t <= st.toe_off_s) & np.isfinite(est)
            if stance.sum() <= 10 or st.peak_dorsiflexion_deg - truth[stance].max() > 0.2:
                continue  # the true peak is in lost samples: no estimate can see it
            assert abs(est[stance].max() - st.peak_dorsiflexion_deg) <= 1.04, (side, st.start_s, st.quality)
            checked.add((side, round(st.start_s, 2), st.quality))
    assert len(checked) > 400
    # the case this test is about: a right-foot gap of >= 0.2 s inside a spot turn, and the strides
    # within 3 s of it (walking and spot turn) checked above, not skipped
    t_foot = sim.signals["right_foot"][col.TIME].to_numpy()
    gaps = t_foot[np.flatnonzero(np.diff(t_foot) >= 0.2)]
    spot = sim.truth_strides[(sim.truth_strides.side == "right") & (sim.truth_strides.quality == "spot_turn")]
    in_spot = [g for g in gaps if ((spot.start_s <= g) & (spot.end_s >= g)).any()]
    assert in_spot
    near = {q for side, start, q in checked if side == "right" and min(abs(start - g) for g in in_spot) <= 3.0}
    assert {"", "spot_turn"} <= near


def test_neutral_standing_reads_zero_and_angles_are_continuous(walk_sim) -> None:
    table = angle_table(walk_sim.signals)
    first = walk_sim.neutral_periods.iloc[0]
    quiet = (table.time_s > first.start_s + 1) & (table.time_s < first.end_s - 1)
    for name in ("left_dorsiflexion_deg", "right_eversion_deg"):
        assert table.loc[quiet, name].abs().max() < 0.5, name
    # the filter's tilt error (about 1° as walking approaches) cancels in the joint angles only
    for name in ("left_shin_inclination_deg", "right_foot_pitch_deg"):
        assert table.loc[quiet, name].abs().max() < 2.0, name
    assert table["left_dorsiflexion_deg"].diff().abs().max() < 10  # no jumps (100 Hz)


def test_foot_only_recording_gets_foot_angles_to_ground_not_ankle_angles(walk_sim) -> None:
    table = angle_table({"right_foot": walk_sim.signals["right_foot"]})
    assert "right_dorsiflexion_deg" not in table and "right_eversion_deg" not in table
    t = table[col.TIME].to_numpy()
    idx = np.searchsorted(walk_sim.time_s, t)
    truth = foot_ground_angles(to_matrix(walk_sim.segment_orientations["right_foot"][idx]), "right")
    walk = walking(t, walk_sim)
    assert rms((table["right_foot_pitch_deg"].to_numpy() - truth[:, 0])[walk]) < 2.0
    assert rms((table["right_foot_roll_deg"].to_numpy() - truth[:, 1])[walk]) < 2.0
    assert table["right_foot_pitch_deg"][walk].max() > 10  # toes up at heel strike


def test_shin_inclination_matches_truth(walk_sim) -> None:
    table = angle_table({"left_shin": walk_sim.signals["left_shin"], "left_foot": walk_sim.signals["left_foot"]})
    t = table[col.TIME].to_numpy()
    idx = np.searchsorted(walk_sim.time_s, t)
    truth = shin_inclination(to_matrix(walk_sim.segment_orientations["left_shin"][idx]))
    assert rms((table["left_shin_inclination_deg"].to_numpy() - truth)[walking(t, walk_sim)]) < 2.0


def test_dropped_samples_are_marked_as_gaps(walk_sim) -> None:
    table = angle_table(walk_sim.signals)
    present = np.isin(np.round(table.time_s.to_numpy() * 100).astype(int),
                      np.round(walk_sim.signals["left_foot"].time_s.to_numpy() * 100).astype(int))
    assert (~present).sum() > 0
    assert table.loc[~present, "left_gap"].all()
    assert table.loc[~present, "left_dorsiflexion_deg"].isna().all()


def test_bad_input_names_the_sensor(walk_sim) -> None:
    from imu_logger.errors import UserError
    broken = walk_sim.signals["left_foot"].drop(columns=["gyr_y_radps"])
    with pytest.raises(UserError, match="left_foot.*gyr_y_radps"):
        angle_table({"left_foot": broken})
    with pytest.raises(UserError, match="left_knee"):
        angle_table({"left_knee": walk_sim.signals["left_foot"]})
    with pytest.raises(UserError, match="madgwik"):
        angle_table({"left_foot": walk_sim.signals["left_foot"]}, method="madgwik")


def test_recording_cut_after_one_second_gives_an_empty_table_with_the_columns(walk_sim) -> None:
    cut = {p: df[df.time_s < 1.0] for p, df in walk_sim.signals.items()}
    table = angle_table(cut, neutral_interval_s=(0.0, 0.9))  # no walking: no sensor can be calibrated
    assert len(table) == 0
    assert {"time_s", "left_dorsiflexion_deg", "right_eversion_deg", "right_gap"} <= set(table.columns)
