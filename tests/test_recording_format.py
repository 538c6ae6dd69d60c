"""The raw-batch layout and the MCAP file: round trips, truncation at any byte, foreign files."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_logger.errors import UserError
from imu_logger.recording.batch import RawBatch, pack_batch, unpack_batch
from imu_logger.recording.reader import read_recording
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo

payloads = st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=40)


@given(payloads, st.integers(0, 2**32 - 1), st.integers(0, 2**40))
def test_batch_round_trip(data, connection, t0):
    n = len(data)
    batch = RawBatch(connection, t0 + np.arange(n, dtype=np.int64) * 7, t0 + np.arange(n) * 11,
                     np.arange(n, dtype=np.uint8) % 3, data)
    back = unpack_batch(pack_batch(batch))
    assert back.connection == connection
    assert back.payloads == data
    np.testing.assert_array_equal(back.host_mono_ns, batch.host_mono_ns)
    np.testing.assert_array_equal(back.host_wall_ns, batch.host_wall_ns)
    np.testing.assert_array_equal(back.char_index, batch.char_index)


@given(st.binary(max_size=200))
@settings(max_examples=300)
def test_batch_garbage_is_a_value_error(data):
    try:
        unpack_batch(data)
    except ValueError:
        pass


def _write(path, seconds=5, close=True):
    w = RecordingWriter(path, SessionInfo(time.time_ns(), 0, subject_id="S1", backend="test"))
    w.add_sensor(SensorInfo("left_foot", "witmotion", "AA:BB", 100.0, ["0000ffe4"]))
    for k in range(seconds):
        n = 100
        mono = (k * 1_000_000_000 + np.arange(n) * 10_000_000).astype(np.int64)
        w.write_batch("left_foot", RawBatch(1, mono, mono, np.zeros(n, np.uint8),
                                            [bytes([k, i]) * 10 for i in range(n)]))
        w.write_event("battery", int(mono[-1]), int(mono[-1]), "left_foot", percent=90 - k)
        w.flush()
    if close:
        w.close({"duration_s": seconds})
    return path


def test_complete_recording_reads_back(tmp_path):
    rec = read_recording(_write(tmp_path / "r.mcap"))
    assert not rec.truncated
    assert rec.session["subject_id"] == "S1"
    assert rec.sensors["left_foot"].model == "witmotion"
    assert len(rec.raw["left_foot"]) == 500
    assert rec.raw["left_foot"].payloads[101] == bytes([1, 1]) * 10
    assert [e["percent"] for e in rec.events_of("battery")] == [90, 89, 88, 87, 86]
    assert rec.end == {"duration_s": "5"}


def test_every_truncation_point_opens_or_names_the_file(tmp_path):
    """A crash can cut the file anywhere: it reads up to the last whole chunk, or fails in one line."""
    path = _write(tmp_path / "r.mcap", close=False)
    data = path.read_bytes()
    cut_path = tmp_path / "cut.mcap"
    readable = []
    for cut in range(0, len(data), 7):
        cut_path.write_bytes(data[:cut])
        try:
            rec = read_recording(cut_path)
        except UserError as exc:
            assert "cut.mcap" in str(exc)
            continue
        assert rec.truncated
        readable.append(len(rec.raw.get("left_foot", [])))
    assert readable == sorted(readable)  # more bytes never give fewer samples
    assert readable[-1] >= 400  # at most the last second (100 samples) lost


def test_foreign_files_are_named(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(UserError, match="notes.txt: not an imu-logger recording"):
        read_recording(other)
    with pytest.raises(UserError, match="no such recording"):
        read_recording(tmp_path / "missing.mcap")
    from mcap.writer import Writer
    foreign = tmp_path / "foreign.mcap"
    with open(foreign, "wb") as f:
        w = Writer(f)
        w.start()
        w.finish()
    with pytest.raises(UserError, match="foreign.mcap: MCAP file without an imu-logger session"):
        read_recording(foreign)
