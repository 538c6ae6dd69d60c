"""Properties every sensor model shares: host commands drive the emulator, round trips, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imu_logger.sensors import MODELS
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import DecodedStream

KEYS = sorted(MODELS)
#: decoded-minus-true bound per model (acc m/s², gyro rad/s): the model's quantisation step
STEP = {
    "witmotion": (16 * GRAVITY_MPS2 / 32768, np.radians(2000 / 32768)),
    "movella_dot": (1e-5 * 16 * GRAVITY_MPS2, 1e-6 * np.radians(2000)),  # float32
    "polar_verity": (16 * GRAVITY_MPS2 / 32768, np.radians(2000 / 32768)),
    "thingy52": (GRAVITY_MPS2 / 1024, np.radians(1 / 32)),
    "open_nrf": (16 * GRAVITY_MPS2 / 32768, np.radians(2000 / 32768)),
}


def started(key: str, rate: float | None = None):
    model = MODELS[key]
    dev = model.new_device()
    replies = []
    for w in model.start_commands(rate if rate is not None else model.rates_hz[0]):
        replies += dev.on_write(w.uuid, w.data)
    return model, dev, replies


def motion(n: int, rate: float, acc_scale: float, gyr_scale: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = 100.0 + np.arange(n) / rate
    acc = rng.uniform(-acc_scale, acc_scale, (n, 3))
    gyr = rng.uniform(-gyr_scale, gyr_scale, (n, 3))
    mag = rng.uniform(-50, 50, (n, 3))
    return acc, gyr, mag, t


def run(key: str, n: int = 400, acc_scale: float | None = None, gyr_scale: float | None = None):
    model, dev, replies = started(key)
    acc_scale = 0.9 * model.acc_range_mps2 if acc_scale is None else acc_scale
    gyr_scale = 0.9 * model.gyr_range_radps if gyr_scale is None else gyr_scale
    acc, gyr, mag, t = motion(n, dev.rate_hz, acc_scale, gyr_scale)
    out = [r for r in replies if r[0] in model.notify_uuids]  # the host only hears what it subscribed to
    for k in range(0, n, 37):  # blocks that do not line up with any packet size
        out += dev.encode(acc[k:k + 37], gyr[k:k + 37], mag[k:k + 37], t[k:k + 37])
    host = 5.0 + np.arange(len(out)) * 0.004
    decoded = model.decode([u for u, _ in out], [p for _, p in out], host)
    return model, dev, (acc, gyr, mag, t), out, decoded


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("rate_index", [0, 1])
def test_start_commands_turn_streaming_on_at_the_requested_rate(key, rate_index):
    model = MODELS[key]
    rate = model.rates_hz[rate_index]
    _, dev, _ = started(key, rate)
    assert dev.streaming
    assert dev.rate_hz == pytest.approx(rate)


@pytest.mark.parametrize("key", [k for k in KEYS if MODELS[k].stop_commands()])
def test_stop_commands_stop_streaming(key):
    model, dev, _ = started(key)
    for w in model.stop_commands():
        dev.on_write(w.uuid, w.data)
    assert not dev.streaming
    acc, gyr, mag, t = motion(50, 100.0, 1.0, 1.0)
    assert dev.encode(acc, gyr, mag, t) == []


@pytest.mark.parametrize("key", KEYS)
def test_round_trip_within_quantisation(key):
    model, dev, (acc, gyr, _, t), _, d = run(key)
    assert d.corrupt == []
    assert len(d) >= len(t) - 40  # batching models may still hold the last partial packet
    k = len(d)
    acc_step, gyr_step = STEP[key]
    assert np.abs(d.acc_mps2 - acc[:k]).max() <= acc_step
    assert np.abs(d.gyr_radps - gyr[:k]).max() <= gyr_step
    if model.has_sensor_time:
        assert np.abs(d.sensor_time_s - t[:k]).max() < 2e-6
    if model.has_counter:
        assert np.array_equal(np.diff(d.counter), np.ones(k - 1))
    assert np.all(np.diff(d.notification_index) >= 0)


@pytest.mark.parametrize("key", KEYS)
def test_values_beyond_the_range_saturate_at_full_scale(key):
    model, _, (acc, gyr, _, _), _, d = run(key, n=200, acc_scale=3 * 9.81 * 16, gyr_scale=3 * np.radians(2000))
    acc_step, gyr_step = STEP[key]
    assert np.abs(d.acc_mps2).max() <= model.acc_range_mps2 + acc_step
    assert np.abs(d.acc_mps2).max() >= model.acc_range_mps2 - 2 * acc_step
    assert np.abs(d.gyr_radps).max() <= model.gyr_range_radps + gyr_step


@pytest.mark.parametrize("key", KEYS)
def test_battery_level_round_trips_through_the_device(key):
    model, dev, _ = started(key)
    dev.set_battery(60)
    if model.battery_uuid is not None:
        assert model.decode_battery(dev.read(model.battery_uuid)) == 60
    else:
        (w,) = model.battery_request_commands()
        (reply,) = dev.on_write(w.uuid, w.data)
        assert reply[0] in model.notify_uuids
        assert model.decode_battery(reply[1]) == 60


@pytest.mark.parametrize("key", KEYS)
def test_notify_and_command_characteristics_exist_in_the_gatt_layout(key):
    model = MODELS[key]
    chars = {c.uuid: c for s in model.services() for c in s.characteristics}
    for uuid in model.notify_uuids:
        assert "notify" in chars[uuid].properties
    for w in model.start_commands(model.rates_hz[0]) + model.stop_commands():
        assert {"write", "write-without-response"} & set(chars[w.uuid].properties)
    if model.battery_uuid:
        assert "read" in chars[model.battery_uuid].properties
    assert all(u == u.lower() and len(u) == 36 for u in chars)


def _check_shapes(d: DecodedStream, n_in: int) -> None:
    n = len(d)
    assert d.gyr_radps.shape == (n, 3) and d.host_time_s.shape == (n,) and d.notification_index.shape == (n,)
    assert all(0 <= i < n_in for i, _ in d.corrupt)
    assert all(isinstance(r, str) and r for _, r in d.corrupt)


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_bytes_never_crash_the_decoder(key, data):
    model = MODELS[key]
    uuids = list(model.notify_uuids) + ["00002a19-0000-1000-8000-00805f9b34fb"]
    payloads = data.draw(st.lists(st.binary(max_size=80), max_size=12))
    chosen = [data.draw(st.sampled_from(uuids)) for _ in payloads]
    d = model.decode(chosen, payloads, np.arange(len(payloads), dtype=float))
    _check_shapes(d, len(payloads))


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_flipped_bytes_are_listed_or_decoded_never_raised(key, data):
    _, _, _, out, clean = run(key, n=120)
    k = data.draw(st.integers(0, len(out) - 1))
    uuid, payload = out[k]
    if not payload:
        return
    pos = data.draw(st.integers(0, len(payload) - 1))
    bad = bytearray(payload)
    bad[pos] ^= data.draw(st.integers(1, 255))
    out[k] = (uuid, bytes(bad))
    d = MODELS[key].decode([u for u, _ in out], [p for _, p in out], np.arange(len(out), dtype=float))
    _check_shapes(d, len(out))


@pytest.mark.parametrize("key", KEYS)
def test_mismatched_inputs_are_reported_not_raised(key):
    d = MODELS[key].decode(["x"], [b"", b""], np.zeros(2))
    assert len(d) == 0 and len(d.corrupt) == 2
