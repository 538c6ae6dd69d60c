"""Whole-day quaternion kernels: the same numbers as the matrix/scipy definitions they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation, Slerp

from analysis.windows import moving
from analysis.conventions import ankle_angles, foot_ground_angles, shin_inclination
from analysis.orientation import quaternion as quat


def random_quats(n: int, seed: int) -> np.ndarray:
    return Rotation.random(n, random_state=seed).as_quat()[:, [3, 0, 1, 2]]


def test_ankle_angles_from_quaternions_equal_the_matrix_definition() -> None:
    q_shin, q_foot = random_quats(500, 1), random_quats(500, 2)
    q_neutral = random_quats(1, 3)[0]
    turn = np.random.default_rng(4).uniform(-3, 3, 500)
    r_turn = Rotation.from_rotvec(np.outer(-turn, [0.0, 0.0, 1.0])).as_matrix()
    r_foot = np.einsum("nij,njk->nik", r_turn, quat.to_matrix(q_foot))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        expected = ankle_angles(quat.to_matrix(q_shin), r_foot, side, quat.to_matrix(q_neutral[None])[0])
        got = quat.ankle_angles_deg(q_shin, q_foot, turn, q_neutral, sign)
        # the intrinsic Y angle wraps at ±180°; compare on the circle
        diff = (got - expected + 180.0) % 360.0 - 180.0
        assert np.abs(diff).max() < 5e-5  # float32 output


def test_tilt_from_quaternions_equals_the_matrix_definition() -> None:
    q = random_quats(500, 5)
    r = quat.to_matrix(q)
    tilt = quat.tilt_deg(q)
    assert np.abs(-tilt[:, 0] - foot_ground_angles(r, "left")[:, 0]).max() < 5e-5  # float32 output
    assert np.abs(-tilt[:, 1] - foot_ground_angles(r, "right")[:, 1]).max() < 5e-5
    assert np.abs(tilt[:, 0] - shin_inclination(r)).max() < 5e-5
    assert np.isnan(quat.tilt_deg(np.full((2, 4), np.nan))).all()  # NaN is not clipped into ±90°


def test_on_grid_is_slerp_within_segments_and_nan_across_gaps() -> None:
    t = np.concatenate([np.arange(0, 50) * 0.01, 0.8 + np.arange(0, 30) * 0.01])  # a 0.31 s gap
    q = random_quats(len(t), 6)
    # a smooth motion, so consecutive samples are near (as at 100 Hz)
    rotvec = np.cumsum(np.random.default_rng(7).normal(0, 0.05, (len(t), 3)), axis=0)
    q = Rotation.from_rotvec(rotvec).as_quat()[:, [3, 0, 1, 2]]
    joined = np.ones(len(t), dtype=bool)
    joined[[49, 79]] = False
    mount = Rotation.random(random_state=8)
    epoch = mount.as_quat()[[3, 0, 1, 2]][None]
    grid = np.arange(0, 1.1, 0.0037)
    got = quat.on_grid(t, q, joined, np.zeros(len(t), dtype=np.int64), epoch, grid, 1e-9)
    seg = Rotation.from_quat(q[:, [1, 2, 3, 0]]) * mount
    for a, b in ((0, 50), (50, 80)):
        inside = (grid >= t[a]) & (grid <= t[b - 1])
        expected = Slerp(t[a:b], seg[a:b])(grid[inside])
        diff = (Rotation.from_quat(got[inside][:, [1, 2, 3, 0]]) * expected.inv()).magnitude()
        assert diff.max() < 1e-6  # float32 output
    outside = ~(((grid >= t[0]) & (grid <= t[49])) | ((grid >= t[50]) & (grid <= t[79])))
    assert outside.any() and np.isnan(got[outside]).all()


def test_moving_std_and_mean_equal_pandas_rolling_within_segments() -> None:
    rng = np.random.default_rng(9)
    values = rng.normal(9.8, 0.3, (400, 3))
    segments = [(0, 7), (7, 250), (250, 400)]
    for window in (4, 5, 50):
        for how in ("std", "mean"):
            expected = np.full(values.shape, np.nan)
            for a, b in segments:
                frame = pd.DataFrame(values[a:b]).rolling(window, center=True, min_periods=max(2, window // 2))
                expected[a:b] = (frame.std() if how == "std" else frame.mean()).to_numpy()
            got = moving(values, window, segments, how)
            assert np.array_equal(np.isnan(got), np.isnan(expected))
            assert np.nanmax(np.abs(got - expected)) < 1e-9


def test_gap_cubic_equals_scipy_not_a_knot_spline() -> None:
    from scipy.interpolate import CubicSpline

    from analysis.orientation.segments import not_a_knot_cubic

    rng = np.random.default_rng(10)
    for n in range(2, 9):
        x = np.cumsum(rng.uniform(0.005, 0.02, n))
        y = rng.normal(size=(n, 6))
        xq = np.sort(rng.uniform(x[0], x[-1], 15))
        assert np.abs(not_a_knot_cubic(x, y, xq) - CubicSpline(x, y)(xq)).max() < 1e-8, n
