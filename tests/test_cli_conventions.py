"""CLI conventions as a user meets them: -h everywhere, info on recordings and results folders,
--json and --quiet for info and for the end summaries of analyze and record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import cli_ok

SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "sample" / "walk-1min.mcap"


@pytest.mark.parametrize("command", [[], ["record"], ["analyze"], ["info"], ["import", "csv"], ["export"],
                                     ["report"], ["simulate"], ["k2w"], ["demo"]])
def test_dash_h_is_help(command):
    assert "Show this message and exit." in cli_ok(*command, "-h")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("res") / "res"
    facts = json.loads(cli_ok("analyze", SAMPLE, "--out", out, "--json"))
    return out, facts


def test_analyze_json_is_the_info_json_of_its_results(results):
    out, facts = results
    assert facts["results"] == str(out) and facts["recording"] == str(SAMPLE)
    assert facts["strides"] == {"left": 9, "right": 9} and facts["walking_bouts"] == 1
    again = json.loads(cli_ok("info", out, "--json"))
    assert again == {**facts, "results": str(out)}


def test_info_describes_a_results_folder(results):
    out, _ = results
    text = cli_ok("info", out)
    assert text.startswith(f"results {out} of {SAMPLE}")
    assert "1 walking bouts, 9 left and 9 right strides" in text


def test_info_json_and_quiet_on_a_recording():
    facts = json.loads(cli_ok("info", SAMPLE, "--json"))
    assert facts["closed_cleanly"] is True and facts["subject_id"] == "simulated"
    assert [s["placement"] for s in facts["sensors"]] == ["left_shin", "left_foot", "right_shin", "right_foot"]
    assert all(s["samples"] > 5900 for s in facts["sensors"])
    assert cli_ok("info", SAMPLE, "--quiet") == ""  # nothing needs attention in the sample


def test_analyze_quiet_prints_only_what_needs_attention(tmp_path):
    assert cli_ok("analyze", SAMPLE, "--out", tmp_path / "q", "--quiet") == ""
    assert (tmp_path / "q" / "strides.csv").is_file()


def test_record_json_end_summary(tmp_path):
    out = tmp_path / "rec.mcap"
    facts = json.loads(cli_ok("record", "--backend", "virtual", "--virtual-source", "simple", "--duration", "3",
                              "--out", out, "--json"))
    assert facts["recording"] == str(out) and facts["closed_cleanly"] is True
    assert {s["placement"] for s in facts["sensors"]} == {"left_shin", "left_foot", "right_shin", "right_foot"}


def test_an_implausible_scale_reaches_info_and_the_analysis_warnings(tmp_path):
    """A sensor whose accelerations read 0.45 g at rest (Polar frames decoded with a wrong factor,
    issue 12) is never silent: info shows the decoder's note and analyze warns."""
    import dataclasses

    from gait_sim import SimConfig, simulate
    from gait_sim.config import Scenario
    from imu_logger.recording.simulated import write_simulated_recording

    sim = simulate(SimConfig(minutes=0.5, seed=1, scenario=Scenario(kind="walk")))
    df = sim.signals["left_foot"]
    df[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]] *= 0.45
    rec = tmp_path / "halved.mcap"
    write_simulated_recording(dataclasses.replace(sim), rec, {p: "open_nrf" for p in sim.signals})
    text = cli_ok("info", rec)
    assert "note left_foot: open_nrf: implausible scale: the median acceleration norm" in text
    assert "note right_foot" not in text
    out = cli_ok("analyze", rec, "--out", tmp_path / "res")
    assert "warning: left_foot: open_nrf: implausible scale" in out
