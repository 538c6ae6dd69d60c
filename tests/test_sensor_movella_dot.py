"""Movella DOT: rate-quantities payload from the BLE spec, timestamp wrap, commands."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from imu_logger.sensors import model_for_advertisement
from imu_logger.sensors.movella_dot import CONTROL, DEVICE_CONTROL, MEDIUM_PAYLOAD, MovellaDot

MODEL = MovellaDot()


def payload(t_us: int, acc, gyr_dps, pad: bytes = bytes(12)) -> bytes:
    """Timestamp u32, acc 3 x f32, angular velocity 3 x f32, zero padding to 40 bytes (spec 3.3)."""
    return struct.pack("<I3f3f", t_us, *acc, *gyr_dps) + pad


def decode(payloads, host):
    return MODEL.decode([MEDIUM_PAYLOAD] * len(payloads), payloads, np.asarray(host, dtype=float))


def test_hand_built_payload_decodes_to_si():
    d = decode([payload(1_000_000, (0.5, -9.75, 1.0), (90.0, 0.0, -180.0))], [0.0])
    assert d.corrupt == []
    assert d.acc_mps2[0] == pytest.approx([0.5, -9.75, 1.0])
    assert d.gyr_radps[0] == pytest.approx([np.pi / 2, 0.0, -np.pi])
    assert d.sensor_time_s[0] == pytest.approx(1.0)


def test_timestamp_wrap_is_unwrapped():
    wrap = 2 ** 32
    ts = [wrap - 20_000, wrap - 3_333, 13_334, 30_000]
    d = decode([payload(t, (0, 0, 9.8), (0, 0, 0)) for t in ts], [0.0, 0.0167, 0.0333, 0.05])
    assert np.diff(d.sensor_time_s) == pytest.approx([0.016667, 0.016667, 0.016666], abs=1e-6)


def test_a_gap_spanning_several_wraps_is_unwrapped_by_host_time():
    period = 2 ** 32 * 1e-6  # 4294.967296 s
    d = decode([payload(500, (0, 0, 9.8), (0, 0, 0)), payload(1500, (0, 0, 9.8), (0, 0, 0))],
               [0.0, 2 * period + 0.001])
    assert d.sensor_time_s[1] - d.sensor_time_s[0] == pytest.approx(2 * period + 0.001, abs=1e-6)


def test_padding_length_and_nan_corruption_are_listed():
    good = payload(10, (0, 0, 9.8), (0, 0, 0))
    bad_pad = payload(20, (0, 0, 9.8), (0, 0, 0), pad=b"\x01" + bytes(11))
    nan = payload(30, (float("nan"), 0, 9.8), (0, 0, 0))
    short = good[:27]
    d = decode([good, bad_pad, nan, short], [0, 1, 2, 3])
    assert len(d) == 1 and [i for i, _ in d.corrupt] == [1, 2, 3]


def test_commands_match_the_spec_and_rate_is_fixed_while_measuring():
    writes = MODEL.start_commands(30.0)
    assert writes[0].uuid == DEVICE_CONTROL and len(writes[0].data) == 32
    assert writes[0].data[0] == 0x10 and writes[0].data[24:26] == (30).to_bytes(2, "little")
    assert (writes[1].uuid, writes[1].data) == (CONTROL, bytes([1, 1, 21]))
    assert MODEL.stop_commands()[0].data == bytes([1, 0, 21])
    dev = MODEL.new_device()
    for w in writes:
        dev.on_write(w.uuid, w.data)
    dev.on_write(writes[0].uuid, MODEL.start_commands(10.0)[0].data)
    assert dev.rate_hz == 30.0  # the spec: output rate cannot change after measurement start
    assert dev.read(CONTROL) == bytes([1, 1, 21])


def test_emulator_sends_40_byte_notifications_with_wrapping_timestamp():
    dev = MODEL.new_device(60.0)
    dev.on_write(CONTROL, bytes([1, 1, 21]))
    t = 4294.0 + np.arange(120) / 60.0  # crosses 2**32 µs
    out = dev.encode(np.zeros((120, 3)), np.zeros((120, 3)), None, t)
    assert {len(p) for _, p in out} == {40}
    raw = [struct.unpack_from("<I", p)[0] for _, p in out]
    assert min(raw) < 1_000_000 < max(raw)
    d = decode([p for _, p in out], t - t[0])
    assert np.abs(d.sensor_time_s - t).max() < 1e-6


@pytest.mark.parametrize("name", ["Movella DOT", "Xsens Dot", "Xsens DOT", "xsens dot 2.4"])
def test_every_advertised_dot_name_is_recognised(name):
    # "Xsens Dot": firmware 2.0-2.4 (DOT BLE service specification, table 4); "Xsens DOT" is the name
    # xsens/xsens_dot_server bleHandler.js (SENSOR_NAME) looks for
    assert isinstance(model_for_advertisement(name), MovellaDot)


@pytest.mark.parametrize("name", ["Xsens Awinda", "Movella", "DOT", None, ""])
def test_other_names_are_not_a_dot(name):
    assert not isinstance(model_for_advertisement(name), MovellaDot)
