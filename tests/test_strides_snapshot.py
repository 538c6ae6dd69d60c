"""strides.csv as `imu-logger analyze` writes it, compared with a stored snapshot (syrupy): on a simulated
walk, and on both feet of two real ipol_feet trials shipped with the tests, imported with
`imu-logger import csv`. Any change of a stride, an event time, a metric or a flag shows here.

A deliberate change of the analysis: regenerate the snapshots, review the CSV diff, commit it with the
change:

    .venv/bin/pytest tests/test_strides_snapshot.py --snapshot-update

The stored files are tests/__snapshots__/test_strides_snapshot/*.csv. Numbers are rounded to the
precision the project claims (``DECIMALS``), so that float noise of another machine does not break them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from analysis.ipol_validation import load_foot
from conftest import IPOL_FIXTURE, cli_ok

#: decimals per column unit: times 1 ms (events are claimed to a few ms), lengths 1 mm, speeds 1 mm/s,
#: angles 0.1° (the report's resolution), angular velocity 0.1 °/s, acceleration 0.01 g
DECIMALS = {"_s": 3, "_m": 3, "_mps": 3, "_deg": 1, "_dps": 1, "_g": 2, "stance_fraction": 3}


class CsvSnapshot(SingleFileSnapshotExtension):
    """One snapshot per test, as a .csv file that reads in a diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "csv"


@pytest.fixture
def csv_snapshot(snapshot):
    return snapshot.use_extension(CsvSnapshot)


def rounded_strides(results: Path) -> str:
    """strides.csv of a results directory, each number rounded to ``DECIMALS`` of its column's unit."""
    strides = pd.read_csv(results / "strides.csv")
    for column in strides.columns:
        decimals = [d for suffix, d in DECIMALS.items() if column.endswith(suffix)]
        if decimals:
            strides[column] = strides[column].round(decimals[0])
    return strides.to_csv(index=False, lineterminator="\n")


def test_strides_of_a_simulated_walk(tmp_path, csv_snapshot):
    """The whole path (recording bytes, decoding, calibration, strides, angle metrics, flags) on a
    2-minute simulated walk with four sensors."""
    rec = tmp_path / "walk.mcap"
    cli_ok("simulate", "--minutes", 2, "--seed", 1, "--scenario", "walk", "--out", rec)
    cli_ok("analyze", rec, "--out", tmp_path / "res")
    assert rounded_strides(tmp_path / "res") == csv_snapshot


@pytest.mark.parametrize("trial", ["3-2", "3-6"])  # 3-6 loses 6-7 % of its packets: gap strides
def test_strides_of_a_real_ipol_trial(trial, tmp_path, csv_snapshot):
    """Both feet of a real trial (foot sensors only), imported as generic CSV files."""
    placements = []
    for foot, placement in (("lf", "left_foot"), ("rf", "right_foot")):
        samples = load_foot(IPOL_FIXTURE, trial, foot)
        samples.columns = [c.removesuffix("_mps2").removesuffix("_radps") for c in samples.columns]
        samples.to_csv(tmp_path / f"{placement}.csv", index=False)  # the generic CSV: time_s, acc_x.., gyr_x..
        placements += ["--placement", f"{placement}={tmp_path / f'{placement}.csv'}"]
    cli_ok("import", "csv", *placements, "--out", tmp_path / "ipol.mcap")
    cli_ok("analyze", tmp_path / "ipol.mcap", "--out", tmp_path / "res")
    assert rounded_strides(tmp_path / "res") == csv_snapshot
