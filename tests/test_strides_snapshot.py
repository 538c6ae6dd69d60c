"""strides.csv as `imu-logger analyze` writes it, compared with a stored snapshot (syrupy): on a simulated
recording and on a real IPOL trial imported with `imu-logger import csv`.

A change of the analysis that moves, adds or drops a stride shows as a diff of these CSV files. When the
change is intended, regenerate the snapshots, review the diff and commit it with the change:

    .venv/bin/pytest tests/test_strides_snapshot.py --snapshot-update

The stored files are tests/__snapshots__/test_strides_snapshot/*.csv. Values are rounded to the
precision the project claims (``DECIMALS``), so that float noise of another machine does not break them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from analysis.ipol_validation import load_foot
from conftest import IPOL_FIXTURE, run_cli

#: decimals per column unit: times 1 ms (events are claimed to a few ms), lengths 1 mm, speeds 1 mm/s,
#: angles 0.1° (the report's resolution), angular velocity 0.1 °/s, acceleration 0.01 g
DECIMALS = {"_s": 3, "_m": 3, "_mps": 3, "_deg": 1, "_dps": 1, "_g": 2, "stance_fraction": 3}
REAL_TRIAL = "3-6"  # packet loss during the walk: strides marked gap are in the snapshot too


class CsvSnapshot(SingleFileSnapshotExtension):
    """One snapshot per test, as a .csv file that reads in a diff."""

    _write_mode = WriteMode.TEXT
    file_extension = "csv"


@pytest.fixture
def csv_snapshot(snapshot):
    return snapshot.use_extension(CsvSnapshot)


def run(*args) -> None:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output


def rounded_strides(results: Path) -> str:
    """strides.csv of a results directory, each number rounded to ``DECIMALS`` of its column's unit."""
    strides = pd.read_csv(results / "strides.csv")
    for column in strides.columns:
        decimals = [d for suffix, d in DECIMALS.items() if column.endswith(suffix)]
        if decimals:
            strides[column] = strides[column].round(decimals[0])
    return strides.to_csv(index=False, lineterminator="\n")


def test_strides_of_a_simulated_recording(tmp_path, csv_snapshot):
    rec = tmp_path / "sim.mcap"
    run("simulate", "--minutes", 2, "--seed", 1, "--out", rec)
    run("analyze", rec, "--out", tmp_path / "res")
    assert rounded_strides(tmp_path / "res") == csv_snapshot


def test_strides_of_an_imported_ipol_trial(tmp_path, csv_snapshot):
    placements = []
    for foot, placement in (("lf", "left_foot"), ("rf", "right_foot")):
        samples = load_foot(IPOL_FIXTURE, REAL_TRIAL, foot)
        samples.columns = [c.removesuffix("_mps2").removesuffix("_radps") for c in samples.columns]
        samples.to_csv(tmp_path / f"{placement}.csv", index=False)  # the generic CSV: time_s, acc_x.., gyr_x..
        placements += ["--placement", f"{placement}={tmp_path / f'{placement}.csv'}"]
    run("import", "csv", *placements, "--out", tmp_path / "ipol.mcap")
    run("analyze", tmp_path / "ipol.mcap", "--out", tmp_path / "res")
    assert rounded_strides(tmp_path / "res") == csv_snapshot
