"""Clock fit along the latency envelope and gap detection from counters, clocks and receive times."""

from __future__ import annotations

import numpy as np
import pytest

from imu_logger.samples.timebase import (fit_clock, gaps_from_counter, gaps_from_sensor_time,
                                 sample_clock_from_receive_times)


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
