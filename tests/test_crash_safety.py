"""A recorder killed with SIGKILL mid-session leaves a file that opens, missing at most one second."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from imu_logger.cli import cli
from imu_logger.recording.reader import read_recording

pytestmark = pytest.mark.slow  # real recorder processes, 13-22 s each


def test_sigkill_loses_at_most_the_last_second(tmp_path):
    out = tmp_path / "killed.mcap"
    proc = subprocess.Popen([sys.executable, "-m", "imu_logger", "record", "--backend", "virtual",
                             "--duration", "120", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        # wait until all four sensors stream and a few seconds are on disk
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if out.exists() and out.stat().st_size > 60_000:
                break
        time.sleep(2.3)  # kill at an arbitrary point between two flushes
        killed_at_ns = time.time_ns()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    rec = read_recording(out)  # no repair step
    assert rec.truncated and rec.end is None
    assert len(rec.sensors) == 4
    for placement, log in rec.raw.items():
        assert len(log) > 0, placement
        lost_s = (killed_at_ns - int(log.host_wall_ns.max())) * 1e-9
        assert lost_s <= 1.0, f"{placement}: {lost_s:.2f} s lost"

    r = CliRunner().invoke(cli, ["info", str(out)])
    assert r.exit_code == 0, r.output
    assert "did not close cleanly" in r.output


def test_ctrl_c_stops_cleanly_with_a_summary(tmp_path):
    out = tmp_path / "stopped.mcap"
    proc = subprocess.Popen([sys.executable, "-m", "imu_logger", "record", "--backend", "virtual",
                             "--virtual-source", "simple", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 30_000):
            time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    # how long was recorded, why it stopped, and how long connecting took before it
    assert re.search(r"recorded \d+\.\d s to .* \(stopped by Ctrl-C or a signal; connecting the "
                     r"sensors took \d+\.\d s before that\)", stdout), stdout
    assert "left_shin" in stdout
    rec = read_recording(out)
    assert not rec.truncated and rec.end is not None and rec.end["stopped_by"] == "signal"
