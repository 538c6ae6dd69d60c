"""Clock fit along the latency envelope and gap detection from counters, clocks and receive times."""

from __future__ import annotations

import numpy as np
import pytest

from imu_logger.samples.timebase import (RATE_TOLERANCE, fit_clock, gaps_from_counter,
                                         gaps_from_sensor_time, sample_clock_from_receive_times,
                                         unseen_loss_bound)


def _link(n, fs, drift_ppm, seed, lost=()):
    """Sample times of a sensor whose clock drifts, received after a random BLE latency."""
    rng = np.random.default_rng(seed)
    true_t = np.arange(n) / fs
    sensor_t = true_t * (1 + drift_ppm * 1e-6)
    keep = np.ones(n, bool)
    for a, b in lost:
        keep[a:b] = False
    host = 12.0 + true_t + 0.007 + rng.exponential(0.01, n)  # latency only ever delays
    return sensor_t[keep], host[keep], keep


@pytest.mark.parametrize("drift_ppm", [-120.0, 0.0, 60.0])
def test_clock_fit_recovers_offset_and_drift(drift_ppm):
    sensor_t, host, _ = _link(60_000, 100.0, drift_ppm, seed=1)
    fit = fit_clock(sensor_t, host)
    # host = 12.007 + true_t and sensor = true_t (1 + d): slope = 1 / (1 + d)
    assert fit.drift_ppm == pytest.approx(-drift_ppm, abs=3.0)
    err = fit.to_host(sensor_t) - (host - (host - 12.007 - sensor_t / (1 + drift_ppm * 1e-6)))
    assert np.max(np.abs(err)) < 0.002  # every sample within 2 ms of its true host time
    assert 0 < fit.latency_p50_s < 0.02


def test_counter_gaps_are_exact():
    counter = np.r_[np.arange(0, 10), np.arange(13, 20), np.arange(120, 130)]
    gaps = gaps_from_counter(counter)
    assert [(g.index, g.missing) for g in gaps] == [(10, 3), (17, 100)]


def test_sensor_time_gaps():
    t = np.r_[np.arange(0, 50), np.arange(52, 60), np.arange(200, 210)] / 100.0
    assert [(g.index, g.missing) for g in gaps_from_sensor_time(t, 100.0)] == [(50, 2), (58, 140)]


def test_receive_time_gaps_account_for_every_lost_sample():
    lost = [(1000, 1004), (3000, 3001), (4500, 4700)]
    sensor_t, host, keep = _link(8000, 100.0, 80.0, seed=3, lost=lost)
    counter, gaps, rate = sample_clock_from_receive_times(host, np.ones(host.size, int), 100.0)
    assert sum(g.missing for g in gaps) == sum(b - a for a, b in lost)
    assert counter[-1] + 1 == keep.size
    # where a loss happened is an estimate: latency blurs it by a few samples
    assert np.max(np.abs(counter - np.flatnonzero(keep))) <= 3
    assert np.mean(counter == np.flatnonzero(keep)) > 0.99
    assert rate == pytest.approx(100.0, rel=2e-5)  # samples come every 10 ms of host time


def test_receive_time_without_loss_finds_no_gap():
    _, host, _ = _link(5000, 100.0, 0.0, seed=4)
    _, gaps, _ = sample_clock_from_receive_times(host, np.ones(host.size, int), 100.0)
    assert gaps == []


def _stall(host, start_s, length_s):
    """A busy host: nothing is delivered from ``start_s`` for ``length_s``, then the backlog at once."""
    held = (host >= start_s) & (host < start_s + length_s)
    out = host.copy()
    out[held] = start_s + length_s + 1e-4 * np.arange(held.sum())
    return out


@pytest.mark.parametrize("length_s", [0.45, 1.5, 3.0])
def test_a_latency_burst_is_not_a_loss(length_s):
    _, host, _ = _link(6000, 100.0, 0.0, seed=5)
    busy = _stall(host, 30.0, length_s)
    counter, gaps, _ = sample_clock_from_receive_times(busy, np.ones(busy.size, int), 100.0)
    assert gaps == []
    assert np.array_equal(counter, np.arange(busy.size))  # every sample keeps its place in time


def test_a_loss_inside_a_latency_burst_is_found_with_its_size():
    lost = [(2600, 2612)]  # 12 samples lost while the host was stalled from 25.9 s for 1.2 s
    _, host, keep = _link(6000, 100.0, 0.0, seed=6, lost=lost)
    busy = _stall(host, 25.9, 1.2)
    counter, gaps, _ = sample_clock_from_receive_times(busy, np.ones(busy.size, int), 100.0)
    assert [g.missing for g in gaps] == [12]
    assert np.mean(counter == np.flatnonzero(keep)) > 0.99


def test_unseen_loss_bound_covers_losses_too_small_to_see():
    rng = np.random.default_rng(7)
    n, fs = 3000, 100.0
    keep = rng.random(n) > 0.01  # one sample in a hundred lost, one at a time
    _, host, _ = _link(n, fs, 0.0, seed=7)
    counter, gaps, _ = sample_clock_from_receive_times(host[keep], np.ones(keep.sum(), int), fs)
    found = sum(g.missing for g in gaps)
    unseen = (n - keep.sum()) - found
    span_s = (n - 1) / fs
    bound = unseen_loss_bound(span_s, int(keep.sum()), found, fs)
    assert unseen <= bound <= unseen + int(np.ceil(span_s * fs * RATE_TOLERANCE)) + 1
    assert unseen_loss_bound(span_s, n, 0, fs) == int(np.floor(span_s * fs * RATE_TOLERANCE))


def test_a_long_backlog_does_not_tilt_the_clock_fit():
    # 10 s of notifications delivered late while the host was busy (as while other sensors connect)
    sensor_t, host, _ = _link(12_000, 100.0, 0.0, seed=8)
    busy = host.copy()
    busy[200:1200] += np.linspace(0.5, 3.0, 1000)
    fit = fit_clock(sensor_t, busy)
    assert abs(fit.drift_ppm) < 20  # a least-squares line through the window minima gave -4391 ppm live
    assert np.max(np.abs(fit.to_host(sensor_t) - (12.007 + sensor_t))) < 0.003


def test_a_backlog_longer_than_seconds_is_not_a_loss():
    _, host, _ = _link(12_000, 100.0, 0.0, seed=9)
    busy = host.copy()
    busy[300:1300] += np.linspace(0.2, 4.0, 1000)  # latency grows for 10 s, then the backlog clears
    _, gaps, _ = sample_clock_from_receive_times(busy, np.ones(busy.size, int), 100.0)
    assert gaps == []
