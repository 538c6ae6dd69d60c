"""The fifth placement through the commands a user types: record on virtual sensors, simulate, and
analyze of a lower back alone."""

from __future__ import annotations

import pandas as pd

from analysis.columns import LOWER_BACK_COLUMNS
from conftest import cli_fails, cli_ok
from imu_logger.recording.reader import read_recording


def test_record_a_lower_back_sensor_on_the_virtual_backend(tmp_path):
    out = tmp_path / "rec.mcap"
    cli_ok("record", "--backend", "virtual", "--sensor", "left_foot=open_nrf", "--sensor", "lower_back=thingy52",
           "--duration", "3", "--out", out)
    rec = read_recording(out)
    assert set(rec.sensors) == {"left_foot", "lower_back"} and rec.sensors["lower_back"].model == "thingy52"


def test_simulate_and_analyze_the_lower_back_alone(tmp_path):
    rec = tmp_path / "lb.mcap"
    cli_ok("simulate", "--minutes", "2", "--scenario", "walk", "--seed", "2", "--placements", "lower_back",
           "--out", rec)
    cli_ok("analyze", rec, "--out", tmp_path / "res")
    strides = pd.read_csv(tmp_path / "res" / "strides.csv")
    truth = pd.read_csv(tmp_path / "lb_truth" / "truth_strides.csv")
    assert (strides["quality"].str.contains("lower_back_only")).all()
    # contacts from the lower back alone: the strides at the ends of a short bout fall outside its walking
    assert 0.8 * len(truth) <= len(strides) <= len(truth)
    assert abs(strides["stride_time_s"].median() - truth["stride_time_s"].median()) < 0.03
    assert strides[list(LOWER_BACK_COLUMNS[:5])].notna().mean().min() > 0.9  # pelvis and trunk per stride


def test_an_unknown_placement_is_one_line(tmp_path):
    line = cli_fails("simulate", "--minutes", "1", "--placements", "left_knee", "--out", tmp_path / "x.mcap")
    assert "--placements: unknown placement 'left_knee'" in line and "lower_back" in line
