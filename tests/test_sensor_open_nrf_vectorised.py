"""The vectorised open_nrf decoder equals a packet-by-packet reading of firmware_notes/open_nrf.md, bit
for bit, on random valid packets (mixed layouts, ranges, magnetometer or not) among corrupt ones; and
the gravity plausibility check gives np.linalg.norm's median."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_logger.sensors._bytes import DEG, IndexedUuids
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.open_nrf import (ACC_RANGES_G, CONTROL_UUID, DATA_UUID, GYR_RANGES_DPS, OpenNrf,
                                         build_packet)
from imu_logger.sensors.plausibility import REST_RATE_RADPS, gravity_norm_warning

MODEL = OpenNrf()
BAD_CRC = b"\x01\x00" + bytes(20)  # header and CRC of zeros: the CRC does not match


def reference(packets: list[bytes]) -> dict[str, np.ndarray]:
    """Packet by packet with struct, per the format note (no wraps in the generated data)."""
    rows: dict[str, list] = {k: [] for k in ("acc", "gyr", "mag", "time", "counter", "index")}
    for k, p in enumerate(packets):
        _, flags, seq, t_us, period, n, acc_g, gyr_dps = struct.unpack_from("<BBIIHBBH", p)
        width = 9 if flags & 2 else 6
        values = np.array(struct.unpack_from(f"<{n * width}h", p, 16), np.float64).reshape(n, width)
        rows["acc"].append(values[:, 0:3] * (acc_g * GRAVITY_MPS2 / 32768.0))
        rows["gyr"].append(values[:, 3:6] * (gyr_dps * DEG / 32768.0))
        rows["mag"].append(values[:, 6:9] * (1.0 / 16.0) if width == 9 else np.full((n, 3), np.nan))
        rows["time"] += [t_us * 1e-6 + i * (period * 1e-6) for i in range(n)]
        rows["counter"] += [seq + i for i in range(n)]
        rows["index"] += [k] * n
    return {k: np.concatenate(v) if k in ("acc", "gyr", "mag") else np.array(v) for k, v in rows.items()}


packet_spec = st.tuples(st.integers(1, 12), st.booleans(), st.sampled_from(ACC_RANGES_G),
                        st.sampled_from(GYR_RANGES_DPS), st.sampled_from([2500, 10000]))


@settings(max_examples=40, deadline=None)
@given(specs=st.lists(packet_spec, min_size=1, max_size=30), corrupt_at=st.lists(st.integers(0, 40), max_size=4),
       seed=st.integers(0, 2 ** 32 - 1), one_layout=st.booleans())
def test_vectorised_decoder_equals_packet_by_packet(specs, corrupt_at, seed, one_layout):
    rng = np.random.default_rng(seed)
    if one_layout:  # the common case: every packet alike (the single-gather path)
        specs = [specs[0]] * len(specs)
    packets, seq, t_us = [], 0, 1000
    for n, with_mag, acc_g, gyr_dps, period in specs:
        raw = rng.integers(-32768, 32768, (n, 9 if with_mag else 6))
        packets.append(build_packet(seq, t_us, period, acc_g, gyr_dps, raw))
        seq, t_us = seq + n, t_us + n * period
    notes = [(DATA_UUID, p) for p in packets]
    for k in sorted(set(corrupt_at)):  # bad CRC and a control reply in between: skipped, listed
        notes.insert(min(k, len(notes)), (DATA_UUID, BAD_CRC))
    notes.insert(0, (CONTROL_UUID, bytes([0x81, 0])))
    host = 0.01 * np.arange(len(notes))
    names = [DATA_UUID, CONTROL_UUID]
    index = np.array([names.index(u) for u, _ in notes])
    got = MODEL.decode(IndexedUuids(names, index), [p for _, p in notes], host)
    same_as_list = MODEL.decode([u for u, _ in notes], [p for _, p in notes], host)
    want = reference(packets)
    where = np.array([k for k, (u, p) in enumerate(notes) if u == DATA_UUID and p != BAD_CRC])
    assert len(got.corrupt) == len(set(corrupt_at))
    for stream in (got, same_as_list):
        np.testing.assert_array_equal(stream.acc_mps2, want["acc"])
        np.testing.assert_array_equal(stream.gyr_radps, want["gyr"])
        np.testing.assert_array_equal(stream.mag_ut, want["mag"])
        np.testing.assert_array_equal(stream.sensor_time_s, want["time"])
        np.testing.assert_array_equal(stream.counter, want["counter"])
        np.testing.assert_array_equal(stream.notification_index, where[want["index"]])
        np.testing.assert_array_equal(stream.host_time_s, host[where[want["index"]]])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 400), scale=st.sampled_from([0.3, 1.0, 2.0]),
       rest_fraction=st.floats(0.0, 1.0), with_nan=st.booleans())
def test_gravity_check_takes_linalg_norms_median(seed, n, scale, rest_fraction, with_nan):
    rng = np.random.default_rng(seed)
    gyr = rng.normal(0.0, 1.0, (n, 3))
    gyr[: int(rest_fraction * n)] *= 0.01
    acc = rng.normal(0.0, 1.0, (n, 3)) + [0.0, 0.0, GRAVITY_MPS2 * scale]
    if with_nan and n:
        acc[rng.integers(0, n, 3), 1] = np.nan
    finite = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
    norm_g = np.linalg.norm(acc[finite], axis=1) / GRAVITY_MPS2
    rest = np.linalg.norm(gyr[finite], axis=1) < REST_RATE_RADPS
    pool, band = (norm_g[rest], (0.85, 1.15)) if rest.sum() >= 20 else (norm_g, (0.6, 1.6))
    warning = gravity_norm_warning("m", acc, gyr)
    if pool.size < 20 or band[0] <= np.median(pool) <= band[1]:
        assert warning is None
    else:
        assert warning is not None and f"is {np.median(pool):.3g} g" in warning
