"""Zero-velocity detector and de-drifted integration on synthetic foot motion with a known answer."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from analysis import events, zupt
from analysis.windows import runs
from analysis.conventions import GRAVITY_MPS2


def _synthetic_walk(n_strides: int, length_m: float, fs: float = 100.0, heading_deg: float = 30.0,
                    mount: Rotation | None = None, seed: int = 0):
    """A foot that rests 0.6 s, then translates ``length_m`` with a smooth bump (no rotation)."""
    rng = np.random.default_rng(seed)
    rest, move = int(0.6 * fs), int(0.5 * fs)
    tau = np.linspace(0, 1, move, endpoint=False)
    # minimum-jerk position profile: its acceleration integrates to exactly zero velocity at the end
    s_dd = (60 * tau - 180 * tau ** 2 + 120 * tau ** 3) / (move / fs) ** 2
    h = np.radians(heading_deg)
    acc_w = []
    for _ in range(n_strides):
        acc_w.append(np.zeros((rest, 3)))
        a = np.zeros((move, 3))
        a[:, 0] = np.cos(h) * length_m * s_dd
        a[:, 1] = np.sin(h) * length_m * s_dd
        a[:, 2] = 0.1 * 4 * np.pi ** 2 / (move / fs) ** 2 * np.cos(2 * np.pi * tau) * 0.5
        acc_w.append(a)
    acc_w.append(np.zeros((rest, 3)))
    acc_w = np.vstack(acc_w)
    r = mount or Rotation.identity()
    f = r.inv().apply(acc_w + [0, 0, GRAVITY_MPS2])
    gyr = np.zeros_like(f)
    f += rng.normal(0, 0.02, f.shape)
    gyr += rng.normal(0, 0.003, gyr.shape) + [0.01, -0.02, 0.005]
    t = np.arange(len(f)) / fs
    return t, f, gyr


def test_detector_finds_rests_not_motion():
    t, acc, gyr = _synthetic_walk(5, 1.4)
    still = zupt.zero_velocity(acc, gyr, 100.0)
    assert len(runs(still)) == 6
    assert not still[65:105].any()


def test_stride_lengths_recovered_any_mounting():
    mount = Rotation.from_euler("xyz", [70, -40, 130], degrees=True)
    t, acc, gyr = _synthetic_walk(5, 1.4, mount=mount)
    still = zupt.zero_velocity(acc, gyr, 100.0)
    tr = zupt.foot_trajectory(t, acc, gyr, still)
    seg = tr["segments"]
    d = np.linalg.norm(tr["pos"][seg[:, 1], :2] - tr["pos"][seg[:, 0], :2], axis=1)
    assert len(d) == 5
    np.testing.assert_allclose(d, 1.4, rtol=0.02)
    for (_, a), (b, _) in zip(seg[:-1], seg[1:]):  # held still between one segment's end and the next start
        assert b >= a and np.abs(tr["pos"][a:b + 1] - tr["pos"][a]).max() < 1e-12


def test_long_gap_in_a_rest_keeps_strides_and_in_a_movement_drops_one():
    t, acc, gyr = _synthetic_walk(3, 1.0)  # rests at 0-60, 110-170, 220-280 ...; moves between
    still = zupt.zero_velocity(acc, gyr, 100.0)
    in_rest, in_move = t.copy(), t.copy()
    in_rest[140:] += 5.0
    in_move[200:] += 5.0
    assert len(zupt.foot_trajectory(in_rest, acc, gyr, still)["segments"]) == 3
    assert len(zupt.foot_trajectory(in_move, acc, gyr, still)["segments"]) == 2
    g = zupt.gaps(in_move, 100.0)
    assert g.sum() == 1 and g[200]


def test_stance_minima_restores_a_missed_stance():
    t, acc, gyr = _synthetic_walk(3, 1.4)  # rests 0-60, 110-170, 220-280, 330-390
    still = zupt.zero_velocity(acc, gyr, 100.0)
    missed = still.copy()
    missed[110:170] = False  # the fixed thresholds missed this stance
    assert len(zupt.foot_trajectory(t, acc, gyr, missed)["segments"]) == 2
    energy = events.motion_energy(acc, gyr, 100.0)
    zv = zupt.ZeroVelocityDetector()
    fixed, n = zupt.stance_minima(missed, energy, gyr, np.array([110, 220]), np.array([170, 280]),
                                  min_still_samples=zv.min_still_samples, stance_gyr_max_radps=zv.stance_gyr_max_radps)
    assert n == 1 and fixed[110:170].sum() == zv.min_still_samples
    tr = zupt.foot_trajectory(t, acc, gyr, fixed)
    seg = tr["segments"]
    d = np.linalg.norm(tr["pos"][seg[:, 1], :2] - tr["pos"][seg[:, 0], :2], axis=1)
    np.testing.assert_allclose(d, 1.4, rtol=0.02)
    # a stance whose least motion still turns fast is not forced
    fast = gyr.copy()
    fast[110:170] += 5.0
    assert zupt.stance_minima(missed, energy, fast, np.array([110]), np.array([170]), min_still_samples=3,
                              stance_gyr_max_radps=3.0)[1] == 0


def _rest_readings(directions: np.ndarray, bias: np.ndarray, n: int = 200, seed: int = 1) -> np.ndarray:
    """Still accelerometer samples (m/s²): gravity along each of ``directions`` (sensor frame) plus ``bias``."""
    rng = np.random.default_rng(seed)
    d = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    g = np.repeat(d, n // len(d), axis=0) * GRAVITY_MPS2
    return g + bias + rng.normal(0, 0.02, g.shape)


def test_rest_bias_from_one_resting_orientation_is_its_gravity_component():
    bias = np.array([0.2, -0.1, 0.45])
    flat = np.array([[0.5, 0.0, 0.87]])  # a foot that only ever rests flat, sensor pitched 30°
    acc = _rest_readings(flat, bias)
    b = zupt.rest_acc_bias(acc, np.ones(len(acc), bool))
    u = flat[0] / np.linalg.norm(flat[0])
    np.testing.assert_allclose(b, (bias @ u) * u, atol=0.01)  # the rest is unobservable and left at zero


def test_rest_bias_from_several_orientations_is_the_whole_bias():
    bias = np.array([0.2, -0.1, 0.45])
    acc = _rest_readings(Rotation.random(12, random_state=3).apply([0.0, 0.0, 1.0]), bias, n=1200)
    b = zupt.rest_acc_bias(acc, np.ones(len(acc), bool))
    np.testing.assert_allclose(b, bias, atol=0.02)
    assert not zupt.rest_acc_bias(acc, np.arange(len(acc)) < 40).any()  # too few still samples: no estimate
