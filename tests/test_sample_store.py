"""A recording decoded to a SampleStore reads back exactly what decode_recording gives, by time range."""

from __future__ import annotations

import dataclasses
import stat
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.columns import TIME
from gait_sim import Scenario, SimConfig, simulate
from imu_logger.errors import UserError
from imu_logger.recording import generic
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.reader import RecordingScan, read_recording
from imu_logger.recording.simulated import write_simulated_recording
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo
from imu_logger.samples.decode import GAP_COLUMNS, decode_recording
from imu_logger.samples.inventory import decoder_notes, inventory
from imu_logger.samples.store import SampleStore, decode_to_store

#: every sensor model at a rate it streams at
MODELS = {"witmotion": 100.0, "open_nrf": 100.0, "thingy52": 100.0, "polar_verity": 104.0, "movella_dot": 60.0}
BATCH = 40  # notifications per raw batch


def _notifications(model_key: str, fs_hz: float, seed: int, tmp_path) -> tuple[SensorInfo, object]:
    """One simulated sensor's notifications (with the simulator's dropped samples), as read back."""
    cfg = SimConfig(minutes=0.25, fs_hz=fs_hz, seed=seed, scenario=dataclasses.replace(Scenario(), kind="walk"),
                    placements=("left_foot",))
    path = tmp_path / f"{model_key}.mcap"
    write_simulated_recording(simulate(cfg), path, {"left_foot": model_key}, seed=seed)
    rec = read_recording(path)
    return rec.sensors["left_foot"], rec.raw["left_foot"]


def _generic_payloads(n: int, seed: int) -> tuple[np.ndarray, list[bytes]]:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 50.0
    t[n // 2:] += 0.3  # a gap the imported times show
    rows = np.column_stack([t, rng.normal(0, 3, (n, 6)), np.full((n, 3), np.nan)])
    per = generic.ROWS_PER_NOTIFICATION
    return (t[per - 1::per] * 1e9).astype(np.int64), generic.pack_rows(rows)  # receive time: its last row


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """Every model, the generic import and a sensor that never sent anything, in one file: each sensor
    connects twice (its stream restarts), the first connection loses notifications, batches interleave."""
    tmp = tmp_path_factory.mktemp("store")
    rng = np.random.default_rng(7)
    start_wall = time.time_ns()
    w = RecordingWriter(tmp / "all.mcap", SessionInfo(start_wall, 0, subject_id="S1", backend="test"), fsync=False)
    streams = []
    for k, (model_key, fs) in enumerate(MODELS.items()):
        info, log = _notifications(model_key, fs, k, tmp)
        info = dataclasses.replace(info, placement=model_key)
        w.add_sensor(info)
        n = len(log)
        shift = int(log.host_mono_ns[-1]) + 3_000_000_000
        first = np.flatnonzero(rng.random(n) > 0.02)  # radio losses in the first connection
        for connection, idx, dt in ((1, first, 0), (2, np.arange(n), shift)):
            data = [log.payloads[int(i)] for i in idx]
            if connection == 2:  # a damaged notification: its CRC, checksum or frame no longer fits
                data[20] = data[20][:-1] + bytes([data[20][-1] ^ 0x5A])
            streams.append((info.placement, connection, log.host_mono_ns[idx] + dt, log.char_index[idx], data))
    mono, payloads = _generic_payloads(3000, 1)  # 30 notifications of 100 rows
    w.add_sensor(SensorInfo("imported", generic.MODEL_KEY, "file.csv", 50.0, []))
    streams.append(("imported", 1, mono[:1], np.zeros(1, np.uint8), payloads[:1]))
    payloads[7] = payloads[7][:-8]  # not whole rows
    streams.append(("imported", 2, mono[1:], np.zeros(len(mono) - 1, np.uint8), payloads[1:]))
    w.add_sensor(SensorInfo("silent", "open_nrf", "AA", 100.0, ["d7a40002-3b1e-4c6f-a2e8-91f05c7b3e64"]))
    batches = []
    for placement, connection, t, chars, data in streams:
        for a in range(0, len(data), BATCH):
            batches.append((int(t[a]), placement, RawBatch(connection, t[a:a + BATCH], t[a:a + BATCH] + start_wall,
                                                           chars[a:a + BATCH], data[a:a + BATCH])))
    connected = set()
    for k, (t0, placement, batch) in enumerate(sorted(batches, key=lambda b: b[0])):
        if (placement, batch.connection) not in connected:
            connected.add((placement, batch.connection))
            w.write_event("connect", t0, t0 + start_wall, placement, connection=batch.connection)
        w.write_batch(placement, batch)
        if k % 10 == 0:
            w.flush()
    w.close({"duration_s": "60"})
    return tmp / "all.mcap"


def _assert_store_is_decode(store: SampleStore, path) -> None:
    rec = read_recording(path)
    decoded = decode_recording(rec)
    assert list(store.sensors) == list(rec.sensors) and store.sensors == rec.sensors
    got_rec = store.recording
    assert (got_rec.session, got_rec.events, got_rec.end, got_rec.truncated, got_rec.metadata) == (
        rec.session, rec.events, rec.end, rec.truncated, rec.metadata)
    assert (got_rec.start_mono_ns, got_rec.start_wall_ns) == (rec.start_mono_ns, rec.start_wall_ns)
    for p, s in decoded.items():
        got = store.read(p, -np.inf, np.inf)
        pd.testing.assert_frame_equal(got, s.data, check_exact=True)
        for c in s.data.columns:  # bit for bit, NaN payloads included
            assert got[c].to_numpy().tobytes() == s.data[c].to_numpy().tobytes(), (p, c)
        info = store.info[p]
        assert (info.model, info.rate_hz, info.samples) == (s.model, s.rate_hz, len(s.data))
        assert (info.clocks, info.corrupt, info.notes) == (s.clocks, s.corrupt, s.notes), p
    frames = [s.gaps for s in decoded.values() if len(s.gaps)]
    gaps = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(GAP_COLUMNS))
    pd.testing.assert_frame_equal(store.gaps, gaps, check_exact=True)
    pd.testing.assert_frame_equal(store.inventory(), inventory(rec, decoded), check_exact=True)
    assert store.notes() == decoder_notes(decoded)
    assert store.placements == tuple(p for p, s in decoded.items() if len(s.data))


