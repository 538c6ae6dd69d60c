"""End to end: a virtual Polar Verity Sense recorded through bleak and Bumble speaks the corrected formats.

The recorder enters SDK mode and starts acc and gyro; the virtual device answers with factors and
sends 0x80 acc frames, and before its injected disconnect it announces the stop (``01 02 05``), as
a Verity does when it ends a session itself. The recording must decode with no corrupt frame, the
stop as an event, a gravity norm of 1 g at rest, and both connections. A second virtual Verity
replays the bytes of a factor-less session (start answer ``F0 02 02 00 00``, 0x81 mG frames) over
the same BLE path.
"""

from __future__ import annotations

import asyncio
import struct

import numpy as np
import pytest

from analysis.columns import ACC as ACC_COLUMNS
from imu_logger.ble import virtual
from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import ArraySource, ReplaySource
from imu_logger.capture.session import Session
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.polar_pmd import ACC, GYRO, PMD_CP, PMD_DATA, data_frame

SECONDS = 8.0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("polar") / "polar.mcap"
    still = np.tile([0.0, 0.0, GRAVITY_MPS2], (200, 1))  # lying still: the norm must read 1 g
    source = ArraySource(still, np.zeros((200, 3)), None, 100.0)

    async def go():
        specs = virtual.default_specs(sources={"right_shin": source}, models={"right_shin": "polar_verity"},
                                      faults={"right_shin": Faults(disconnect_at_s=3.0)})
        async with virtual.running(specs) as world:
            session = Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                              subject_id="polar", duration_s=SECONDS, scan_timeout_s=5.0)
            await session.run()
            return world.sent(specs["right_shin"].address)

    sent = asyncio.run(go())
    rec = read_recording(out)
    return sent, rec, decode_recording(rec)["right_shin"]


def test_virtual_polar_sends_factor_answers_0x80_acc_frames_and_a_stop(recorded):
    sent, _, _ = recorded
    acc_frames = [n.data for n in sent if n.uuid == PMD_DATA and n.data[0] == 2]
    assert acc_frames and {f[9] for f in acc_frames} == {0x80}
    starts = [n.data for n in sent if n.uuid == PMD_CP and n.data[:3] == bytes([0xF0, 0x02, 0x02])]
    assert starts and all(s[5:7] == bytes([5, 1]) for s in starts)  # each acc start answer carries a factor
    assert any(n.data == bytes([0x01, 0x02, 0x05]) for n in sent if n.uuid == PMD_CP)


def test_recording_decodes_with_the_stop_as_an_event_and_gravity_at_one_g(recorded):
    _, rec, samples = recorded
    assert samples.corrupt == []
    assert any("stop event" in text and "acc, gyro" in text for _, text in samples.notes)
    assert not any("implausible" in text for _, text in samples.notes)
    assert samples.data.connection.nunique() >= 2  # it reconnected after the stop
    norm = np.linalg.norm(samples.data[list(ACC_COLUMNS)].to_numpy(), axis=1)
    assert np.abs(norm - GRAVITY_MPS2).max() < 16 * GRAVITY_MPS2 / 32768


def factorless_verity_frames(seconds: float = 4.0, rate_hz: float = 104.0) -> list[tuple[str, bytes, float]]:
    """A Verity session as polar-ble-sdk issues #331 and #443 show one: an acc start answer with no
    factor (``F0 02 02 00 00``) and 0x81 acc frames in mG, gyro frames with a factor, then the
    device's stop message. The sensor lies still (1000 mG on z)."""
    gyro_answer = bytes([0xF0, 0x02, GYRO, 0, 0, 5, 1]) + struct.pack("<f", 2000 / 32768)
    frames = [(PMD_CP, bytes([0xF0, 0x02, ACC, 0, 0]), 0.0), (PMD_CP, gyro_answer, 0.0)]
    per_frame = 36
    t0 = 700_000_000_000_000_000  # ns since 2000: about 2022, where float64 seconds lose ~100 ns
    for k in range(int(seconds * rate_hz / per_frame)):
        t_last = t0 + int(round(((k + 1) * per_frame - 1) * 1e9 / rate_hz))
        t_s = (t_last - t0) * 1e-9
        frames.append((PMD_DATA, data_frame(ACC, t_last, np.tile([0, 0, 1000], (per_frame, 1)), 0x81), t_s))
        frames.append((PMD_DATA, data_frame(GYRO, t_last, np.zeros((per_frame, 3), np.int64), 0x80), t_s))
    frames.append((PMD_CP, bytes([0x01, ACC, GYRO]), frames[-1][2] + 0.01))
    return frames


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    out = tmp_path_factory.mktemp("polar_replay") / "replay.mcap"
    source = ReplaySource(factorless_verity_frames())

    async def go():
        specs = virtual.default_specs(sources={"right_shin": source}, models={"right_shin": "polar_verity"})
        async with virtual.running(specs):
            session = Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                              subject_id="polar", duration_s=6.0, scan_timeout_s=5.0)
            await session.run()

    asyncio.run(go())
    return decode_recording(read_recording(out))["right_shin"]


def test_a_factorless_verity_session_replayed_over_ble_reads_one_g(replayed):
    samples = replayed
    assert samples.corrupt == [] and len(samples.data) > 300
    assert any("stop event" in text for _, text in samples.notes)
    assert not any("implausible" in text for _, text in samples.notes)
    norm = np.linalg.norm(samples.data[list(ACC_COLUMNS)].to_numpy(np.float64), axis=1)
    assert norm == pytest.approx(GRAVITY_MPS2, abs=1e-5)  # 1000 mG, not the 488 mG of a guessed factor
    # integer ns to the time base: 104 Hz spacing exact to well under a microsecond at the 2022 epoch
    step = np.diff(samples.data.time_s.to_numpy())
    assert np.median(step) == pytest.approx(1 / 104, abs=1e-6)
