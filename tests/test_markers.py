"""Markers while recording: each line typed at the recorder (a note, Enter) is an event with its time,
in the recording, its export and its report."""

from __future__ import annotations

import os
import threading
import time

import pandas as pd

from conftest import cli_ok
from imu_logger.capture.config import RecordConfig
from imu_logger.capture.job import record_session, virtual_specs
from imu_logger.recording.reader import read_recording


def test_typed_lines_become_markers_with_their_time(tmp_path):
    read_fd, write_fd = os.pipe()
    out = tmp_path / "rec.mcap"
    cfg = RecordConfig(duration_s=4.0)
    typed: list[int] = []

    def type_notes() -> None:  # as a person at the terminal would, while the recorder runs
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        for text in (b"stairs up\n", b"\n", b"sat down", b"\n"):  # the last note's Enter comes later
            if text.endswith(b"\n"):
                typed.append(time.time_ns())  # a marker's moment is its Enter
            os.write(write_fd, text)
            time.sleep(0.5)
        os.close(write_fd)

    typist = threading.Thread(target=type_notes)
    typist.start()
    try:
        record_session(cfg, out, "virtual", specs=virtual_specs(cfg, "simple"), marker_fd=read_fd)
    finally:
        typist.join()
        os.close(read_fd)
    rec = read_recording(out)
    markers = rec.events_of("marker")
    assert [m["message"] for m in markers] == ["stairs up", "marker", "sat down"]
    for m, sent in zip(markers, typed):
        assert 0 <= m["wall_ns"] - sent < 1e9  # when Enter was pressed, to within the loop's busy moments
    start, end = rec.start_wall_ns, int(rec.end["stop_wall_ns"])
    assert all(start < m["wall_ns"] < end for m in markers)

    cli_ok("export", out, "--what", "events", "--out", tmp_path / "x")
    events = pd.read_csv(tmp_path / "x" / "events.csv")
    assert list(events.loc[events["kind"] == "marker", "message"]) == ["stairs up", "marker", "sat down"]
    cli_ok("report", out, "--out", tmp_path / "r.html")
    day = (tmp_path / "r.html").read_text().split('<section id="timeline">')[1].split("</section>")[0]
    assert "Markers noted while recording: " in day and "stairs up; " in day and " sat down." in day