def test_every_model_reads_back_bit_for_bit(recording, tmp_path):
    store = decode_to_store(recording, tmp_path / "store")
    decoded = decode_recording(read_recording(recording))
    assert set(decoded) == {*MODELS, "imported", "silent"}
    assert all(len(decoded[p].data) > 500 for p in (*MODELS, "imported"))
    assert set(decoded["open_nrf"].data.connection) == {1, 2} and len(decoded["silent"].data) == 0
    assert (decoded["open_nrf"].gaps.source == "counter").any()  # the first connection's losses
    assert "mag_x_ut" in decoded["thingy52"].data and decoded["polar_verity"].notes
    assert all(decoded[p].corrupt for p in ("open_nrf", "movella_dot", "imported"))
    _assert_store_is_decode(store, recording)
    _assert_store_is_decode(SampleStore.open(tmp_path / "store"), recording)


def test_a_cut_recording_reads_back_as_the_reader_sees_it(recording, tmp_path):
    data = recording.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[:int(len(data) * 0.8) + 5])
    store = decode_to_store(cut, tmp_path / "store")
    assert store.truncated and store.recording.end is None
    assert 0 < store.samples("open_nrf") < decode_to_store(recording, tmp_path / "whole").samples("open_nrf")
    _assert_store_is_decode(store, cut)


def test_small_blocks_read_the_same_notifications(recording):
    """Records cut by the block boundaries of the streamed read are joined whole."""
    def joined(block_bytes):
        scan = RecordingScan(recording)
        out = {}
        for got in scan.blocks(block_bytes):
            for cid, cols in got.items():
                out.setdefault(cid, []).append(cols)
        return {cid: (np.concatenate([c.host_mono_ns for c in cols]), np.concatenate([c.connection for c in cols]),
                      b"".join(c.payload for c in cols)) for cid, cols in out.items()}, scan.truncated

    (small, small_cut), (whole, whole_cut) = joined(1000), joined(4 << 20)
    assert small_cut == whole_cut is False and small.keys() == whole.keys()
    for cid in whole:
        assert np.array_equal(small[cid][0], whole[cid][0]) and np.array_equal(small[cid][1], whole[cid][1])
        assert small[cid][2] == whole[cid][2]


@pytest.fixture(scope="module")
def store_and_tables(recording, tmp_path_factory):
    store = decode_to_store(recording, tmp_path_factory.mktemp("ranges") / "store")
    return store, {p: s.data for p, s in decode_recording(read_recording(recording)).items()}


@given(placement=st.sampled_from(sorted({*MODELS, "imported"})), a=st.floats(-5, 40), width=st.floats(0, 40))
@settings(max_examples=60, deadline=None)
def test_a_time_range_reads_exactly_its_rows(store_and_tables, placement, a, width):
    store, tables = store_and_tables
    df = tables[placement]
    t = df[TIME].to_numpy()
    b = a + width
    want = df[(t >= a) & (t < b)].reset_index(drop=True)
    pd.testing.assert_frame_equal(store.read(placement, a, b), want, check_exact=True)


def test_the_store_is_owner_only_and_never_overwrites(recording, tmp_path):
    folder = tmp_path / "store"
    decode_to_store(recording, folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [f for f in folder.rglob("*") if f.is_file()]
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o700 for d in folder.rglob("*") if d.is_dir())
    with pytest.raises(UserError, match="store.*not empty"):
        decode_to_store(recording, folder)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(UserError, match="notes.txt: not an imu-logger recording"):
        decode_to_store(other, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
    with pytest.raises(UserError, match="not a sample store"):
        SampleStore.open(tmp_path)
