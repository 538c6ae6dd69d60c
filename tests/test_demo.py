"""The main command, as the README runs it (shortened): capture, simulation, analysis, report."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from imu_logger.cli import cli


@pytest.mark.slow  # ~1 min: the whole demo path
def test_demo_runs_the_whole_path_and_calls_out_the_stiff_ankle(tmp_path):
    out = tmp_path / "demo"
    r = CliRunner().invoke(cli, ["demo", "--duration", "6", "--day-minutes", "5", "--k2w-trials", "1",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    report = out / "report.html"
    assert f"report: {report.resolve()}" in r.output
    for name in ("live.mcap", "day.mcap", "k2w.mcap", "day_results/strides.csv",
                 "live_results/strides.csv", "day_truth/truth_strides.csv"):
        assert (out / name).is_file(), name
    html = report.read_text()
    assert "LEFT ankle is stiffer" in html
    strides = pd.read_csv(out / "day_results" / "strides.csv")
    left = strides[strides.side == "left"].peak_dorsiflexion_deg.median()
    right = strides[strides.side == "right"].peak_dorsiflexion_deg.median()
    assert left < right - 3
