"""Polar Verity Sense PMD: hand-packed delta frames, control point answers, acc/gyro pairing."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from imu_logger.sensors.base import GRAVITY_MPS2
from imu_logger.sensors.polar_pmd import (
    PMD_CP, PMD_DATA, PolarVeritySense, delta_decode, delta_encode,
)

MODEL = PolarVeritySense()
# Reference (1, 2, 3); one block: width 3, 2 samples, deltas (1, -1, 0) and (2, 0, -4) packed LSB first:
# bits 0-2 = 001, 3-5 = 111, 6-8 = 000, 9-11 = 010, 12-14 = 000, 15-17 = 100 -> bytes 0x39 0x04 0x02
BODY = bytes.fromhex("010002000300") + bytes([3, 2, 0x39, 0x04, 0x02])
SAMPLES = [[1, 2, 3], [2, 1, 3], [4, 1, -1]]
ONE = struct.pack("<f", 1.0)


def frame(kind: int, t_ns: int, ftype: int, body: bytes) -> bytes:
    return bytes([kind]) + t_ns.to_bytes(8, "little") + bytes([ftype]) + body


def start_answer(kind: int, factor: bytes = ONE) -> bytes:
    return bytes([0xF0, 0x02, kind, 0x00, 0x00, 0x05, 0x01]) + factor


def test_hand_packed_delta_block_decodes():
    assert delta_decode(BODY).tolist() == SAMPLES
    assert delta_decode(delta_encode(np.array(SAMPLES))).tolist() == SAMPLES


@pytest.mark.parametrize("cut", [1, 5, 7, 9, 10])
def test_truncated_delta_bodies_are_rejected(cut):
    assert delta_decode(BODY[:cut]) is None


def test_paired_frames_decode_to_si_with_times_from_the_last_sample():
    t_last = 10_000_000_000
    period = 9_615_385  # 104 Hz
    cp = [start_answer(2), start_answer(5)]
    acc = frame(2, t_last, 0x81, BODY)
    gyr = frame(5, t_last, 0x80, BODY)
    d = MODEL.decode([PMD_CP, PMD_CP, PMD_DATA, PMD_DATA, PMD_DATA, PMD_DATA], cp + [acc, gyr,
                     frame(2, t_last + 3 * period, 0x81, BODY), frame(5, t_last + 3 * period, 0x80, BODY)],
                     np.arange(6.0))
    assert d.corrupt == [] and d.notes == [] and len(d) == 6
    assert d.acc_mps2[:3] == pytest.approx(np.array(SAMPLES) * GRAVITY_MPS2 / 1000)  # mG
    assert d.gyr_radps[:3] == pytest.approx(np.radians(SAMPLES))  # °/s
    assert d.sensor_time_s[2] == pytest.approx(10.0)  # the frame timestamp is its last sample
    assert np.diff(d.sensor_time_s) == pytest.approx([period * 1e-9] * 5, rel=1e-6)
    assert d.notification_index[:3].tolist() == [3, 3, 3]  # a row is complete when its gyro arrives


def test_unpaired_samples_are_reported_not_interpolated():
    acc = frame(2, 10_000_000_000, 0x81, BODY)
    gyr_late = frame(5, 10_500_000_000, 0x80, BODY)  # half a second later: no partner
    d = MODEL.decode([PMD_CP, PMD_CP, PMD_DATA, PMD_DATA], [start_answer(2), start_answer(5), acc, gyr_late],
                     np.arange(4.0))
    assert len(d) == 0
    text = " ".join(t for _, t in d.notes)
    assert "3 acc samples" in text and "3 gyro samples" in text


def test_factor_comes_from_the_start_answer():
    half = struct.pack("<f", 0.5)
    d = MODEL.decode([PMD_CP, PMD_CP, PMD_DATA, PMD_DATA],
                     [start_answer(2, half), start_answer(5), frame(2, 10**10, 0x81, BODY), frame(5, 10**10, 0x80, BODY)],
                     np.arange(4.0))
    assert d.acc_mps2[0] == pytest.approx(np.array([1, 2, 3]) * 0.5 * GRAVITY_MPS2 / 1000)


def test_bad_frames_are_listed():
    d = MODEL.decode([PMD_DATA] * 4 + [PMD_CP],
                     [frame(3, 0, 0x80, BODY), frame(2, 0, 0x85, BODY), frame(2, 0, 0x81, BODY[:9]), b"\x02", b"\x10\x00"],
                     np.arange(5.0))
    assert [i for i, _ in d.corrupt] == [0, 1, 2, 3, 4]


def test_control_point_answers_like_the_device():
    dev = MODEL.new_device()
    assert dev.read(PMD_CP)[0] == 0x0F
    # Outside SDK mode only 52 Hz is offered: 104 Hz is refused with "invalid sample rate" (8).
    (w_sdk, w_acc, w_gyr) = MODEL.start_commands(104.0)
    assert dev.on_write(w_acc.uuid, w_acc.data) == [(PMD_CP, bytes([0xF0, 0x02, 0x02, 0x08]))]
    assert dev.on_write(w_sdk.uuid, w_sdk.data) == [(PMD_CP, bytes([0xF0, 0x02, 0x09, 0x00, 0x00]))]
    (_, answer), = dev.on_write(w_acc.uuid, w_acc.data)
    assert answer[:7] == bytes([0xF0, 0x02, 0x02, 0x00, 0x00, 0x05, 0x01])
    assert struct.unpack("<f", answer[7:11])[0] == pytest.approx(16000 / 32768)
    assert dev.on_write(w_acc.uuid, w_acc.data)[0][1][3] == 6  # already in state
    (_, settings), = dev.on_write(PMD_CP, bytes([0x01, 0x05]))
    assert settings[:5] == bytes([0xF0, 0x01, 0x05, 0x00, 0x00]) and settings[5] == 0
    assert dev.rate_hz == 104.0 and dev.streaming


def test_emulator_frames_fit_the_mtu_and_are_compressed():
    model, dev = MODEL, MODEL.new_device()
    replies = []
    for w in model.start_commands(104.0):
        replies += dev.on_write(w.uuid, w.data)
    rng = np.random.default_rng(3)
    n = 520
    acc = rng.uniform(-150, 150, (n, 3))  # wide deltas force narrower frames
    out = dev.encode(acc, rng.uniform(-30, 30, (n, 3)), rng.uniform(-50, 50, (n, 3)), 20 + np.arange(n) / 104)
    assert all(len(p) <= model.min_mtu - 3 and p[9] & 0x80 for _, p in out)
    d = model.decode([u for u, _ in replies + out], [p for _, p in replies + out], np.arange(len(replies + out), dtype=float))
    assert d.corrupt == [] and len(d) > n - 40
    # the host never starts the magnetometer stream, so the device sends no mag frames
    assert not np.isfinite(d.mag_ut).any()
