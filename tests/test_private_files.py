"""Health data stays private: every path a command creates is owner-only, whatever the umask."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from conftest import cli_ok
from imu_logger.recording.writer import RecordingWriter, SessionInfo


@pytest.fixture
def open_umask():
    """The common default umask (022: new files world-readable), restored afterwards."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Permission bits of every path below ``root`` that is not owner-only (path -> octal mode)."""
    loose = {}
    for path in root.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            loose[str(path.relative_to(root))] = oct(mode)
    return loose


@pytest.mark.slow  # every command end to end, ~33 s
def test_every_command_creates_owner_only_files_and_folders(tmp_path, open_umask):
    out = tmp_path / "out"  # created by the commands themselves
    cli_ok("simulate", "--minutes", "1", "--scenario", "walk", "--out", out / "sim" / "walk.mcap")
    cli_ok("record", "--backend", "virtual", "--virtual-source", "simple", "--duration", "1",
           "--sensor", "left_foot=open_nrf", "--out", out / "live" / "rec.mcap")
    cli_ok("k2w", "--backend", "virtual", "--side", "left", "--trials", "1", "--yes",
           "--out", out / "k2w" / "k2w.mcap")
    cli_ok("export", out / "live" / "rec.mcap", "--raw", "--out", out / "raw")
    cli_ok("import", "csv", "--placement", f"left_foot={out / 'raw' / 'left_foot.csv'}",
           "--out", out / "imported" / "imp.mcap")
    cli_ok("analyze", out / "sim" / "walk.mcap", "--out", out / "results")
    cli_ok("export", out / "results", "--out", out / "tables")
    cli_ok("report", out / "results", "--k2w", out / "k2w" / "k2w.mcap", "--out", out / "report" / "r.html")
    created = {p.relative_to(out).parts[0] for p in out.iterdir()}
    assert created == {"sim", "live", "k2w", "raw", "imported", "results", "tables", "report"}
    assert len(list(out.rglob("*.*"))) >= 12
    assert modes(out) == {}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700


@pytest.mark.slow  # the whole demo, ~58 s
def test_demo_creates_owner_only_files_and_folders(tmp_path, open_umask):
    cli_ok("demo", "--duration", "5", "--day-minutes", "1", "--k2w-trials", "1", "--out", tmp_path / "demo")
    assert (tmp_path / "demo" / "report.html").is_file()
    assert modes(tmp_path) == {}


def test_existing_folders_keep_their_mode_and_the_writer_is_private_as_a_library(tmp_path, open_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    shared.chmod(0o750)  # a folder the user opened up on purpose: not tightened, not loosened
    path = shared / "a" / "b" / "rec.mcap"
    RecordingWriter(path, SessionInfo(time.time_ns(), time.monotonic_ns()), fsync=False).close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o750
    assert modes(shared) == {}
    assert os.umask(0o022) == 0o022  # the library call left the process umask alone
