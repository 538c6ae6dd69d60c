"""`imu-logger analyze` on a recording over the streaming threshold (set low here, --stream-over 60): it is
decoded to a private temporary store and analysed in pieces, and gives the tables of the whole-file
analysis; the report reads its results folder. The equality in detail: tests/test_streamed.py."""

from __future__ import annotations

import json
import stat

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from imu_logger.api import analyze_recording, recording_span_s
from imu_logger.cli import cli
from imu_logger.recording.simulated import write_simulated_recording
from gait_sim import SimConfig, simulate
from gait_sim.config import BoutSpec

BOUTS = (BoutSpec("walking", 90), BoutSpec("standing", 20), BoutSpec("walking", 60, turn_deg=90),
         BoutSpec("sitting", 60), BoutSpec("walking", 80))


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    d = tmp_path_factory.mktemp("stream")
    sim = simulate(SimConfig(minutes=sum(b.duration_s for b in BOUTS) / 60 + 0.3, seed=2, mounting="random",
                             bouts=BOUTS))
    write_simulated_recording(sim, d / "rec.mcap", {p: "open_nrf" for p in sim.signals})
    runner = CliRunner()
    whole = runner.invoke(cli, ["analyze", str(d / "rec.mcap"), "--out", str(d / "whole")])
    streamed = runner.invoke(cli, ["analyze", str(d / "rec.mcap"), "--out", str(d / "streamed"),
                                   "--stream-over", "60"])
    return d, whole, streamed


def test_span_from_the_summary(analysed):
    d, _, _ = analysed
    assert recording_span_s(d / "rec.mcap") == pytest.approx(sum(b.duration_s for b in BOUTS) + 18, abs=1)


def test_streamed_cli_gives_the_whole_tables(analysed):
    d, whole, streamed = analysed
    assert whole.exit_code == 0, whole.output
    assert streamed.exit_code == 0, streamed.output
    a, b = (pd.read_csv(d / k / "strides.csv") for k in ("whole", "streamed"))
    assert len(a) == len(b) > 150
    assert (a["side"] == b["side"]).all() and (a["quality"] == b["quality"]).all()
    assert np.abs(a["start_s"] - b["start_s"]).max() < 1e-3
    assert (np.abs(a["stride_length_m"] - b["stride_length_m"]) / a["stride_length_m"]).max() < 0.01
    assert np.abs(a["peak_dorsiflexion_deg"] - b["peak_dorsiflexion_deg"]).max() < 0.05
    bw, bs = (pd.read_csv(d / k / "bouts.csv") for k in ("whole", "streamed"))
    assert list(bw["activity"]) == list(bs["activity"])
    iw, is_ = (json.loads((d / k / "analysis.json").read_text()) for k in ("whole", "streamed"))
    assert iw["gaps"] == is_["gaps"] and iw["truncated"] is is_["truncated"] is False
    assert not list(d.glob("imu-logger-store-*"))  # the temporary store is gone
    # the angles on the whole analysis's time grid (each sensor's own rate), here all of it moving
    aw, as_ = (pd.read_parquet(d / k / "angles.parquet") for k in ("whole", "streamed"))
    assert len(aw) == len(as_) and np.abs(aw["time_s"] - as_["time_s"]).max() < 1e-9


def test_report_reads_the_streamed_results(analysed, tmp_path):
    d, _, _ = analysed
    res = CliRunner().invoke(cli, ["report", str(d / "streamed"), "--out", str(tmp_path / "day.html")])
    assert res.exit_code == 0, res.output
    assert "left" in (tmp_path / "day.html").read_text()


def test_store_is_private_while_it_exists(analysed, tmp_path):
    """The store holds health data: owner-only while the analysis runs, removed after it."""
    d, _, _ = analysed
    seen = []

    def progress(frac: float, stage: str) -> None:
        seen.extend(stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob("imu-logger-store-*"))

    res = analyze_recording(d / "rec.mcap", progress=progress, stream_over_s=60, work_dir=tmp_path)
    assert len(res.gait.strides) > 150
    assert seen and all(mode == 0o700 for mode in seen)
    assert not list(tmp_path.iterdir())
