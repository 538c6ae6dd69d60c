"""10^5 fuzzed notifications per decoder, control points included: no exception, every output well formed.

The frames start from what each model's emulator really sends (start answers and data), then are
cut, extended, bit-flipped or replaced by random bytes; for Polar also control-point answers with
random settings (factor fields with no value, NaN, inf, zero), stop messages and data headers with
random bodies. They are decoded as connections of 1000 notifications.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from imu_logger.sensors import MODELS
from imu_logger.sensors.polar_pmd import PMD_CP, PMD_DATA

FRAMES_PER_MODEL = 100_000
CONNECTION = 1000


def _seed_notifications(key: str) -> list[tuple[str, bytes]]:
    """What the model's device sends after the host's start writes, for two seconds of motion."""
    model = MODELS[key]
    dev = model.new_device()
    out = []
    for w in model.start_commands(model.rates_hz[0]):
        out += [r for r in dev.on_write(w.uuid, w.data) if r[0] in model.notify_uuids]
    rng = np.random.default_rng(0)
    n = int(2 * dev.rate_hz)
    t = 50.0 + np.arange(n) / dev.rate_hz
    out += dev.encode(rng.normal(0, 20, (n, 3)), rng.normal(0, 5, (n, 3)), rng.normal(0, 40, (n, 3)), t)
    return [(u, p) for u, p in out if u in model.notify_uuids]


def _polar_control_point(rng: np.random.Generator) -> bytes:
    kind = int(rng.choice([2, 5, 6, 9, int(rng.integers(0, 256))]))
    pick = rng.integers(0, 5)
    if pick == 0:  # a start answer with a factor of any bits, count 0..2
        count = int(rng.integers(0, 3))
        value = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e-45, 1e38, float(rng.normal())])
        return bytes([0xF0, 0x02, kind, 0, 0, 5, count]) + struct.pack("<f", value) * count
    if pick == 1:  # a stop message from the device
        return bytes([0x01]) + rng.integers(0, 256, int(rng.integers(0, 4)), dtype=np.uint8).tobytes()
    if pick == 2:  # an answer with random settings TLVs
        return bytes([0xF0, int(rng.integers(0, 16)), kind, int(rng.integers(0, 16)), int(rng.integers(0, 2))]) + \
            rng.integers(0, 256, int(rng.integers(0, 24)), dtype=np.uint8).tobytes()
    return rng.integers(0, 256, int(rng.integers(0, 12)), dtype=np.uint8).tobytes()


def _polar_data(rng: np.random.Generator) -> bytes:
    kind = int(rng.choice([2, 5, 6, 3, int(rng.integers(0, 256))]))
    ftype = int(rng.choice([0x00, 0x01, 0x02, 0x80, 0x81, int(rng.integers(0, 256))]))
    t = int(rng.integers(0, 2 ** 63)) if rng.random() < 0.8 else int(rng.integers(2 ** 63, 2 ** 64, dtype=np.uint64))
    body = rng.integers(0, 256, int(rng.integers(0, 220)), dtype=np.uint8).tobytes()
    return bytes([kind]) + t.to_bytes(8, "little") + bytes([ftype]) + body


def fuzzed(key: str, n: int, seed: int) -> tuple[list[str], list[bytes]]:
    """``n`` notifications for ``key``: mutated real ones, random ones, and (Polar) structured ones."""
    rng = np.random.default_rng(seed)
    model = MODELS[key]
    seeds = _seed_notifications(key)
    chars = list(model.notify_uuids) + ["00002a19-0000-1000-8000-00805f9b34fb"]
    uuids, payloads = [], []
    for _ in range(n):
        how = rng.random()
        uuid, data = seeds[int(rng.integers(0, len(seeds)))]
        data = bytearray(data)
        if how < 0.3 and data:  # flip bytes
            for pos in rng.integers(0, len(data), int(rng.integers(1, 4))):
                data[pos] ^= int(rng.integers(1, 256))
        elif how < 0.45:  # cut or extend
            cut = int(rng.integers(0, len(data) + 1))
            data = data[:cut] + bytearray(rng.integers(0, 256, int(rng.integers(0, 6)), dtype=np.uint8).tobytes())
        elif how < 0.6:  # random bytes on a random characteristic
            uuid = chars[int(rng.integers(0, len(chars)))]
            data = bytearray(rng.integers(0, 256, int(rng.integers(0, 80)), dtype=np.uint8).tobytes())
        elif how < 0.75 and key == "polar_verity":
            uuid, data = PMD_CP, bytearray(_polar_control_point(rng))
        elif how < 0.9 and key == "polar_verity":
            uuid, data = PMD_DATA, bytearray(_polar_data(rng))
        uuids.append(uuid)
        payloads.append(bytes(data))
    return uuids, payloads


def check_connection(key: str, uuids: list[str], payloads: list[bytes]) -> None:
    """Decode one connection; the output must be well formed whatever came in."""
    d = MODELS[key].decode(uuids, payloads, np.arange(len(payloads), dtype=float) * 0.01)
    n = len(d)
    assert d.acc_mps2.shape == (n, 3) and d.gyr_radps.shape == (n, 3) and d.host_time_s.shape == (n,)
    assert d.notification_index.shape == (n,)
    assert np.all((d.notification_index >= 0) & (d.notification_index < len(payloads)))
    assert all(0 <= i < len(payloads) and isinstance(r, str) and r for i, r in d.corrupt)
    assert all(0 <= i < len(payloads) and isinstance(t, str) and t for i, t in d.notes)


@pytest.mark.parametrize("key", sorted(MODELS))
def test_fuzzed_connections_never_crash_a_decoder(key):
    """Every model, 5000 fuzzed notifications (the 10^5 run is the slow test below)."""
    uuids, payloads = fuzzed(key, 5000, seed=1)
    for a in range(0, len(payloads), CONNECTION):
        check_connection(key, uuids[a:a + CONNECTION], payloads[a:a + CONNECTION])


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(MODELS))
def test_hundred_thousand_fuzzed_frames_never_crash_a_decoder(key):
    uuids, payloads = fuzzed(key, FRAMES_PER_MODEL, seed=2)
    for a in range(0, len(payloads), CONNECTION):
        check_connection(key, uuids[a:a + CONNECTION], payloads[a:a + CONNECTION])
