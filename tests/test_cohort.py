"""`imu-logger analyze` on a folder of recordings: a cohort, serially and on a real Dask LocalCluster."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from conftest import run_cli
from gait_sim import SimConfig, simulate
from gait_sim.config import Scenario
from imu_logger.cohort import COHORT_COLUMNS
from imu_logger.recording.simulated import write_simulated_recording


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory):
    """Two simulated walkers (one with a stiff left ankle) and one file that is no recording."""
    d = tmp_path_factory.mktemp("cohort")
    truth = {}
    for seed, stiff in ((1, None), (2, "left")):
        sim = simulate(SimConfig(minutes=1.0, seed=seed, mounting="random",
                                 scenario=Scenario(kind="walk", stiff_side=stiff)))
        write_simulated_recording(sim, d / f"walker{seed}.mcap", {p: "open_nrf" for p in sim.signals},
                                  subject_id=f"S{seed}")
        truth[f"walker{seed}.mcap"] = sim.truth_strides
    (d / "broken.mcap").write_bytes(b"this is not a recording")
    return d, truth


@pytest.fixture(scope="module")
def serial(cohort_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    r = run_cli("analyze", cohort_dir[0], "--out", out, "--scheduler", "serial")
    return out, r


def test_each_recording_gets_a_folder_and_a_row(serial, cohort_dir):
    out, r = serial
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "cohort.csv", keep_default_na=False)
    assert list(table.columns[:len(COHORT_COLUMNS)]) == list(COHORT_COLUMNS)
    assert list(table["recording"]) == ["broken.mcap", "walker1.mcap", "walker2.mcap"]
    rows = table.set_index("recording")
    assert rows.loc["broken.mcap", "status"] == "failed"
    assert "not an imu-logger recording" in rows.loc["broken.mcap", "error"]
    for name, subject in (("walker1.mcap", "S1"), ("walker2.mcap", "S2")):
        assert rows.loc[name, "status"] == "analysed"
        assert rows.loc[name, "subject_id"] == subject
        assert (out / name.removesuffix(".mcap") / "strides.csv").is_file()
        truth = cohort_dir[1][name]
        left = truth[truth["side"] == "left"]
        assert abs(int(rows.loc[name, "n_strides_left"]) - len(left)) <= 1
        assert float(rows.loc[name, "left_stride_length_m"]) == pytest.approx(
            left["stride_length_m"].median(), rel=0.01)  # the README claims 0.11 % mean error per stride
    # the stiff left ankle of walker 2 shows in its own row: less dorsiflexion on the left than walker 1's
    assert float(rows.loc["walker2.mcap", "left_peak_dorsiflexion_deg"]) < \
        float(rows.loc["walker1.mcap", "left_peak_dorsiflexion_deg"]) - 3
    assert float(rows.loc["walker2.mcap", "peak_dorsiflexion_deg_asymmetry_pct"]) < -20
    assert "broken.mcap" in r.output  # the failure is reported, and did not stop the others


def test_resume_skips_up_to_date_and_redoes_changed(serial, cohort_dir):
    out, _ = serial
    cohort_dir = cohort_dir[0]
    r = run_cli("analyze", cohort_dir, "--out", out, "--scheduler", "serial")
    assert r.exit_code == 0, r.output
    status = pd.read_csv(out / "cohort.csv").set_index("recording")["status"]
    assert status["walker1.mcap"] == "up to date" and status["walker2.mcap"] == "up to date"
    rec = cohort_dir / "walker1.mcap"
    st = rec.stat()
    os.utime(rec, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the recording changed since
    r = run_cli("analyze", cohort_dir, "--out", out, "--scheduler", "serial")
    status = pd.read_csv(out / "cohort.csv").set_index("recording")["status"]
    assert status["walker1.mcap"] == "analysed" and status["walker2.mcap"] == "up to date"


def test_local_dask_cluster_gives_the_serial_results(serial, cohort_dir, tmp_path):
    out, _ = serial
    cohort_dir = cohort_dir[0]
    r = run_cli("analyze", cohort_dir, "--out", tmp_path, "--workers", "2")
    assert r.exit_code == 0, r.output
    assert "local Dask cluster" in r.output
    ours = pd.read_csv(tmp_path / "cohort.csv").drop(columns=["status"])
    theirs = pd.read_csv(out / "cohort.csv").drop(columns=["status"])
    pd.testing.assert_frame_equal(ours, theirs)
    for name in ("walker1", "walker2"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name / "strides.csv"),
                                      pd.read_csv(out / name / "strides.csv"))


def test_unreachable_scheduler_is_one_line(cohort_dir, tmp_path):
    cohort_dir = cohort_dir[0]
    r = run_cli("analyze", cohort_dir, "--out", tmp_path, "--scheduler", "tcp://127.0.0.1:9")
    assert r.exit_code == 2
    assert "--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler" in r.output


def test_two_recordings_with_one_name_are_refused(cohort_dir, tmp_path):
    cohort_dir = cohort_dir[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "walker1.mcap").write_bytes((cohort_dir / "walker1.mcap").read_bytes())
    r = run_cli("analyze", cohort_dir, tmp_path / "a", "--out", tmp_path / "out", "--scheduler", "serial")
    assert r.exit_code == 2
    assert "two recordings named 'walker1'" in r.output


@pytest.mark.slow
def test_cluster_started_with_dask_commands_as_the_readme_says(serial, cohort_dir, tmp_path):
    """`dask scheduler` and `dask worker` (Dask's own commands, on loopback), then --scheduler ADDRESS."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    out, _ = serial
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "2", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:  # wait until both workers have joined
            try:
                with Client(address, timeout="2s") as c:
                    if len(c.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Dask workers did not join"
            time.sleep(0.5)
        r = run_cli("analyze", cohort_dir[0], "--out", tmp_path, "--scheduler", address)
        assert r.exit_code == 0, r.output
        assert f"the Dask cluster at {address}" in r.output
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cohort.csv").drop(columns=["status"]),
                                      pd.read_csv(out / "cohort.csv").drop(columns=["status"]))
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(30)
        scheduler.wait(30)
