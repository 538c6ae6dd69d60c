"""A simulation streamed in time chunks (bounded memory) equals the whole one.

Signals, sensor clocks, dropped samples and truth tables: bit for bit. The recording: the same
notifications bit for bit; with more than one chunk only the simulated BLE latencies (host receive
times) are other draws of the same distribution (exponential, mean 8 ms, delivered in order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.columns import ACC, GYR, MAG, TIME
from gait_sim import SimConfig, simulate
from gait_sim.chunked import ChunkedSimulation, TruthWriter, chunk_samples
from gait_sim.imu import CHUNK
from imu_logger.recording.reader import read_recording
from imu_logger.recording.simulated import write_chunked_recording, write_simulated_recording

# 70 min at 50 Hz = 210 000 samples: two whole chunks of imu.CHUNK samples and a part
CFG = SimConfig(minutes=70.0, fs_hz=50.0, seed=4, mounting="random", placements=("left_shin", "right_foot"))
CHUNK_S = 1.0  # rounds up to one imu.CHUNK of samples
MODELS = {p: "open_nrf" for p in CFG.placements}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.mktemp("chunked")


@pytest.fixture(scope="module")
def whole(files):
    sim = simulate(CFG)
    sim.delivered = write_simulated_recording(sim, files / "whole.mcap", MODELS, seed=7)
    return sim


@pytest.fixture(scope="module")
def chunked(files):
    sim, chunks = ChunkedSimulation(CFG, chunk_s=CHUNK_S), []
    sim.delivered = write_chunked_recording(sim, files / "chunked.mcap", MODELS, seed=7, on_chunk=chunks.append)
    return sim, chunks


def test_chunks_are_whole_blocks_of_the_signal_generator():
    assert chunk_samples(100.0) == 4 * CHUNK  # about an hour at 100 Hz
    assert chunk_samples(50.0, CHUNK_S) == CHUNK


def test_chunked_signals_equal_the_whole_simulation(whole, chunked):
    sim, chunks = chunked
    assert len(chunks) == 3
    assert [c.lo for c in chunks] == [0, CHUNK, 2 * CHUNK]
    for p in CFG.placements:
        keep = np.concatenate([c.keep[p] for c in chunks])
        kept = whole.signals[p]
        np.testing.assert_array_equal(whole.time_s[keep], kept[TIME].to_numpy())
        for cols, name in ((ACC, "acc"), (GYR, "gyr"), (MAG, "mag")):
            rows = np.concatenate([getattr(c, name)[p] for c in chunks])
            np.testing.assert_array_equal(rows[keep], kept[list(cols)].to_numpy(), err_msg=f"{p} {name}")
            # a dropped row holds the clean value (never sent)
            np.testing.assert_array_equal(rows[~keep], whole.clean_signals[p][list(cols)].to_numpy()[~keep])
        np.testing.assert_array_equal(np.concatenate([c.sensor_time_s[p] for c in chunks])[keep],
                                      whole.sensor_time_s[p])
        assert (~keep).sum() > 0  # the error model dropped some samples, so the masks were compared


def test_chunked_truth_equals_the_whole_simulation(whole, chunked, tmp_path):
    sim, chunks = chunked
    for name in ("truth_strides", "truth_bouts", "stance_phases", "neutral_periods"):
        pd.testing.assert_frame_equal(getattr(sim, name), getattr(whole, name), check_exact=True, obj=name)
    peaks = sim.truth_strides.groupby("side")["peak_tibial_accel_g"]
    assert peaks.apply(lambda x: np.isfinite(x).all()).to_dict() == {"left": True, "right": False}  # shin: left only
    writer = TruthWriter(sim, tmp_path)
    for c in chunks:
        writer.add(c)
    writer.close()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "truth_angles.parquet"), whole.truth_angles,
                                  check_exact=True)
    assert len(pd.read_csv(tmp_path / "truth_strides.csv")) == len(whole.truth_strides)


def test_chunked_recording_has_the_whole_recordings_notifications(whole, chunked, files):
    assert chunked[0].delivered == whole.delivered
    ra, rb = read_recording(files / "whole.mcap"), read_recording(files / "chunked.mcap")
    for p in CFG.placements:
        x, y = ra.raw[p], rb.raw[p]
        assert list(x.payloads) == list(y.payloads)
        np.testing.assert_array_equal(x.char_index, y.char_index)
        host_a, host_b = x.host_mono_ns * 1e-9, y.host_mono_ns * 1e-9
        assert np.all(np.diff(host_b) >= 0)  # in order
        # each is true time + latency: their difference is a difference of two latencies
        assert np.median(np.abs(host_a - host_b)) < 0.02
        assert abs(np.mean(host_a - host_b)) < 1e-3


def test_one_chunk_writes_the_whole_recording_exactly(tmp_path):
    cfg = SimConfig(minutes=1.0, fs_hz=100.0, seed=1, mounting="random")
    models = {p: "open_nrf" for p in cfg.placements}
    a, b = tmp_path / "whole.mcap", tmp_path / "chunked.mcap"
    write_simulated_recording(simulate(cfg), a, models, seed=1)
    write_chunked_recording(ChunkedSimulation(cfg), b, models, seed=1)
    ra, rb = read_recording(a), read_recording(b)
    for p in cfg.placements:
        assert list(ra.raw[p].payloads) == list(rb.raw[p].payloads)
        np.testing.assert_array_equal(ra.raw[p].host_mono_ns, rb.raw[p].host_mono_ns)


def test_lower_back_is_refused_with_a_clear_error():
    from analysis.errors import UserError
    cfg = SimConfig(minutes=1.0, placements=("left_shin", "lower_back"))
    with pytest.raises(UserError, match="lower_back"):
        ChunkedSimulation(cfg)
