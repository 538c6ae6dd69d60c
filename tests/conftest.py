"""Shared test set-up: where the real data is, the rule for tests that need it, recordings made for tests."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.conventions import GRAVITY_MPS2

pytest_plugins = ["pytester"]  # tests/test_shared_data_rule.py runs pytest on a folder without ../shared

ROOT = Path(__file__).resolve().parents[1]
#: recordings made by others (README beside it); a clone of the repository alone does not have it
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
#: a few IPOL foot trials shipped with the tests (README beside them): real data every clone has
IPOL_FIXTURE = ROOT / "tests" / "data" / "ipol_feet"
#: set to 1 (as .ci/run does) to fail, instead of skip, the tests that need SHARED_DATASETS
REQUIRE_SHARED = "IMU_LOGGER_REQUIRE_SHARED"


def load_benchmark(name: str) -> ModuleType:
    """A script of benchmarks/ as a module: tests assert what the benchmark measures and prints."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cli(*args):
    """``imu-logger ARGS`` run in-process as a user types it (each argument as a string): click's Result."""
    from imu_logger.cli import cli  # imported here: a broken CLI fails the tests that run it, not collection

    return CliRunner().invoke(cli, [str(a) for a in args])


def cli_ok(*args) -> str:
    """``run_cli`` that must succeed: the command's output."""
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def cli_fails(*args) -> str:
    """``run_cli`` that must end in a user error: exit status 2 and one line ``error: ...``, no traceback."""
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith("error: ") and "\n" not in line and "Traceback" not in line
    return line


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets``. Absent: the test skips, or fails where ``IMU_LOGGER_REQUIRE_SHARED=1``."""
    if not SHARED_DATASETS.is_dir():
        reason = f"needs the real recordings in {SHARED_DATASETS} (not part of a clone)"
        if os.environ.get(REQUIRE_SHARED) == "1":
            pytest.fail(f"{reason}; {REQUIRE_SHARED}=1 requires them", pytrace=False)
        pytest.skip(reason)
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def ipol_feet(shared_datasets: Path) -> Path:
    """All trials of IPOL subjects 1-10 (``../shared/datasets/ipol_feet``)."""
    return shared_datasets / "ipol_feet"


def _make_results(directory: Path, minutes: float = 6.0, stiff_side: str | None = "left",
                  seed: int = 0) -> tuple[Path, Path]:
    from gait_sim import Scenario, SimConfig, simulate, write_truth
    from imu_logger.recording.simulated import write_simulated_recording

    cfg = SimConfig(minutes=minutes, seed=seed, mounting="random",
                    scenario=dataclasses.replace(Scenario(), kind="walk", stiff_side=stiff_side))
    sim = simulate(cfg)
    directory.mkdir(parents=True, exist_ok=True)
    rec = directory / f"walk{seed}.mcap"
    write_simulated_recording(sim, rec, {p: "open_nrf" for p in sim.signals}, seed)
    truth = directory / "truth"
    write_truth(sim, truth)
    res = directory / f"results{seed}"
    res.mkdir()
    shutil.copy(truth / "truth_strides.csv", res / "strides.csv")
    shutil.copy(truth / "truth_bouts.csv", res / "bouts.csv")
    shutil.copy(truth / "truth_angles.parquet", res / "angles.parquet")
    (res / "analysis.json").write_text(json.dumps({
        "recording": str(rec), "warnings": ["left_foot and right_foot may be swapped"]}))
    return rec, res


@pytest.fixture(scope="session")
def make_results():
    """``make_results(directory, minutes=6.0, stiff_side="left", seed=0) -> (recording, results dir)``:
    a simulated walk recording and a results directory holding its truth tables under the analyze file
    names (strides.csv, bouts.csv, angles.parquet, analysis.json), for the report and export tests."""
    return _make_results


def assert_gravity_at_rest(samples: pd.DataFrame) -> None:
    """The first 100 samples of an imported sensor (at rest in the fixtures) read 1 g within 10 %."""
    norm = np.linalg.norm(samples[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]].to_numpy(float)[:100], axis=1)
    assert abs(np.median(norm) / GRAVITY_MPS2 - 1) < 0.1


def assert_ipol_3_2_strides(recording: Path, out: Path) -> None:
    """``imu-logger analyze`` of a recording of IPOL trial 3-2 finds its footsteps: per foot at most four
    fewer strides than the reference's footsteps (first and last steps, the U-turn), never more."""
    cli_ok("analyze", recording, "--out", out)
    strides = pd.read_csv(out / "strides.csv")
    meta = json.loads((IPOL_FIXTURE / "3-2.json").read_text())
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        assert len(meta[key]) - 4 <= (strides["side"] == side).sum() <= len(meta[key])
