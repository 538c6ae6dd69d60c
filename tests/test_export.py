"""`imu-logger export` as a user runs it: units in every column, wall-clock times, safe CSV, Parquet."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from conftest import run_cli
from imu_logger.formats.export import neutralise_formula
from imu_logger.recording.reader import read_recording

UNIT = re.compile(r"_(s|deg|m|mps|g|dps|mps2|radps|ut|iso|steps_per_min|pct)$")
UNITLESS = {"side", "stride_id", "bout_id", "quality", "activity", "n_strides_left", "n_strides_right",
            "hour", "n_strides", "kind", "placement", "message", "details", "key", "value",
            "stance_fraction", "median_stance_fraction", "iqr_stance_fraction"}


@pytest.fixture(scope="module")
def day(tmp_path_factory, make_results):
    return make_results(tmp_path_factory.mktemp("exp"), minutes=3.0)


def test_csv_export_units_rows_and_wall_times(day, tmp_path):
    rec, res = day
    r = run_cli("export", res, "--out", tmp_path)
    assert r.exit_code == 0, r.output
    strides = pd.read_csv(tmp_path / "strides.csv")
    truth = pd.read_csv(res / "strides.csv")
    assert len(strides) == len(truth)  # one row per stride
    for name in ("strides", "bouts", "summary", "events"):
        cols = pd.read_csv(tmp_path / f"{name}.csv").columns
        assert all(UNIT.search(c) or c in UNITLESS for c in cols), (name, list(cols))
    start = read_recording(rec).start_wall_ns / 1e9
    for t, iso in zip(strides["start_s"][:50], strides["start_wall_iso"][:50]):
        assert dt.datetime.fromisoformat(iso).timestamp() == pytest.approx(start + t, abs=2e-3)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary["side"]) == {"left", "right"} and (summary["hour"] == 0).all()
    left = truth[truth["side"] == "left"]
    row = summary[summary["side"] == "left"].iloc[0]
    assert row["median_peak_dorsiflexion_deg"] == pytest.approx(left["peak_dorsiflexion_deg"].median(), rel=1e-5)
    assert row["median_cadence_steps_per_min"] == pytest.approx((120 / left["stride_time_s"]).median(), rel=1e-5)


def test_parquet_angles_and_samples(day, tmp_path):
    rec, res = day
    r = run_cli("export", res, "--what", "angles", "--what", "samples", "--format", "parquet", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    angles = pd.read_parquet(tmp_path / "angles.parquet")
    assert list(angles.columns[:2]) == ["time_s", "wall_iso"] and "left_dorsiflexion_deg" in angles
    samples = pd.read_parquet(tmp_path / "samples_left_shin.parquet")
    assert {"time_s", "wall_iso", "acc_x_mps2", "gyr_z_radps"} <= set(samples.columns)
    # from the recording alone, samples need no analysis
    r = run_cli("export", rec, "--what", "samples", "--out", tmp_path / "rec")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rec" / "samples_right_foot.csv").is_file()


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_is_neutralised(text):
    assert neutralise_formula(text) == "'" + text
    assert neutralise_formula("left") == "left" and neutralise_formula(-2.5) == -2.5


def test_subject_id_is_safe_in_the_csv(tmp_path):
    import numpy as np
    df = pd.DataFrame({"time_s": np.arange(200) / 100.0})
    for c in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"):
        df[c] = 9.81 if c == "acc_z" else 0.0
    df.to_csv(tmp_path / "lf.csv", index=False)
    rec = tmp_path / "rec.mcap"
    evil = "=cmd|' /C calc'!A0"
    assert run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'lf.csv'}", "--subject", evil,
                   "--out", rec).exit_code == 0
    r = run_cli("export", rec, "--what", "events", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "o" / "session.csv").read_text()
    assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text
    session = pd.read_csv(tmp_path / "o" / "session.csv").set_index("key")["value"]
    assert session["subject_id"] == "'" + evil


def test_raw_export_has_units_and_wall_clock(day, tmp_path):
    rec, res = day
    r = run_cli("export", rec, "--raw", "--out", tmp_path)
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(tmp_path / "left_foot.csv").columns[:5]) == [
        "time_s", "wall_iso", "acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]
    r = run_cli("export", res, "--raw", "--out", tmp_path / "x")
    assert r.exit_code == 2 and "needs a recording" in r.output
