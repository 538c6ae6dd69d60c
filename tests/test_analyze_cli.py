"""`imu-logger analyze` as a user runs it, on simulated recordings written through a sensor model's bytes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.columns import BOUT_COLUMNS, STRIDE_COLUMNS
from analysis.footsteps import FOOTSTEP_COLUMNS
from analysis.summary import SUMMARY_COLUMNS
from imu_logger.cli import cli
from imu_logger.recording.simulated import write_simulated_recording
from gait_sim import SimConfig, simulate
from gait_sim.config import BoutSpec, Scenario


def _record(path, config):
    sim = simulate(config)
    write_simulated_recording(sim, path, {p: "open_nrf" for p in sim.signals})
    return sim


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    d = tmp_path_factory.mktemp("walk")
    sim = _record(d / "rec.mcap", SimConfig(minutes=2, seed=5, mounting="random", scenario=Scenario(kind="walk")))
    res = CliRunner().invoke(cli, ["analyze", str(d / "rec.mcap"), "--out", str(d / "out")])
    return sim, d, res


def test_writes_tables_with_units_and_values_near_truth(walked):
    sim, d, res = walked
    assert res.exit_code == 0, res.output
    assert "walking bouts" in res.output
    strides = pd.read_csv(d / "out" / "strides.csv")
    bouts = pd.read_csv(d / "out" / "bouts.csv")
    summary = pd.read_csv(d / "out" / "summary.csv")
    events = pd.read_csv(d / "out" / "events.csv")
    assert list(events.columns) == list(FOOTSTEP_COLUMNS)
    for side in ("left", "right"):  # every footstep: a run of k strides has k + 1 contacts
        n_strides, n_steps = int((strides["side"] == side).sum()), int((events["side"] == side).sum())
        assert n_strides + 1 <= n_steps <= 2 * n_strides
        assert events.loc[events["side"] == side, "toe_off_s"].isna().sum() == n_steps - n_strides
    angles = pd.read_parquet(d / "out" / "angles.parquet")
    assert list(strides.columns) == list(STRIDE_COLUMNS)
    assert list(bouts.columns) == list(BOUT_COLUMNS)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert {"time_s", "left_dorsiflexion_deg", "right_eversion_deg"} <= set(angles.columns)
    truth = sim.truth_strides
    for side in ("left", "right"):
        s = strides[strides["side"] == side]
        t = truth[truth["side"] == side]
        assert abs(len(s) - len(t)) <= 1
        # times in seconds from the recording start, lengths in metres, speeds in m/s
        assert np.median(np.abs(np.sort(s["start_s"].to_numpy())[:, None] - t["start_s"].to_numpy()).min(axis=1)) < 0.03
        assert s["stride_length_m"].median() == pytest.approx(t["stride_length_m"].median(), rel=0.03)
        assert s["speed_mps"].median() == pytest.approx(t["speed_mps"].median(), rel=0.03)
        assert s["peak_dorsiflexion_deg"].median() == pytest.approx(t["peak_dorsiflexion_deg"].median(), abs=3)
    info = json.loads((d / "out" / "analysis.json").read_text())
    assert info["truncated"] is False and isinstance(info["gaps"], list)


def test_empty_day_gives_empty_tables_and_a_message(tmp_path):
    _record(tmp_path / "still.mcap", SimConfig(minutes=1, seed=6, bouts=(BoutSpec("standing", 30.0),)))
    res = CliRunner().invoke(cli, ["analyze", str(tmp_path / "still.mcap"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "no walking found" in res.output
    strides = pd.read_csv(tmp_path / "o" / "strides.csv")
    assert len(strides) == 0 and list(strides.columns) == list(STRIDE_COLUMNS)
    assert len(pd.read_csv(tmp_path / "o" / "summary.csv")) == 0


def test_foreign_file_is_one_line_error(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    res = CliRunner().invoke(cli, ["analyze", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "not an imu-logger recording" in res.output and "Traceback" not in res.output


def test_file_cut_short_is_analysed_with_a_warning(walked, tmp_path):
    _, d, _ = walked
    data = (d / "rec.mcap").read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    res = CliRunner().invoke(cli, ["analyze", str(cut), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "cut short" in res.output
    assert len(pd.read_csv(tmp_path / "o" / "strides.csv")) > 0  # what was recorded before the cut
    assert json.loads((tmp_path / "o" / "analysis.json").read_text())["truncated"] is True


def test_bad_neutral_option(walked, tmp_path):
    _, d, _ = walked
    res = CliRunner().invoke(cli, ["analyze", str(d / "rec.mcap"), "--out", str(tmp_path / "o"), "--neutral", "5"])
    assert res.exit_code == 2 and "--neutral" in res.output


def test_terminal_marks_an_impossible_median_and_shows_the_calibration(walked):
    from imu_logger.commands.analyze import headline
    from imu_logger.results import Results

    _, d, res = walked
    assert "calibration: " in res.output  # the calibration's messages reach the terminal
    results = Results.load(d / "out")
    right = results.gait.strides["side"] == "right"
    results.gait.strides.loc[right, "peak_dorsiflexion_deg"] = 44.7  # the live-path failure of issue 12
    text = headline(results, d / "out")
    right_line = next(line for line in text.splitlines() if line.strip().startswith("right"))
    assert "peak dorsiflexion 44.7°  NOT RELIABLE: peak_dorsiflexion_deg outside what walking allows" in right_line
    assert "NOT RELIABLE" not in next(line for line in text.splitlines() if line.strip().startswith("left"))
