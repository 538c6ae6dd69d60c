"""Polar Verity Sense PMD: the vendor's own vectors, control point answers and stops, acc/gyro pairing.

Vendor vectors come from polarofficial/polar-ble-sdk (commit 8fb5311c), Android unit tests under
``sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/api/ble/model/gatt/client/pmd/``
(``model/AccDataTest.kt``, ``model/GyrDataTest.kt``, ``model/MagDataTest.kt``, ``BlePmdClientTest.kt``),
and from real Verity Sense frames posted in its issues #331 and #443. The SDK passes a frame's
factor, previous timestamp and sample rate to its parsers; here they come as the device gives them:
a start answer on the control point, the frame before, the rate the host configured.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.polar_pmd import (
    ACC, GYRO, MAG, PMD_CP, PMD_DATA, PolarVeritySense, data_frame, delta_decode, delta_encode,
)

MODEL = PolarVeritySense()
MG = GRAVITY_MPS2 / 1000.0  # m/s² per mG
UT_PER_G = 100.0
SDK_TESTS = "polarofficial/polar-ble-sdk sources/Android/android-communications/library/src/test/.../pmd/"
# Reference (1, 2, 3); one block: width 3, 2 samples, deltas (1, -1, 0) and (2, 0, -4) packed LSB first:
# bits 0-2 = 001, 3-5 = 111, 6-8 = 000, 9-11 = 010, 12-14 = 000, 15-17 = 100 -> bytes 0x39 0x04 0x02
BODY = bytes.fromhex("010002000300") + bytes([3, 2, 0x39, 0x04, 0x02])
SAMPLES = [[1, 2, 3], [2, 1, 3], [4, 1, -1]]

# AccDataTest.kt "process acc raw data frame type 1": 36 raw int16 samples, timestamp 2e9 ns, 52 Hz
ACC_RAW1 = bytes.fromhex(
    "020094357700000000" "01"
    "F7FFFFFFE703F8FFFEFFE503F9FFFFFFE503FAFFFFFFE603FAFFFEFFE603F9FFFFFFE503F8FFFFFFE603F8FFFEFFE603"
    "FAFFFFFFE503FAFFFFFFE703FAFFFFFFE503F8FFFFFFE603F7FFFFFFE603F8FFFEFFE603F9FFFEFFE703F9FF0000E603"
    "F9FFFFFFE603F7FFFEFFE503F9FFFFFFE503F9FFFFFFE503FAFF0000E603F9FFFEFFE603F8FFFFFFE603F8FFFFFFE503"
    "F9FFFFFFE603F9FFFFFFE503FAFFFFFFE603F9FFFFFFE503F9FFFFFFE503F8FFFEFFE603F9FFFFFFE603F9FFFFFFE603"
    "F9FF0000E503F9FFFEFFE603F8FFFEFFE603F7FFFEFFE603")
# AccDataTest.kt "process acc compressed data type 0": 0x80, factor 2.44e-4 G, previous timestamp 100
ACC_DELTA0 = bytes.fromhex(
    "020094357700000000" "80"
    "7107F06A9E8D0A38BE5CBEBA2F96B3EE4BE5ADFB42B9EBBE4CFEBA2F92BFEE4BE4B1FB12B9ECBD3C3EBB2F8FD3DE4BE3"
    "B5F7D2B8EDBD307E7B2F8BE3CE8BE2BAF7A2B8EEBC20BE7B2F88F3CECBE1BDEF52F8EFBC18FE3B2F8403BFCBE0C2EF32"
    "B8F0BB044EBC2E8113AF0BE0C6EFF2F7F1B9FC7DBC2E7D279F4BDFCAEBC2F7F2B8ECCD7C2E7B378F4BDECEE392F7F3B8"
    "E00DFD2D774B7FCBDDD2DF6237F5B7D44DBD2D745B6FCBDCD7D73237F6B5C88D7D2D716B4F4BDCDCD3F236F7B4BCDDFD"
    "2C6F7B3F4BDBE0CFD236F8B2B02DBE2C6C8F1FCBDAE3C7A276F9")
# AccDataTest.kt "process acc compressed data type 1": 0x81, factor 1.0, timestamp 101
ACC_DELTA1 = bytes.fromhex("02650000000000000081" "F1FF1400F00306017B0F08")
# GyrDataTest.kt "process gyro compressed data type 0": 0x80, timestamp 2^63 - 1
GYR_DELTA0 = bytes.fromhex("05FFFFFFFFFFFFFF7F80" "EAFF08000D000301DF00")
# GyrDataTest.kt "process gyro compressed data type 1" (and "... with factor" 0.5): float32 bit patterns
GYR_DELTA1 = bytes.fromhex("05009435770000000081" "0000803F00002041 0000A0411C010000A001000008CDCCEC0D".replace(" ", ""))
# MagDataTest.kt "process magnetometer compressed data type 0" and "... type 1" (4 channels, mG)
MAG_DELTA0 = bytes.fromhex("06009435770000000080" "E2E6FA15490A06017F20FC")
MAG_DELTA1 = bytes.fromhex("06009435770000000081" "37FF51FD6CF600000301F802")
# polar-ble-sdk issues #331 and #443: a real Verity Sense answers its acc start with no factor ...
NO_FACTOR_ACC_ANSWER = bytes.fromhex("F002020000")
# ... and sends 0x81 frames; the stored threads show only their beginning: #331 up to its reference
# sample, #443 up to the end of its first delta block (10 samples, 8-bit deltas)
ISSUE_331_START = bytes.fromhex("029c5829138457730781" "faff2100f403")
ISSUE_443_START = bytes.fromhex(
    "0200416FC41245930A81" "EE021FFE82FF" "080A10DA20D6A30BD9CBE7D6F6C4E6F1E1F3E0151AFE281BF8372C2520131911")


def frame(kind: int, t_ns: int, ftype: int, body: bytes) -> bytes:
    return bytes([kind]) + t_ns.to_bytes(8, "little") + bytes([ftype]) + body


def start_answer(kind: int, factor: float | None = None, raw: bytes | None = None) -> bytes:
    """A start answer as the device sends it: with a factor TLV, without (``factor`` None), or ``raw`` params."""
    params = raw if raw is not None else (b"" if factor is None else bytes([5, 1]) + struct.pack("<f", factor))
    return bytes([0xF0, 0x02, kind, 0x00, 0x00]) + params


def partner(kind: int, t_ns: int, n: int) -> bytes:
    """A frame of ``n`` zero samples of ``kind`` ending at ``t_ns``, so that a vendor frame has a pairing partner."""
    return data_frame(kind, t_ns, np.zeros((n, 3), dtype=np.int64))


def decode(notes: list[tuple[str, bytes]], rate_hz: float | None = None):
    return MODEL.decode([u for u, _ in notes], [p for _, p in notes], np.arange(len(notes), dtype=float),
                        rate_hz=rate_hz)


def sdk_first_frame_times(t_last_ns: int, n: int, rate_hz: float) -> np.ndarray:
    """PmdTimeStampUtils.getTimeStamps for a frame with no previous timestamp (spaced by 1/rate)."""
    delta = 1e9 / rate_hz
    start = t_last_ns - delta * (n - 1)
    return np.r_[np.rint(start + delta * np.arange(n - 1)), t_last_ns].astype(np.int64)


def test_sdk_raw_acc_type_1_is_milli_g_without_factor_and_first_frame_spaced_by_the_rate():
    # the SDK never applies a factor to raw frames: a start answer's factor must not scale them
    d = decode([(PMD_CP, start_answer(ACC, 0.5)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, ACC_RAW1), (PMD_DATA, partner(GYRO, 2_000_000_000, 36))], rate_hz=52.0)
    assert d.corrupt == [] and len(d) == 36
    mg = d.acc_mps2 / MG
    assert mg[:2] == pytest.approx(np.array([[-9, -1, 999], [-8, -2, 997]]), abs=1e-9)
    assert np.array_equal(d.sensor_time_ns, sdk_first_frame_times(2_000_000_000, 36, 52.0))
    assert d.sensor_time_ns.dtype == np.int64


def test_sdk_compressed_acc_type_0_scales_factor_in_g_and_spaces_from_the_previous_frame():
    factor = 2.44e-4
    prev = 100
    d = decode([(PMD_CP, start_answer(ACC, factor)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, partner(ACC, prev, 1)), (PMD_DATA, partner(GYRO, prev, 1)),
                (PMD_DATA, ACC_DELTA0), (PMD_DATA, partner(GYRO, 2_000_000_000, 57))])
    assert d.corrupt == [] and len(d) == 58
    raw = delta_decode(ACC_DELTA0[10:])
    assert raw[:2].tolist() == [[1905, 27376, -29282], [1905 + 190, 27376 - 105, -29282 - 85]]  # the SDK's comments
    # the SDK's expected values: (factor * sample * 1000f).toInt(), float32 arithmetic truncated to whole mG;
    # the project keeps the fraction, so it truncates to the SDK's integers
    sdk_mg = np.trunc(np.float32(factor) * raw.astype(np.float32) * np.float32(1000.0))
    assert np.array_equal(np.trunc(d.acc_mps2[1:] / MG), sdk_mg)
    assert np.abs(d.acc_mps2[1:] / MG).max() <= 8000  # the SDK test's range check (8 g)
    delta = (2_000_000_000 - prev) / 57
    assert d.sensor_time_ns[1] == round(prev + delta) and d.sensor_time_ns[-1] == 2_000_000_000


def test_sdk_compressed_acc_type_1_without_factor_is_milli_g():
    d = decode([(PMD_CP, NO_FACTOR_ACC_ANSWER), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, ACC_DELTA1), (PMD_DATA, partner(GYRO, 101, 2))])
    assert d.corrupt == [] and len(d) == 2
    assert (d.acc_mps2 / MG) == pytest.approx(np.array([[-15, 20, 1008], [-20, 17, 1008]]), abs=1e-9)
    assert d.sensor_time_ns[-1] == 101


def test_sdk_gyro_type_0_and_a_timestamp_at_the_top_of_int64():
    t = 2 ** 63 - 1
    d = decode([(PMD_CP, start_answer(ACC, 1.0)), (PMD_CP, start_answer(GYRO, None)),
                (PMD_DATA, partner(ACC, t, 2)), (PMD_DATA, GYR_DELTA0)])
    assert d.corrupt == [] and len(d) == 2
    assert np.degrees(d.gyr_radps) == pytest.approx(np.array([[-22, 8, 13], [-23, 11, 16]]), abs=1e-9)
    assert d.sensor_time_ns[-1] == t


@pytest.mark.parametrize("factor", [None, 0.5])
def test_sdk_gyro_type_1_deltas_add_to_float32_bit_patterns(factor):
    ones = [1.0, 10.0, 20.0]
    wrapped = struct.unpack("<f", struct.pack("<I", (0x41A00000 + 0xFDECCCCD) & 0xFFFFFFFF))[0]  # 1.1f
    expected = np.array([ones, [10.0, 20.0, wrapped]]) * (1.0 if factor is None else factor)
    d = decode([(PMD_CP, start_answer(ACC, 1.0)), (PMD_CP, start_answer(GYRO, factor)),
                (PMD_DATA, partner(ACC, 2_000_000_000, 2)), (PMD_DATA, GYR_DELTA1)])
    assert d.corrupt == [] and len(d) == 2
    assert np.degrees(d.gyr_radps) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("vector, factor, expected_gauss", [
    (MAG_DELTA0, None, [[-6430, 5626, 2633], [-6431, 5627, 2635]]),
    (MAG_DELTA1, None, [[-0.201, -0.687, -2.452], [-0.201, -0.688, -2.449]]),
    (MAG_DELTA1, 1.1, [[-0.2211, -0.7557, -2.6972], [-0.2211, -0.7568, -2.6939]]),
])
def test_sdk_mag_frames_attach_to_the_rows_at_their_times(vector, factor, expected_gauss):
    t1 = 2_000_000_000
    t0 = t1 - 50_000_000  # a lone 2-sample mag frame is spaced by the 20 Hz mag rate
    rows = [(PMD_DATA, partner(k, t, 1)) for t in (t0, t1) for k in (ACC, GYRO)]
    d = decode([(PMD_CP, start_answer(MAG, factor))] + rows + [(PMD_DATA, vector)])
    assert d.corrupt == [] and len(d) == 2
    assert d.mag_ut / UT_PER_G == pytest.approx(np.array(expected_gauss), rel=1e-5)


@pytest.mark.parametrize("vector, reference_mg", [(ISSUE_331_START, [-6, 33, 1012]),
                                                  (ISSUE_443_START, [750, -481, -126])])
def test_real_factorless_verity_frames_read_about_one_g_not_half(vector, reference_mg):
    n = len(delta_decode(vector[10:]))
    t = int.from_bytes(vector[1:9], "little")
    d = decode([(PMD_CP, NO_FACTOR_ACC_ANSWER), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, vector), (PMD_DATA, partner(GYRO, t, n))], rate_hz=52.0)
    assert d.corrupt == [] and len(d) == n == (1 if vector is ISSUE_331_START else 11)
    assert (d.acc_mps2[0] / MG).tolist() == pytest.approx(reference_mg)
    norm_g = np.linalg.norm(d.acc_mps2, axis=1) / GRAVITY_MPS2
    assert norm_g.min() > 0.85 and norm_g.max() < 1.1  # the old 16 g / 32768 assumption read 0.44-0.49 g


def test_device_stop_message_is_a_stop_event_not_corruption():
    # BlePmdClientTest.kt "process measurement stop control point command": 01 01 02 stops PPG and ACC;
    # "... from service no content": a bare 01 is valid too
    d = decode([(PMD_CP, bytes([0x01, 0x01, 0x02])), (PMD_CP, bytes([0x01]))])
    assert d.corrupt == []
    assert [i for i, _ in d.notes] == [0, 1]
    assert "stop event" in d.notes[0][1] and "ppg, acc" in d.notes[0][1]


@pytest.mark.parametrize("params, why", [
    (bytes([5, 0]), "no value"),  # F0 02 02 00 00 05 00: the answer that raised IndexError before
    (bytes([5, 1]) + struct.pack("<f", float("nan")), "not a positive finite"),
    (bytes([5, 1]) + struct.pack("<f", float("inf")), "not a positive finite"),
    (bytes([5, 1]) + struct.pack("<f", 0.0), "not a positive finite"),
    (bytes([5, 1]) + struct.pack("<f", -1.0), "not a positive finite"),
    (bytes([5, 1, 0, 0]), "malformed"),
])
def test_an_unusable_factor_is_listed_and_costs_nothing_else(params, why):
    t = 10_000_000_000
    d = decode([(PMD_CP, start_answer(ACC, raw=params)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, frame(ACC, t, 0x81, BODY)), (PMD_DATA, frame(GYRO, t, 0x80, BODY))])
    assert [i for i, _ in d.corrupt] == [0] and why in d.corrupt[0][1]
    assert len(d) == 3 and (d.acc_mps2 / MG) == pytest.approx(np.array(SAMPLES))  # factor 1.0, as the SDK


def test_implausible_gravity_at_rest_is_a_warning():
    t = 10_000_000_000
    still = np.tile([0, 0, 500], (30, 1))  # 500 mG at rest: a scale off by two
    notes = [(PMD_CP, NO_FACTOR_ACC_ANSWER), (PMD_CP, start_answer(GYRO, 1.0)),
             (PMD_DATA, data_frame(ACC, t, still, 0x81)), (PMD_DATA, partner(GYRO, t, 30))]
    d = decode(notes)
    assert len(d) == 30 and any("implausible scale" in text and "0.5 g" in text for _, text in d.notes)
    notes[2] = (PMD_DATA, data_frame(ACC, t, np.tile([0, 0, 1000], (30, 1)), 0x81))
    assert not any("implausible" in text for _, text in decode(notes).notes)


def test_paired_frames_take_their_spacing_from_the_previous_frame():
    t_last = 10_000_000_000
    period = 9_615_385  # 104 Hz
    notes = [(PMD_CP, start_answer(ACC, 1.0)), (PMD_CP, start_answer(GYRO, 1.0))]
    for t in (t_last, t_last + 3 * period):
        notes += [(PMD_DATA, frame(ACC, t, 0x81, BODY)), (PMD_DATA, frame(GYRO, t, 0x80, BODY))]
    d = decode(notes)
    assert d.corrupt == [] and len(d) == 6
    assert (d.acc_mps2[:3] / MG) == pytest.approx(np.array(SAMPLES))
    assert np.degrees(d.gyr_radps[:3]) == pytest.approx(np.array(SAMPLES))
    assert np.array_equal(np.diff(d.sensor_time_ns), [period] * 5)
    assert d.sensor_time_ns[2] == t_last and d.notification_index[:3].tolist() == [3, 3, 3]


def test_unpaired_samples_are_reported_not_interpolated():
    acc = frame(ACC, 10_000_000_000, 0x81, BODY)
    gyr_late = frame(GYRO, 10_500_000_000, 0x80, BODY)  # half a second later: no partner
    d = decode([(PMD_CP, start_answer(ACC, 1.0)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, acc), (PMD_DATA, gyr_late)])
    assert len(d) == 0
    text = " ".join(t for _, t in d.notes)
    assert "3 acc samples" in text and "3 gyro samples" in text


def test_bad_frames_are_listed_and_other_measurements_noted():
    d = decode([(PMD_DATA, frame(0x3F, 0, 0x80, BODY)), (PMD_DATA, frame(ACC, 0, 0x85, BODY)),
                (PMD_DATA, frame(ACC, 0, 0x81, BODY[:9])), (PMD_DATA, b"\x02"), (PMD_CP, b"\x10\x00"),
                (PMD_DATA, frame(ACC, 2 ** 63, 0x81, BODY)), (PMD_DATA, frame(ACC, 0, 0x01, b"\x00" * 7)),
                (PMD_DATA, frame(3, 0, 0x00, b"\x01\x02"))])
    assert [i for i, _ in d.corrupt] == [0, 1, 2, 3, 4, 5, 6]
    assert any(i == 7 and "ppi frames ignored" in t for i, t in d.notes)


def test_hand_packed_delta_block_decodes():
    assert delta_decode(BODY).tolist() == SAMPLES
    assert delta_decode(delta_encode(np.array(SAMPLES))).tolist() == SAMPLES


@pytest.mark.parametrize("cut", [1, 5, 7, 9, 10])
def test_truncated_delta_bodies_are_rejected(cut):
    assert delta_decode(BODY[:cut]) is None


@settings(max_examples=200, deadline=None)
@given(samples=st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=40))
def test_delta_encoding_round_trips_any_16_bit_samples(samples):
    assert delta_decode(delta_encode(np.array(samples, dtype=np.int64))).tolist() == [list(s) for s in samples]


def test_control_point_answers_like_the_device():
    dev = MODEL.new_device()
    assert dev.read(PMD_CP)[0] == 0x0F
    # Outside SDK mode only 52 Hz is offered: 104 Hz is refused with "invalid sample rate" (8).
    (w_sdk, w_acc, w_gyr) = MODEL.start_commands(104.0)
    assert dev.on_write(w_acc.uuid, w_acc.data) == [(PMD_CP, bytes([0xF0, 0x02, 0x02, 0x08]))]
    assert dev.on_write(w_sdk.uuid, w_sdk.data) == [(PMD_CP, bytes([0xF0, 0x02, 0x09, 0x00, 0x00]))]
    (_, answer), = dev.on_write(w_acc.uuid, w_acc.data)
    assert answer[:7] == bytes([0xF0, 0x02, 0x02, 0x00, 0x00, 0x05, 0x01])
    assert struct.unpack("<f", answer[7:11])[0] == pytest.approx(16 / 32768)  # G per LSB for 0x80 frames
    assert dev.on_write(w_acc.uuid, w_acc.data)[0][1][3] == 6  # already in state
    (_, settings_answer), = dev.on_write(PMD_CP, bytes([0x01, 0x05]))
    assert settings_answer[:5] == bytes([0xF0, 0x01, 0x05, 0x00, 0x00]) and settings_answer[5] == 0
    assert dev.rate_hz == 104.0 and dev.streaming
    assert dev.device_stop() == [(PMD_CP, bytes([0x01, ACC]))] and not dev.streaming


def _stream(dev, n: int, acc: np.ndarray, replies: list) -> tuple[list, object]:
    rng = np.random.default_rng(3)
    out = dev.encode(acc, rng.uniform(-3, 3, (n, 3)), rng.uniform(-50, 50, (n, 3)), 20 + np.arange(n) / dev.rate_hz)
    notes = replies + out
    return out, decode(notes, rate_hz=dev.rate_hz)


def test_emulator_in_sdk_mode_sends_0x80_acc_frames_that_fit_the_mtu():
    dev, replies = MODEL.new_device(), []
    for w in MODEL.start_commands(104.0):
        replies += dev.on_write(w.uuid, w.data)
    n = 520
    acc = np.random.default_rng(4).uniform(-150, 150, (n, 3))  # wide deltas force narrower frames
    out, d = _stream(dev, n, acc, replies)
    assert all(len(p) <= MODEL.min_mtu - 3 and p[9] == 0x80 for _, p in out)
    assert d.corrupt == [] and len(d) > n - 40
    assert np.abs(d.acc_mps2 - acc[:len(d)]).max() <= 16 * GRAVITY_MPS2 / 32768
    assert not np.isfinite(d.mag_ut).any()  # the host never starts the magnetometer stream


def test_emulator_outside_sdk_mode_answers_without_factor_and_sends_milli_g():
    dev, replies = MODEL.new_device(52.0), []
    acc_start = MODEL.start_commands(52.0)[1]
    for w in (acc_start, *MODEL.start_commands(52.0)[2:]):
        replies += dev.on_write(w.uuid, w.data)
    assert replies[0] == (PMD_CP, NO_FACTOR_ACC_ANSWER)
    n = 200
    acc = np.random.default_rng(5).uniform(-20, 20, (n, 3))
    out, d = _stream(dev, n, acc, replies)
    assert {p[9] for _, p in out if p[0] == ACC} == {0x81}
    assert d.corrupt == [] and len(d) > n - 40
    assert np.abs(d.acc_mps2 - acc[:len(d)]).max() <= 0.5 * MG + 1e-12  # whole mG


@settings(max_examples=60, deadline=None)
@given(raw=st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=2, max_size=30),
       factor=st.floats(2.0 ** -20, 10.0, width=32), frame_type=st.sampled_from([0x80, 0x81]))
def test_any_acc_frame_scales_by_its_start_answer_as_the_sdk(raw, factor, frame_type):
    # AccData.kt: compressed type 0 -> raw x factor x 1000 mG, type 1 -> raw x factor mG
    samples = np.array(raw, dtype=np.int64)
    t = 5_000_000_000
    d = decode([(PMD_CP, start_answer(ACC, factor)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, data_frame(ACC, t, samples, frame_type)), (PMD_DATA, partner(GYRO, t, len(raw)))])
    unit = 1000.0 if frame_type == 0x80 else 1.0
    assert d.corrupt == [] and len(d) == len(raw)
    assert d.acc_mps2 / MG == pytest.approx(samples * factor * unit, rel=1e-12, abs=1e-12)


@settings(max_examples=120, deadline=None)
@given(params=st.binary(max_size=40))
def test_any_start_answer_is_decoded_or_listed_never_raised(params):
    d = decode([(PMD_CP, start_answer(ACC, raw=params)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, frame(ACC, 10**10, 0x81, BODY)), (PMD_DATA, frame(GYRO, 10**10, 0x80, BODY))])
    assert len(d) == 3 and [i for i, _ in d.corrupt] in ([], [0])
    assert np.isfinite(d.acc_mps2).all()


def test_a_delta_sum_beyond_16_bits_is_corrupt_where_the_sdk_would_pass_it_on():
    # reference 32767, one 2-bit delta of +1 on x: 32768 fits no int16 sample; the SDK's Int sum keeps it,
    # the decoder lists the frame (firmware_notes/polar_verity.md, Contradictions)
    body = bytes.fromhex("ff7f00000000") + bytes([2, 1, 0b000001])
    t = 10_000_000_000
    d = decode([(PMD_CP, start_answer(ACC, 1.0)), (PMD_CP, start_answer(GYRO, 1.0)),
                (PMD_DATA, frame(ACC, t, 0x81, body)), (PMD_DATA, partner(GYRO, t, 2))])
    assert [i for i, _ in d.corrupt] == [2] and "16-bit range" in d.corrupt[0][1]
