"""Signal sources, replay scheduling and the fault injector (pure parts, no BLE)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from imu_logger.ble.faults import FaultInjector, Faults
from imu_logger.ble.sources import ArraySource, ReplaySource, SignalSource, SimpleMotionSource, at_rate
from imu_logger.errors import UserError
from analysis.conventions import GRAVITY_MPS2


def test_simple_motion_is_a_consistent_rotation_with_gravity():
    source = SimpleMotionSource(fs_hz=1000.0)
    assert isinstance(source, SignalSource)
    acc, gyr, mag = source.block(0.3, 2000)
    assert np.allclose(np.linalg.norm(acc, axis=1), GRAVITY_MPS2)
    assert np.ptp(gyr, axis=0).min() > 0.1 and np.ptp(acc, axis=0).min() > 0.1
    # a fixed world vector seen from a rotating frame changes as dv/dt = -ω × v
    for field in (acc, mag):
        dv = np.gradient(field, 1e-3, axis=0)[1:-1]
        assert np.allclose(dv, -np.cross(gyr, field)[1:-1], atol=1e-3 * np.abs(field).max())
    again = SimpleMotionSource(fs_hz=1000.0).block(0.3, 2000)
    assert all(np.array_equal(a, b) for a, b in zip((acc, gyr, mag), again))


def test_array_source_loops_or_holds_and_validates():
    acc = np.arange(30.0).reshape(10, 3)
    looped = ArraySource(acc, -acc, None, 10.0)
    a, g, m = looped.block(0.8, 4)
    assert np.array_equal(a, acc[[8, 9, 0, 1]]) and np.array_equal(g, -a) and m.shape == (4, 3)
    held = ArraySource(acc, acc, acc, 10.0, loop=False)
    assert np.array_equal(held.block(0.8, 4)[0], acc[[8, 9, 9, 9]])
    with pytest.raises(UserError, match="lengths differ"):
        ArraySource(acc, acc[:5], None, 10.0)
    with pytest.raises(UserError, match="shape"):
        ArraySource(acc[:, :2], acc, None, 10.0)
    with pytest.raises(UserError, match="fs_hz"):
        ArraySource(acc, acc, None, 0.0)


@given(fs_in=st.sampled_from([50.0, 100.0, 104.0, 200.0]), fs_out=st.sampled_from([52.0, 60.0, 100.0, 208.0]),
       t0=st.floats(0.0, 5.0), n=st.integers(1, 300))
@settings(max_examples=60, deadline=None)
def test_resampling_is_exact_on_linear_signals(fs_in, fs_out, t0, n):
    assume(fs_in != fs_out)  # on the same grid the source is used as it is (next test)
    t = np.arange(4000) / fs_in
    lin = np.column_stack([t, 2.0 * t - 1.0, 0.5 * t])
    src = ArraySource(lin, lin, lin, fs_in, loop=False)
    acc, _, _ = at_rate(src, fs_out).block(t0, n)
    want = t0 + np.arange(n) / fs_out
    assert np.allclose(acc[:, 0], want) and np.allclose(acc[:, 1], 2.0 * want - 1.0)


def test_at_rate_keeps_a_source_on_its_own_grid():
    src = SimpleMotionSource(fs_hz=100.0)
    assert at_rate(src, 100.0) is src


@given(times_ms=st.lists(st.integers(0, 2000), min_size=1, max_size=30),
       cuts=st.lists(st.floats(0.0, 7.0), min_size=1, max_size=20), loop=st.booleans())
@settings(max_examples=80, deadline=None)
def test_replay_sends_every_frame_once_per_cycle_in_order(times_ms, cuts, loop):
    times = sorted(t / 1000.0 for t in times_ms)
    frames = [("ffe4", bytes([i]), t) for i, t in enumerate(times)]
    replay = ReplaySource(frames, loop=loop)
    edges = [0.0] + sorted(cuts)
    sent = [i for a, b in zip(edges, edges[1:]) for i in replay.frame_indices(a, b)]
    end = edges[-1]
    if loop:
        cycles = int(np.floor(end / replay.period_s))
        full = [i for c in range(cycles) for i in range(len(frames))]
        assert sent[:len(full)] == full
        rest = end - cycles * replay.period_s
        assert sent[len(full):] == [i for i in range(len(frames)) if replay.times_s[i] < rest]
    else:
        assert sent == [i for i in range(len(frames)) if replay.times_s[i] < end]


def test_replay_rejects_empty_or_unordered_frames():
    with pytest.raises(UserError, match="no frames"):
        ReplaySource([])
    with pytest.raises(UserError, match="must not decrease"):
        ReplaySource([("a", b"", 1.0), ("a", b"", 0.5)])


@pytest.mark.parametrize("kwargs, match", [
    ({"drop_probability": 1.5}, "drop_probability"), ({"corrupt_probability": -0.1}, "corrupt_probability"),
    ({"drop_every": 0}, "drop_every"), ({"disconnect_at_s": -1.0}, "disconnect_at_s"),
    ({"battery_percent": 101}, "battery_percent"), ({"clock_drift_ppm": 1e6}, "clock_drift_ppm"),
])
def test_faults_reject_impossible_values(kwargs, match):
    with pytest.raises(UserError, match=match):
        Faults(**kwargs)


@given(p_drop=st.floats(0.0, 1.0), p_corrupt=st.floats(0.0, 1.0), seed=st.integers(0, 2 ** 32),
       payload=st.binary(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_injector_is_deterministic_and_corrupts_exactly_one_byte(p_drop, p_corrupt, seed, payload):
    faults = Faults(drop_probability=p_drop, corrupt_probability=p_corrupt, seed=seed)
    a, b = FaultInjector(faults), FaultInjector(faults)
    for _ in range(20):
        out, dropped, corrupted = a.apply(payload)
        assert (out, dropped, corrupted) == b.apply(payload)
        assert not (dropped and corrupted)
        assert sum(x != y for x, y in zip(out, payload)) == int(corrupted) and len(out) == len(payload)


def test_disconnect_fault_fires_once_after_its_time():
    injector = FaultInjector(Faults(disconnect_at_s=1.0))
    assert [injector.disconnect_due(t) for t in (0.5, 0.99, 1.0, 1.5, 3.0)] == [False, False, True, False, False]
    assert Faults(clock_drift_ppm=-200.0).clock_scale == pytest.approx(1.0 - 2e-4)
