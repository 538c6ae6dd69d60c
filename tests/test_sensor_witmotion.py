"""WitMotion: frames from the vendor layout and SDK formulas, stream reassembly, register replies, commands.

Vendor source: WITMOTION/WitBluetooth_BWT901BLE5_0 (commit 9efaab0f): the Python SDK
(``Python/BWT901BLE5.0_python_sdk/device_model.py``, processData) and the Android SDK
(``Android_Java/wit-example-ble5/WitSDK/src/main/java/com/wit/witsdk/Device/DeviceModel.java``).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.witmotion import NOTIFY_UUID, WRITE_UUID, WitMotion

MODEL = WitMotion()


def frame(values: tuple[int, ...]) -> bytes:
    """55 61 + 9 int16 little-endian, written from the datasheet's table."""
    return bytes([0x55, 0x61]) + struct.pack("<9h", *values)


# acc 1 g on z (2048 = 1/16 of 32768), gyro +250 °/s on x (4096), -2000 °/s on z, angles ignored
VECTOR = frame((0, 0, 2048, 4096, 0, -32768, 100, 200, 300))


def decode(payloads, host=None):
    host = np.arange(len(payloads), dtype=float) if host is None else host
    return MODEL.decode([NOTIFY_UUID] * len(payloads), payloads, host)


def test_hand_built_frame_decodes_to_si():
    d = decode([VECTOR])
    assert len(d) == 1 and d.corrupt == []
    assert d.acc_mps2[0] == pytest.approx([0, 0, GRAVITY_MPS2])
    assert d.gyr_radps[0] == pytest.approx(np.radians([250, 0, -2000]))
    assert d.mag_ut is None and d.sensor_time_s is None and d.counter is None


def test_register_reply_is_not_a_sample_and_gives_the_battery():
    reply = bytes([0x55, 0x71, 0x64, 0x00]) + struct.pack("<8h", 390, 0, 0, 0, 0, 0, 0, 0)
    d = decode([VECTOR, reply, VECTOR])
    assert len(d) == 2 and d.corrupt == []
    assert MODEL.decode_battery(reply) == 75  # above 3.87 V, up to 3.93 V, is 75 % in the vendor table


def battery_reply(centivolt: int) -> bytes:
    return bytes([0x55, 0x71, 0x64, 0x00]) + struct.pack("<8h", centivolt, 0, 0, 0, 0, 0, 0, 0)


# DeviceModel.java GetBatteryPercent, value by value: each level starts strictly above its voltage.
# The vendor's iOS SDK (IOS_swift/WitSDK/Sensor/Modular/Processor/Roles/BWT901BLE5_0DataProcessor.swift,
# getEqPercent) compares with >= and says 90 % at 3.93 V; the project follows the Android SDK.
ANDROID_BATTERY = [(400, 100), (397, 100), (396, 90), (394, 90), (393, 75), (388, 75), (387, 60), (383, 60),
                   (382, 50), (380, 50), (379, 40), (378, 40), (377, 30), (374, 30), (373, 20), (371, 20),
                   (370, 15), (369, 15), (368, 10), (351, 10), (350, 5), (341, 5), (340, 0), (300, 0)]


@pytest.mark.parametrize("centivolt, percent", ANDROID_BATTERY)
def test_battery_percent_follows_the_android_sdk(centivolt, percent):
    assert MODEL.decode_battery(battery_reply(centivolt)) == percent


@pytest.mark.parametrize("percent", [100, 90, 75, 60, 50, 40, 30, 20, 15, 10, 5, 0])
def test_emulator_battery_reads_back_through_the_table(percent):
    dev = MODEL.new_device()
    dev.set_battery(percent)
    (_, reply), = dev.on_write(WRITE_UUID, MODEL.battery_request_commands()[0].data)
    assert MODEL.decode_battery(reply) == percent


