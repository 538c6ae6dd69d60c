"""Thingy:52: raw Q-format vectors from the firmware source, configuration writes, saturation."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.thingy52 import CONFIG, RAW, Thingy52, encode_raw

MODEL = Thingy52()


def test_hand_built_raw_notification_decodes_to_si():
    # acc Q6.10: 1024 = 1 g, -512 = -0.5 g; gyro Q11.5: 32 = 1 °/s; compass Q12.4: 16 = 1 µT
    raw = struct.pack("<9h", 1024, -512, 0, 32, -3200, 0, 16, -800, 8)
    d = MODEL.decode([RAW], [raw], np.zeros(1))
    assert d.acc_mps2[0] == pytest.approx([GRAVITY_MPS2, -0.5 * GRAVITY_MPS2, 0])
    assert d.gyr_radps[0] == pytest.approx(np.radians([1, -100, 0]))
    assert d.mag_ut[0] == pytest.approx([1, -50, 0.5])


def test_wrong_length_or_characteristic_is_corrupt():
    d = MODEL.decode([RAW, RAW, CONFIG], [bytes(18), bytes(17), bytes(18)], np.arange(3.0))
    assert len(d) == 1 and [i for i, _ in d.corrupt] == [1, 2]


def test_firmware_rounding_and_q_format_clamps():
    # The firmware shifts the 16Q16 reading right (rounds toward -inf) and clamps the integer part.
    raw = encode_raw(np.array([[0.0009 * GRAVITY_MPS2, -0.0001 * GRAVITY_MPS2, 40 * GRAVITY_MPS2]]),
                     np.radians([[1500.0, -1500.0, 0.01]]), np.array([[3000.0, -3000.0, 0.03]]),
                     acc_full_scale_g=64, gyr_full_scale_dps=4000)
    assert raw.tolist() == [[0, -1, 31 * 1024, 1023 * 32, -1024 * 32, 0, 2047 * 16, -2048 * 16, 0]]


def test_configuration_write_sets_the_rate():
    (w,) = MODEL.start_commands(100.0)
    assert w.uuid == CONFIG and w.data == bytes.fromhex("e803f401f4016400") + b"\x01"
    dev = MODEL.new_device()
    assert dev.rate_hz == 10.0  # firmware default
    dev.on_write(w.uuid, w.data)
    assert dev.rate_hz == 100.0 and dev.read(CONFIG) == w.data
    dev.on_write(CONFIG, bytes.fromhex("e803f401f401e803") + b"\x01")  # 1000 Hz: out of 5-200
    assert dev.rate_hz == 100.0


def firmware_raw_words(p_raw: list[int]) -> bytes:
    """The raw characteristic as NordicSemiconductor/Nordic-Thingy52-FW source/modules/m_motion.c builds it
    (DRV_MOTION_EVT_RAW): 16Q16 values clamped on their integer part, shifted right by 6 / 11 / 12
    integer bits, and the compass sent as (driver y, -driver x, driver z)."""
    bits = [6, 6, 6, 11, 11, 11, 12, 12, 12]
    clamped = []
    for v, b in zip(p_raw, bits):
        whole = v >> 16
        hi, lo = (1 << (b - 1)) - 1, -(1 << (b - 1))
        clamped.append(hi << 16 if whole >= hi else lo << 16 if whole < lo else v)
    w = [c >> b for c, b in zip(clamped, bits)]
    return struct.pack("<9h", w[0], w[1], w[2], w[3], w[4], w[5], w[7], -w[6], w[8])


def test_firmware_formula_frames_decode_to_the_16q16_values_with_the_compass_turned():
    q = 1 << 16
    p_raw = [q, -q // 2, int(0.25 * q), int(100.5 * q), int(-1500.0 * q), 7 * q // 32,
             int(20.25 * q), int(-3.5 * q), int(-45.0 * q)]
    d = MODEL.decode([RAW], [firmware_raw_words(p_raw)], np.zeros(1))
    assert d.corrupt == [] and len(d) == 1
    assert d.acc_mps2[0] / GRAVITY_MPS2 == pytest.approx([1.0, -0.5, 0.25])
    # -1500 °/s is beyond the Q11.5 format: the firmware clamps it to -1024 °/s
    assert np.degrees(d.gyr_radps[0]) == pytest.approx([100.5, -1024.0, 7 / 32])
    # sent x is the driver's y, sent y minus the driver's x (firmware_notes/thingy52.md, Compass axes)
    assert d.mag_ut[0] == pytest.approx([-3.5, -20.25, -45.0])
