"""The simulated pelvis is self-consistent: its gyroscope is the derivative of its orientation, its
accelerometer reads gravity at rest, and its height follows Zijlstra & Hof's pendulum (gait_sim.pelvis)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from analysis.columns import ACC, GYR
from analysis.conventions import GRAVITY_MPS2
from gait_sim import BoutSpec, SimConfig, simulate


def _clean(**kw):
    cfg = SimConfig(minutes=0.5, seed=7, mounting="random", placements=("lower_back",), dtype="float64",
                    sample_average=False, bouts=(BoutSpec("walking", 15, speed_mps=1.2, turn_deg=60.0),), **kw)
    return simulate(cfg.noise_free())


def test_gyroscope_is_the_orientation_derivative():
    sim = _clean(fs_hz=1000.0)
    q = sim.orientations["lower_back"]
    r = Rotation.from_quat(q[:, [1, 2, 3, 0]])
    gyr = sim.clean_signals["lower_back"][list(GYR)].to_numpy()
    dt = 1.0 / sim.config.fs_hz
    # mid-point rule: R(t+dt) = R(t) exp((w(t) + w(t+dt)) dt / 2), error O(dt³)
    step = Rotation.from_rotvec(0.5 * (gyr[:-1] + gyr[1:]) * dt)
    err = (r[1:].inv() * r[:-1] * step).magnitude()
    assert np.abs(gyr).max() > 0.3  # it does move
    assert err.max() < 1e-6


def test_rest_reads_gravity_and_the_height_follows_the_pendulum():
    sim = _clean(fs_hz=200.0)
    sig = sim.clean_signals["lower_back"]
    t = sig["time_s"].to_numpy()
    acc = sig[list(ACC)].to_numpy().copy()
    first_still = t < sim.periods[0].end_s - 0.1
    assert np.allclose(np.linalg.norm(acc[first_still], axis=1), GRAVITY_MPS2, atol=1e-9)
    # vertical excursion per step in steady walking: double integration of the world-vertical acceleration
    r = Rotation.from_quat(sim.orientations["lower_back"][:, [1, 2, 3, 0]])
    a_up = r.apply(acc)[:, 2] - GRAVITY_MPS2
    walk = next(p.walk for p in sim.periods if p.walk is not None)
    m = sim.config.pelvis
    steps = np.sort(np.concatenate([c.ic_s[1:] for c in walk.contacts.values()]))
    step_m = 0.5 * sim.truth_strides["stride_length_m"].median()
    half = step_m / (2 * m.step_length_factor)
    h_model = m.sensor_height_m - np.sqrt(m.sensor_height_m**2 - half**2)
    fs = sim.config.fs_hz
    for a, b in zip(steps[3:6], steps[4:7]):  # steady steps, away from the envelope
        sel = (t >= a) & (t <= b)
        v = np.cumsum(a_up[sel] - a_up[sel].mean()) / fs
        z = np.cumsum(v - v.mean()) / fs
        # 4 %: the pendulum is sized from the bout's median step; steps vary by 2 % (Gait.step_length_cv)
        assert abs(np.ptp(z) - h_model) < 0.04 * h_model
