"""Simulated signals through each model's exact bytes: nothing lost beyond the model's quantisation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.columns import ACC, GYR, LOWER_BACK_COLUMNS, STRIDE_COLUMNS
from imu_logger.cli import cli
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording
from imu_logger.sensors import get_model
from imu_logger.recording.simulated import write_simulated_recording
from gait_sim import Scenario, SensorErrors, SimConfig, simulate

G = 9.80665
DEG = np.pi / 180
#: one quantisation step per model (acc m/s², gyro rad/s), from each firmware note
STEP = {
    "witmotion": (16 * G / 32768, 2000 * DEG / 32768),  # int16 over ±16 g, ±2000 °/s
    "open_nrf": (16 * G / 32768, 2000 * DEG / 32768),  # our format at its default full scale
    "polar_verity": (16 * G / 32768, 2000 * DEG / 32768),  # factor from the start answer
    "thingy52": (G / 1024, DEG / 32),  # Q6.10 g and Q11.5 °/s
    "movella_dot": (1e-5, 1e-6),  # float32: rounding only
}
RATE = {"witmotion": 100.0, "open_nrf": 100.0, "polar_verity": 104.0, "thingy52": 100.0,
        "movella_dot": 60.0}


@pytest.mark.parametrize("model_key", sorted(STEP))
def test_bytes_lose_no_more_than_the_quantisation(model_key, tmp_path):
    model = get_model(model_key)
    cfg = SimConfig(minutes=0.4, fs_hz=RATE[model_key], seed=5, mounting="random",
                    scenario=dataclasses.replace(Scenario(), kind="walk"),
                    errors=dataclasses.replace(SensorErrors.none(), acc_noise_mps2=0.03,
                                               gyr_noise_radps=0.005), dtype="float64")
    sim = simulate(cfg)
    out = tmp_path / "sim.mcap"
    write_simulated_recording(sim, out, {p: model_key for p in sim.signals}, seed=1)
    decoded = decode_recording(read_recording(out))
    acc_step, gyr_step = STEP[model_key]
    for placement, s in decoded.items():
        truth = sim.signals[placement]
        got = s.data
        assert s.missing_samples == 0 and len(got) >= len(truth) - 2 * RATE[model_key] / 10
        n = len(got)
        acc_true = truth[list(ACC)].to_numpy()[:n]
        gyr_true = truth[list(GYR)].to_numpy()[:n]
        inside = ((np.abs(acc_true) < model.acc_range_mps2 - acc_step).all(axis=1)
                  & (np.abs(gyr_true) < model.gyr_range_radps - gyr_step).all(axis=1))
        acc_err = np.abs(got[list(ACC)].to_numpy() - acc_true)[inside]
        gyr_err = np.abs(got[list(GYR)].to_numpy() - gyr_true)[inside]
        assert inside.mean() > 0.5, f"{model_key} {placement}: mostly saturated"
        assert acc_err.max() <= acc_step * 1.0001, f"{model_key} {placement} acc"
        assert gyr_err.max() <= gyr_step * 1.0001, f"{model_key} {placement} gyro"
        # beyond the range the device saturates, exactly at its full scale
        sat = np.abs(acc_true) >= model.acc_range_mps2
        if sat.any():
            assert np.all(np.abs(got[list(ACC)].to_numpy()[sat]) <= model.acc_range_mps2 + acc_step)


def test_simulate_command_writes_a_recording_and_its_truth(tmp_path):
    out = tmp_path / "day.mcap"
    r = CliRunner().invoke(cli, ["simulate", "--minutes", "1", "--scenario", "walk", "--seed", "3",
                                 "--stiff-side", "left", "--out", str(out)])
    assert r.exit_code == 0, r.output
    truth = tmp_path / "day_truth"
    strides = pd.read_csv(truth / "truth_strides.csv")
    assert set(STRIDE_COLUMNS) - set(LOWER_BACK_COLUMNS) <= set(strides.columns)  # no lower back worn
    assert len(strides) > 20
    left = strides[strides.side == "left"].peak_dorsiflexion_deg.median()
    right = strides[strides.side == "right"].peak_dorsiflexion_deg.median()
    assert left < right - 3  # the stiff side is stiff
    rec = read_recording(out)
    assert sorted(rec.sensors) == ["left_foot", "left_shin", "right_foot", "right_shin"]
    r = CliRunner().invoke(cli, ["info", str(out)])
    assert r.exit_code == 0 and "open_nrf" in r.output


def test_simulate_refuses_a_rate_the_model_lacks(tmp_path):
    r = CliRunner().invoke(cli, ["simulate", "--minutes", "1", "--model", "movella_dot",
                                 "--out", str(tmp_path / "x.mcap")])
    assert r.exit_code == 2
    assert "movella_dot does not stream at 100 Hz" in r.output
