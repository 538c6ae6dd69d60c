"""The compiled kernels compute the same orientation as the ahrs per-sample loops (within 1e-6 rad).

The real foot recordings come from ../shared/datasets (the ``ipol_feet`` fixture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from analysis.columns import ACC, GYR
from analysis.ipol_validation import load_foot
from analysis.orientation import orientation, orientation_ahrs
from analysis.orientation.quaternion import angle_between

TOLERANCE_RAD = 1e-12  # README: equal to ahrs within 1.7e-13 rad on simulated and real inputs
AHRS_FILTERS = ("madgwick", "mahony", "ekf", "complementary")


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gait-like gyroscope (rad/s) and accelerometer (m/s²) signals in an arbitrary sensor frame."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 100.0
    phase = 2 * np.pi * 0.9 * t
    gyr = np.column_stack([0.5 * np.sin(phase + 1), 5.0 * np.sin(phase) ** 3, 0.7 * np.cos(2 * phase)])
    acc = np.column_stack([3.0 * np.sin(2 * phase), np.cos(phase), 9.8 + 4.0 * np.sin(phase) ** 2])
    r = Rotation.from_rotvec(rng.normal(size=3)).as_matrix()  # random mounting of the sensor
    return gyr @ r.T + rng.normal(0, 0.02, (n, 3)) + 0.02, acc @ r.T + rng.normal(0, 0.1, (n, 3))


def ipol_trial(directory: Path, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gyroscope (rad/s) and accelerometer (m/s²) of the first ``n`` rows of one IPOL foot file ('1-1_lf')."""
    trial, foot = name.split("_")
    data = load_foot(directory, trial, foot).iloc[:n]
    return data[list(GYR)].to_numpy(float), data[list(ACC)].to_numpy(float)


@pytest.mark.parametrize("method", AHRS_FILTERS)
def test_kernel_equals_ahrs_on_simulated_motion(method: str) -> None:
    gyr, acc = synthetic(1500, seed=3)
    fast = orientation(gyr, acc, 100.0, method)
    reference = orientation_ahrs(gyr, acc, 100.0, method)
    assert np.isfinite(fast).all()
    assert angle_between(fast, reference).max() < TOLERANCE_RAD


@pytest.mark.parametrize("method", AHRS_FILTERS)
@pytest.mark.parametrize("trial", ["1-1_lf", "7-2_rf"])
def test_kernel_equals_ahrs_on_real_foot_recordings(method: str, trial: str, ipol_feet: Path) -> None:
    gyr, acc = ipol_trial(ipol_feet, trial, 1200)
    fast = orientation(gyr, acc, 100.0, method)
    reference = orientation_ahrs(gyr, acc, 100.0, method)
    assert angle_between(fast, reference).max() < TOLERANCE_RAD


@pytest.mark.parametrize("method,params", [
    ("madgwick", {"gain": 0.1, "q0": [np.cos(0.2), np.sin(0.2), 0.0, 0.0]}),
    ("mahony", {"k_P": 0.5, "k_I": 0.05, "b0": [0.01, -0.02, 0.0]}),
    ("ekf", {"var_gyr": 0.01, "var_acc": 1.0, "P": 0.1 * np.identity(4)}),
    ("complementary", {"gain": 0.98, "w0": [0.1, -0.2, 0.3]}),
])
def test_kernel_equals_ahrs_with_non_default_parameters(method: str, params: dict) -> None:
    gyr, acc = synthetic(800, seed=5)
    fast = orientation(gyr, acc, 50.0, method, **params)
    reference = orientation_ahrs(gyr, acc, 50.0, method, **params)
    assert angle_between(fast, reference).max() < TOLERANCE_RAD


def test_zero_gyroscope_samples_keep_orientation_like_ahrs() -> None:
    gyr, acc = synthetic(300, seed=7)
    gyr[100:150] = 0.0
    for method in ("madgwick", "mahony"):
        assert angle_between(orientation(gyr, acc, 100.0, method),
                             orientation_ahrs(gyr, acc, 100.0, method)).max() < TOLERANCE_RAD


def tilt_between_deg(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Angle (deg) between the world-z axes seen by two orientations (heading ignored)."""
    z1 = Rotation.from_quat(q1[:, [1, 2, 3, 0]]).inv().apply([0.0, 0.0, 1.0])
    z2 = Rotation.from_quat(q2[:, [1, 2, 3, 0]]).inv().apply([0.0, 0.0, 1.0])
    return np.degrees(np.arccos(np.clip((z1 * z2).sum(axis=1), -1.0, 1.0)))


@pytest.mark.parametrize("source", ["synthetic", "7-2_rf"])
def test_smoothed_equals_offline_vqf_without_bias_estimation(source: str, request: pytest.FixtureRequest) -> None:
    """'smoothed' is offline VQF's inclination step with the bias given (here zero): the same tilt, once
    the low-pass has forgotten its different start (VQF averages the first samples; ours starts from the
    first one): after 15 tauAcc."""
    from vqf import offlineVQF

    if source == "synthetic":
        gyr, acc = synthetic(6000, seed=9)
    else:  # only the real recording needs ../shared
        gyr, acc = ipol_trial(request.getfixturevalue("ipol_feet"), source, 6000)
    gyr, acc = np.ascontiguousarray(gyr), np.ascontiguousarray(acc)
    ours = orientation(gyr, acc, 100.0, "smoothed", tauAcc=2.0)
    theirs = np.asarray(offlineVQF(gyr, acc, None, 0.01, {"tauAcc": 2.0, "motionBiasEstEnabled": False,
                                                           "restBiasEstEnabled": False})["quat6D"])
    assert tilt_between_deg(ours, theirs)[3000:].max() < 1e-4
    assert np.isfinite(ours).all()
