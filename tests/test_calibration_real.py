"""Automatic calibration on real foot recordings (ipol_feet): axis signs, invariance to how the sensor is worn.

Trials 3-2 and 5-1 are read from the copy shipped in tests/data; the others need ../shared/datasets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from analysis import columns as col
from analysis.angles import angle_table
from analysis.calibration import calibrate
from conftest import IPOL_FIXTURE


def load(directory: Path, name: str, foot: str) -> pd.DataFrame:
    """One foot file of an IPOL trial as samples: time_s = row / 100 s, acc m/s², gyro rad/s."""
    raw = pd.read_csv(directory / f"{name}_{foot}.txt", sep="\t", skiprows=1)
    data = {col.TIME: np.arange(len(raw)) / 100.0}
    for name_, src in zip(col.ACC + col.GYR, ("Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z")):
        data[name_] = raw[src].to_numpy(float)
    return pd.DataFrame(data)


def remount(df: pd.DataFrame, rotation: np.ndarray) -> pd.DataFrame:
    """The same motion seen by a sensor turned by ``rotation`` on the segment (new = rotation.T @ old)."""
    out = df.copy()
    out[list(col.ACC)] = df[list(col.ACC)].to_numpy() @ rotation
    out[list(col.GYR)] = df[list(col.GYR)].to_numpy() @ rotation
    return out


def swing_rotation_deg(cal, samples, placement: str, swings) -> np.ndarray:
    s = cal.sensors[placement]
    gyr = samples[placement][list(col.GYR)].to_numpy() - s.gyr_bias_radps
    y = s.mountings[0].r_segment_sensor[1]
    return np.array([np.degrees((gyr[a:b] @ y).sum() / 100.0) for a, b in swings])


@pytest.mark.parametrize("trial", ["2-3", "9-1"])
def test_medio_lateral_axis_shows_toes_up_rotation_in_every_straight_swing(trial: str, ipol_feet: Path) -> None:
    meta = json.loads((ipol_feet / f"{trial}.json").read_text())
    samples = {"left_foot": load(ipol_feet, trial, "lf"), "right_foot": load(ipol_feet, trial, "rf")}
    cal = calibrate(samples)
    u0, u1 = meta["UTurnBoundaries"]
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        straight = [(a, b) for a, b in meta[key] if b < u0 or a > u1]
        rot = swing_rotation_deg(cal, samples, f"{side}_foot", straight)
        assert np.mean(rot < 0) >= 0.9, rot
        assert np.median(rot) < -40  # swing: from toes down at toe-off to toes up at heel strike


def test_sensor_worn_upside_down_or_reversed_gives_the_same_foot_angles() -> None:
    samples = {"left_foot": load(IPOL_FIXTURE, "3-2", "lf")}
    reference = angle_table(samples)
    flip = Rotation.from_euler("x", 180, degrees=True).as_matrix() @ Rotation.from_rotvec([0.1, -0.3, 0.5]).as_matrix()
    turned = angle_table({"left_foot": remount(samples["left_foot"], flip)})
    cal = calibrate({"left_foot": remount(samples["left_foot"], flip)})
    assert [w.kind for w in cal.warnings] == ["upside_down"]
    assert "left_foot" in cal.messages()[0] and "upside down" in cal.messages()[0]
    assert not any(w.kind == "upside_down" for w in calibrate(samples).warnings)
    for column in ("left_foot_pitch_deg", "left_foot_roll_deg"):
        err = np.abs(turned[column] - reference[column])
        assert np.nanpercentile(err, 99) < 0.5, column
    pitch = reference["left_foot_pitch_deg"]
    assert pitch.max() > 15 and pitch.min() < -30  # heel strike toes up, toe-off toes down


def test_gaps_are_marked_and_not_interpolated() -> None:
    left = load(IPOL_FIXTURE, "5-1", "lf")
    lost = (left.time_s > 12.0) & (left.time_s < 12.5)
    table = angle_table({"left_foot": left[~lost].reset_index(drop=True)})
    in_gap = (table.time_s > 12.0 + 1e-6) & (table.time_s < 12.5 - 1e-6)
    assert table.loc[in_gap, "left_gap"].all()
    assert table.loc[in_gap, "left_foot_pitch_deg"].isna().all()
    assert not table.loc[~in_gap, "left_gap"].any()
    assert np.allclose(np.diff(table.time_s), 0.01)


@pytest.mark.parametrize("trial", ["3-2", "5-1"])
def test_each_real_foot_alone_shows_its_side_and_exchanged_files_are_corrected(trial: str) -> None:
    from analysis.calibration import side_evidence

    samples = {"left_foot": load(IPOL_FIXTURE, trial, "lf"), "right_foot": load(IPOL_FIXTURE, trial, "rf")}
    for placement in samples:
        cal = calibrate({placement: samples[placement]})
        sensor = cal.sensors[placement]
        found, why = side_evidence(sensor, samples[placement][list(col.GYR)].to_numpy() - sensor.gyr_bias_radps)
        assert found == placement.split("_")[0], why
        assert not any(w.kind == "swapped_left_right" for w in cal.warnings)
    exchanged = calibrate({"left_foot": samples["right_foot"], "right_foot": samples["left_foot"]})
    assert exchanged.sensors["left_foot"].source == "right_foot"
    assert all(w.corrected for w in exchanged.warnings if w.kind == "swapped_left_right")
    alone = calibrate({"left_foot": samples["right_foot"]})
    [w] = [w for w in alone.warnings if w.kind == "swapped_left_right"]
    assert not w.corrected and alone.sensors["left_foot"].source == "left_foot"