@settings(max_examples=200, deadline=None)
@given(values=st.tuples(*[st.integers(-32768, 32767)] * 9))
def test_any_frame_decodes_as_the_vendor_python_sdk_scales_it(values):
    # device_model.py processData: acc = int16 / 32768 * 16 (g), gyro = int16 / 32768 * 2000 (°/s)
    d = decode([frame(values)])
    assert d.corrupt == [] and len(d) == 1
    assert d.acc_mps2[0] / GRAVITY_MPS2 == pytest.approx(np.array(values[0:3]) / 32768 * 16, abs=1e-12)
    assert np.degrees(d.gyr_radps[0]) == pytest.approx(np.array(values[3:6]) / 32768 * 2000, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(cuts=st.lists(st.integers(0, 100), max_size=8), n=st.integers(1, 5))
def test_frames_split_at_any_byte_boundary_decode_identically(cuts, n):
    frames = [frame((k, -k, 2048, k * 3, 0, 7, 0, 0, 0)) for k in range(n)]
    stream = b"".join(frames)
    edges = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    pieces = [stream[a:b] for a, b in zip(edges, edges[1:])]
    whole = decode(frames)
    split = decode(pieces)
    assert split.corrupt == []
    assert np.array_equal(split.acc_mps2, whole.acc_mps2)
    assert np.array_equal(split.gyr_radps, whole.gyr_radps)


def test_garbage_between_frames_is_listed_and_sync_recovers():
    d = decode([VECTOR, b"\x01\x02\x03", VECTOR[:7], VECTOR[7:] + b"\xaa", VECTOR])
    assert len(d) == 3
    assert [i for i, _ in d.corrupt] == [1, 3]
    assert all("witmotion" in r for _, r in d.corrupt)


def test_28_byte_frames_carry_chip_time():
    # 2024-03-05 06:07:08.250 -> YY=24 MM=3 DD=5 hh=6 mm=7 ss=8 ms=250 (0x00FA)
    t = bytes([24, 3, 5, 6, 7, 8, 0xFA, 0x00])
    t2 = bytes([24, 3, 5, 6, 7, 8, 0x04, 0x01])  # +10 ms (260 = 0x0104)
    d = decode([VECTOR, t, VECTOR, t2])
    expected = (np.datetime64("2024-03-05T06:07:08.250") - np.datetime64("1970-01-01T00:00:00")) / np.timedelta64(1, "s")
    assert d.corrupt == [] and len(d) == 2
    assert d.sensor_time_s == pytest.approx([expected, expected + 0.010])
    # no vendor parser knows this frame (all take 20 bytes): the decoder says its layout is assumed
    assert any("assumption" in text for _, text in d.notes)
    assert decode([VECTOR, VECTOR]).notes == []


def test_chip_time_variant_round_trips_through_the_emulator():
    dev = MODEL.new_device(100.0)
    dev.chip_time = True
    t = 1.7e9 + np.arange(30) / 100
    out = dev.encode(np.zeros((30, 3)), np.zeros((30, 3)), None, t)
    d = MODEL.decode([u for u, _ in out], [p for _, p in out], np.arange(len(out), dtype=float))
    assert len(d) == 30 and np.abs(d.sensor_time_s - t).max() < 1e-3


def test_rate_write_needs_the_unlock():
    dev = MODEL.new_device()
    assert dev.rate_hz == 10.0  # factory default
    dev.on_write(WRITE_UUID, bytes.fromhex("ffaa030900"))
    assert dev.rate_hz == 10.0
    for w in MODEL.start_commands(200.0):
        dev.on_write(w.uuid, w.data)
    assert dev.rate_hz == 200.0
    assert [w.data.hex() for w in MODEL.start_commands(100.0)] == ["ffaa6988b5", "ffaa030900", "ffaa000000"]


def test_emulator_quantises_and_saturates_like_the_frame_format():
    dev = MODEL.new_device(100.0)
    acc = np.array([[GRAVITY_MPS2, -20 * GRAVITY_MPS2, 0.0]])
    (_, payload), = dev.encode(acc, np.zeros((1, 3)), None, np.zeros(1))
    assert struct.unpack_from("<3h", payload, 2) == (2048, -32768, 0)
