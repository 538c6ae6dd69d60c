"""Open nRF52840 format: hand-built packets per the note, CRC, sequence and clock wrap, overflow."""

from __future__ import annotations

import binascii
import struct

import numpy as np
import pytest

from imu_logger.sensors._bytes import crc16_ccitt
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.open_nrf import CONTROL_UUID, DATA_UUID, OpenNrf

MODEL = OpenNrf()


def packet(seq, t_us, samples, flags=0, period=10_000, acc_g=16, gyr_dps=2000, version=1):
    """Header per firmware_notes/open_nrf.md, int16 samples, CRC-16/CCITT-FALSE trailer."""
    body = struct.pack("<BBIIHBBH", version, flags, seq, t_us, period, len(samples), acc_g, gyr_dps)
    body += b"".join(struct.pack(f"<{len(s)}h", *s) for s in samples)
    return body + struct.pack("<H", binascii.crc_hqx(body, 0xFFFF))


def decode(payloads, host=None):
    host = np.arange(len(payloads), dtype=float) * 0.02 if host is None else host
    return MODEL.decode([DATA_UUID] * len(payloads), payloads, host)


def test_crc_is_ccitt_false():
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_hand_built_packet_decodes_to_si():
    p = packet(7, 1_000_000, [(2048, 0, -2048, 16384, 0, 0), (0, 0, 2048, 0, 0, -32768)])
    d = decode([p])
    assert d.corrupt == [] and len(d) == 2
    assert d.acc_mps2 == pytest.approx(np.array([[1, 0, -1], [0, 0, 1]]) * GRAVITY_MPS2)
    assert d.gyr_radps == pytest.approx(np.radians([[1000, 0, 0], [0, 0, -2000]]))
    assert d.counter.tolist() == [7, 8]
    assert d.sensor_time_s == pytest.approx([1.0, 1.01])
    assert np.isnan(d.mag_ut).all()


def test_magnetometer_columns_when_flagged():
    d = decode([packet(0, 0, [(0, 0, 0, 0, 0, 0, 16, -32, 800)], flags=0x02)])
    assert d.mag_ut[0] == pytest.approx([1, -2, 50])


def test_corruption_and_bad_fields_are_listed():
    good = packet(0, 0, [(1, 2, 3, 4, 5, 6)])
    flipped = bytearray(good)
    flipped[17] ^= 0x40
    cases = [good, bytes(flipped), packet(1, 0, [(0,) * 6], version=2), packet(1, 0, [(0,) * 6], flags=0x10),
             packet(1, 0, [(0,) * 6], acc_g=3), good[:-3] + good[-2:], b"\x01"]
    d = decode(cases)
    assert len(d) == 1
    reasons = dict(d.corrupt)
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6]
    assert "CRC" in reasons[1] and "version" in reasons[2]


def test_sequence_and_clock_wrap_and_lost_packet():
    wrap = 2 ** 32
    p1 = packet(wrap - 2, wrap - 15_000, [(0,) * 6, (0,) * 6])
    p2 = packet(0, 5_000, [(0,) * 6, (0,) * 6])
    p4 = packet(4, 45_000, [(0,) * 6])  # packet with samples 2-3 lost
    d = decode([p1, p2, p4], np.array([0.0, 0.02, 0.06]))
    assert d.counter.tolist() == [wrap - 2, wrap - 1, wrap, wrap + 1, wrap + 4]
    assert np.diff(d.sensor_time_s) == pytest.approx([0.01, 0.01, 0.01, 0.03])


def test_fifo_overflow_flag_becomes_a_note_and_time_shows_the_gap():
    model = MODEL
    dev = model.new_device(100.0)
    for w in model.start_commands(100.0):
        assert dev.on_write(w.uuid, w.data) == [(CONTROL_UUID, bytes([0x81, 0]))]
    t = np.arange(40) / 100.0
    still = np.tile([0.0, 0.0, GRAVITY_MPS2], (20, 1))  # at rest, so no scale warning joins the note
    out = dev.encode(still, np.zeros((20, 3)), None, t[:20])
    dev.lose_samples(5)
    out += dev.encode(still, np.zeros((20, 3)), None, t[20:])
    d = model.decode([u for u, _ in out], [p for _, p in out], np.arange(len(out)) * 0.05)
    assert len(d.notes) == 1 and "overflow" in d.notes[0][1]
    assert np.array_equal(np.diff(d.counter), np.ones(len(d) - 1))  # counter counts samples read
    assert np.isclose(np.diff(d.sensor_time_s), 0.06).sum() == 1  # 5 lost samples: one 60 ms step


def test_bad_commands_get_error_replies():
    dev = MODEL.new_device()
    assert dev.on_write(CONTROL_UUID, struct.pack("<BHBHB", 1, 123, 16, 2000, 0)) == [(CONTROL_UUID, b"\x81\x02")]
    assert dev.on_write(CONTROL_UUID, b"\x01\x00") == [(CONTROL_UUID, b"\x81\x01")]
    assert dev.on_write(CONTROL_UUID, b"\x09") == [(CONTROL_UUID, b"\x89\x03")]
    assert not dev.streaming


def test_a_sensor_at_rest_that_does_not_read_one_g_is_flagged():
    dev = MODEL.new_device(100.0)
    for w in MODEL.start_commands(100.0):
        dev.on_write(w.uuid, w.data)
    t = np.arange(100) / 100.0
    out = dev.encode(np.tile([0.0, 0.0, 0.5 * GRAVITY_MPS2], (100, 1)), np.zeros((100, 3)), None, t)
    d = MODEL.decode([u for u, _ in out], [p for _, p in out], np.arange(len(out)) * 0.05)
    assert [text for _, text in d.notes if "implausible scale" in text and "0.5 g" in text]
