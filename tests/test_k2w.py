"""Knee-to-wall: inclination accuracy with random mountings, best of 3, and the command as a user runs it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.spatial.transform import Rotation

from imu_logger.cli import cli
from imu_logger.k2w.method import best_per_side, evaluate_trial, k2w_trials_from_events, tilt_deg
from imu_logger.k2w.motion import VIRTUAL_LUNGE_DEG, LungeSource
from imu_logger.recording.reader import read_recording


def test_inclination_with_random_mountings_noise_and_bias():
    errors = []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        angle = rng.uniform(15, 50)
        src = LungeSource(angles_deg=(angle,), mounting=Rotation.random(random_state=seed).as_matrix(),
                          acc_noise_mps2=0.03, gyr_noise_radps=0.005,
                          acc_bias_mps2=tuple(rng.normal(0, 0.05, 3)), seed=seed)
        # the trial starts anywhere in the cycle, as when the user is not yet upright
        acc, gyr, _ = src.block(rng.uniform(0, src.cycle_s), int(2.2 * src.cycle_s * src.fs_hz))
        trial = evaluate_trial(acc, gyr, src.fs_hz)
        assert trial.detected and trial.complete and trial.hold_s >= 2.0
        errors.append(abs(trial.inclination_deg - angle))
    errors = np.array(errors)
    assert np.median(errors) < 0.3 and np.max(errors) < 1.0


def test_sagittal_inclination_ignores_a_sideways_lean():
    g0 = np.array([0.0, 0.0, 9.81])
    forward, side = np.radians(35.0), np.radians(8.0)
    tilted = Rotation.from_euler("YX", [forward, side]).as_matrix().T @ g0
    assert tilt_deg(g0, tilted, axis=np.array([0.0, 1.0, 0.0])) == pytest.approx(35.0, abs=0.5)
    assert tilt_deg(g0, tilted) > 35.5


def test_no_hold_no_result():
    src = LungeSource(angles_deg=(35.0,), hold_s=1.0)  # held too briefly
    acc, gyr, _ = src.block(0.0, int(3 * src.cycle_s * src.fs_hz))
    assert not evaluate_trial(acc, gyr, src.fs_hz).detected


def test_best_of_three_trials_per_side():
    found = {"left": [], "right": []}
    for side, angles in (("left", (28.0, 31.0, 30.0)), ("right", (40.0, 38.0, 39.0))):
        src = LungeSource(angles_deg=angles, mounting=Rotation.random(random_state=7).as_matrix())
        for k in range(3):
            acc, gyr, _ = src.block(k * src.cycle_s, int(1.3 * src.cycle_s * src.fs_hz))
            trial = evaluate_trial(acc, gyr, src.fs_hz, side, k + 1)
            found[side].append({"side": side, "trial": k + 1, "inclination_deg": trial.inclination_deg})
    import pandas as pd
    best = best_per_side(pd.DataFrame(found["left"] + found["right"]))
    assert best["left"] == pytest.approx(31.0, abs=0.3) and best["right"] == pytest.approx(40.0, abs=0.3)


def test_k2w_command_on_virtual_sensors_and_in_the_report(tmp_path, make_results):
    out = tmp_path / "k2w.mcap"
    r = CliRunner().invoke(cli, ["k2w", "--backend", "virtual", "--yes", "--trials", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "LEFT trial 1/1" in r.output and "RIGHT trial 1/1" in r.output
    rec = read_recording(out)
    trials = k2w_trials_from_events(rec.events)
    assert list(trials["side"]) == ["left", "right"] and trials["detected"].all()
    best = best_per_side(trials)
    for side in ("left", "right"):  # the virtual trial angles, whichever trial was caught
        assert min(abs(best[side] - a) for a in VIRTUAL_LUNGE_DEG[side]) < 0.5
        assert f"{side:<5}: {best[side]:.1f}°" in r.output
    assert float(rec.end["k2w_difference_deg"]) == pytest.approx(best["left"] - best["right"], abs=0.01)
    assert {"left_shin", "right_shin"} <= set(rec.sensors)  # the raw shin data is kept
    info = CliRunner().invoke(cli, ["info", str(out)])
    assert info.exit_code == 0 and "did not close cleanly" not in info.output, info.output
    assert re.search(r"session length \d+\.\d s", info.output), info.output
    again = CliRunner().invoke(cli, ["k2w", "--backend", "virtual", "--yes", "--out", str(out)])
    assert again.exit_code == 2 and "already exists; pass --overwrite" in again.output

    _, res = make_results(tmp_path / "day", minutes=3.0)
    html = tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["report", str(res), "--k2w", str(out), "--out", str(html)])
    assert r.exit_code == 0, r.output
    section = html.read_text().split('<section id="k2w">')[1].split("</section>")[0]
    assert f"left: best {best['left']:.1f}°" in section and f"{best['left'] - best['right']:+.1f}°" in section


def test_k2w_platform_needs_shin_sensors(tmp_path):
    r = CliRunner().invoke(cli, ["k2w", "--sensor", "left_foot=movella_dot", "--out", str(tmp_path / "k.mcap")])
    assert r.exit_code == 2 and "shin sensors" in r.output
