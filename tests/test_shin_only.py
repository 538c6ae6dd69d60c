"""Strides from the shins alone, against the simulator's truth (random mounting, default sensor errors).

Measured with benchmarks/bench_shin_only.py (8 seeds x 5-minute walks, 2058 true strides): precision
0.996, recall 1.000; initial contact −0.9 ms (|error| p95 7 ms, max 22 ms), toe-off early by 33 ms
(p95 39 ms); stride time |error| median 4 ms, p95 7 ms (the events are sample-quantised, 10 ms); stance
fraction 2.9 % of the stride short. Contact is the heel-strike impact (events.contact_at_impact): the
shin's rate minimum after mid-swing comes with the foot's slap, 54-69 ms after the touch once the heel
lands with zero pitch rate (before, on a foot landing already rotating: a constant 32 ms). Toe-off is
the shin's push-off minimum, ~33 ms inside the stance. The shin's sign is the excursion followed by
the heel-strike pulse (events.shin_swing_sign); the extremes' size got one side of seed 2 (18 strides)
wrong, and so did the largest |d|acc|/dt| once the heel landed with zero pitch rate.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis import events
from analysis.strides import compute_strides
from analysis.validation import stride_errors
from gait_sim import Scenario, SimConfig, simulate

SHINS = ("left_shin", "right_shin")


def shin_only_errors(sim) -> tuple:
    """Errors of the strides found from the shins alone, with the detected and true stride counts."""
    det = compute_strides({p: sim.signals[p] for p in SHINS})
    return stride_errors(det, sim.truth_strides), len(det), len(sim.truth_strides)


@pytest.fixture(scope="module")
def errors():
    sim = simulate(SimConfig(minutes=5, seed=1, mounting="random", scenario=Scenario(kind="walk")))
    return shin_only_errors(sim)


def test_shin_only_finds_the_strides(errors):
    m, n_det, n_true = errors
    assert n_true > 200
    assert len(m) / n_det >= 0.98
    assert len(m) / n_true >= 0.98
    assert set(m["side"]) == {"left", "right"}


def test_shin_only_event_timing_is_a_constant_offset(errors):
    m, _, _ = errors
    ic, to = m["ic_err_ms"].to_numpy(), m["to_err_ms"].to_numpy()
    assert abs(np.median(ic)) <= 5.0  # contact: the impact is at the touch
    assert -40.0 <= np.median(to) <= -25.0  # toe-off: the shin's push-off minimum comes before it
    assert np.percentile(np.abs(ic), 95) <= 12.0
    assert np.percentile(np.abs(to), 95) <= 45.0
    assert np.percentile(ic, 95) - np.percentile(ic, 5) <= 15.0


def test_shin_only_stride_time_and_stance(errors):
    m, _, _ = errors
    st = np.abs(m["stride_time_err_ms"].to_numpy())
    assert np.median(st) <= 6.0
    assert np.percentile(st, 95) <= 12.0
    assert -4.5 <= np.median(m["stance_err_pct"]) <= -1.5  # the early toe-off alone


def test_shin_sign_on_a_short_walk():
    """Seed 2: 18 strides, one shin's swing peak (4.30 rad/s) and push-off dip (−4.20) nearly tied; the
    sign from the extremes' size put that side's events half a step off, and so did the largest
    |d|acc|/dt| (push-off 1094 against heel strike 941 m/s³). The heel-strike pulse rule
    (events.shin_swing_sign) gets both sides right."""
    sim = simulate(SimConfig(minutes=5, seed=2, mounting="random", scenario=Scenario(kind="walk")))
    m, n_det, n_true = shin_only_errors(sim)
    assert set(m["side"]) == {"left", "right"}
    assert len(m) / n_true >= 0.95 and len(m) / n_det >= 0.95
    assert np.all(np.abs(m["ic_err_ms"]) <= 15.0)  # half a step off would be ~500 ms


def test_the_impact_pulse_is_a_rise_that_falls_back():
    """A heel pad stops the leg within 20-30 ms: |acc| rises and falls back (a pulse). A rise that stays
    (a push-off's) is no pulse; the pulse is the smaller of the rise and the fall after it (m/s³)."""
    fs = 100.0
    g = np.zeros((100, 3))
    g[:, 2] = 9.81
    pulse, step = g.copy(), g.copy()
    pulse[50, 2] += 10.0  # 10 m/s² for one sample, back the next: rise and fall 1000 m/s³
    step[50:, 2] += 10.0  # same rise, no fall
    p = events.impact_pulse(pulse, fs)
    assert np.argmax(p) == 50 and p[50] == pytest.approx(1000.0)
    assert np.all(events.impact_pulse(step, fs) < 1e-9)
    slow = pulse.copy()
    slow[51:56, 2] = 9.81 + 10.0 * np.linspace(0.8, 0.0, 5)  # falls back over 60 ms: 200 m/s³ at most
    assert events.impact_pulse(slow, fs)[50] == pytest.approx(200.0)
