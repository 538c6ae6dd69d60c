"""End to end: a virtual Polar Verity Sense recorded through bleak and Bumble speaks the corrected formats.

The recorder enters SDK mode and starts acc and gyro; the virtual device answers with factors and
sends 0x80 acc frames, and before its injected disconnect it announces the stop (``01 02 05``), as
a Verity does when it ends a session itself. The recording must decode with no corrupt frame, the
stop as an event, a gravity norm of 1 g at rest, and both connections.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from analysis.columns import ACC
from imu_logger.ble import virtual
from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import ArraySource
from imu_logger.capture.session import Session
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording
from imu_logger.sensors.base import GRAVITY_MPS2
from imu_logger.sensors.polar_pmd import PMD_CP, PMD_DATA

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
    norm = np.linalg.norm(samples.data[list(ACC)].to_numpy(), axis=1)
    assert np.abs(norm - GRAVITY_MPS2).max() < 16 * GRAVITY_MPS2 / 32768
