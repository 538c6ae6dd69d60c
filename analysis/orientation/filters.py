"""Orientation filters selectable by name: compiled kernels (default path), ahrs reference loops, VQF.

All functions take one contiguous segment of sensor-frame samples, gyroscope (n, 3) rad/s and
accelerometer (n, 3) m/s², at ``rate_hz``, and return (n, 4) scalar-first quaternions mapping sensor
vectors into a world frame with z up and arbitrary heading (analysis.conventions). Only the 6D
(gyroscope + accelerometer) variants are offered: magnetometers are disturbed near floors and
furniture, and ankle angles need only the relative heading of shin and foot (see analysis.angles).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from analysis.errors import UserError

from . import kernels

FILTERS: tuple[str, ...] = ("smoothed", "vqf", "madgwick", "mahony", "ekf", "complementary")
#: filter used when none is named: ``smoothed``, offline VQF's inclination correction (zero-phase
#: low-passed accelerometer in the gyroscope-integrated frame) with the gyroscope bias from the calibration
#: instead of two real-time VQF passes. Measured with benchmarks/bench_angles.py (simulated walking, random
#: mounting, noise, bias, dropped samples; 6 x 5-min walks): RMS dorsiflexion median / max 0.42 / 0.48°,
#: the same as offline VQF (within 0.03° per stride), at about 6x its speed, which a 16-hour 4-sensor day
#: needs (offline VQF alone took 20-90 s of analyze's 60 s, depending on the machine's load). The ahrs
#: filters (fixed gain, no smoothing) stay for comparison and speed: ekf 2.2 / 2.4°, mahony 2.8 / 3.2°,
#: madgwick 2.5 / 9.9°, complementary 37 / 50°. Full tables: docs/orientation.md.
DEFAULT_FILTER = "smoothed"

#: parameters each filter accepts, with their defaults (the ahrs 0.4 defaults; names as in ahrs)
PARAMETERS: dict[str, dict[str, Any]] = {
    "madgwick": {"gain": 0.033, "q0": None},
    "mahony": {"k_P": 1.0, "k_I": 0.3, "q0": None, "b0": None},
    "ekf": {"var_gyr": 0.3 ** 2, "var_acc": 0.5 ** 2, "q0": None, "P": None},
    "complementary": {"gain": 0.9, "w0": None},
    "vqf": {},  # any vqf.VQFParams field, e.g. tauAcc, restBiasEstEnabled; see the vqf documentation
    "smoothed": {"tauAcc": 3.0},  # time constant (s) of the accelerometer low-pass, as VQF's tauAcc
}


def _check_inputs(gyr: np.ndarray, acc: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    # float32 and float64 views are kept: no copy of a day's samples (see orientation for the kernels)
    gyr, acc = np.asarray(gyr), np.asarray(acc)
    if gyr.dtype not in (np.float32, np.float64) or acc.dtype != gyr.dtype:
        gyr, acc = gyr.astype(float), acc.astype(float)
    if gyr.ndim != 2 or gyr.shape[1] != 3 or acc.shape != gyr.shape:
        raise UserError(f"orientation: gyroscope {gyr.shape} and accelerometer {acc.shape} must both be (n, 3)")
    if len(gyr) < 1:
        raise UserError("orientation: no samples")
    if not np.isfinite(gyr).all() or not np.isfinite(acc).all():
        raise UserError("orientation: samples contain NaN or infinite values")
    if not rate_hz > 0:
        raise UserError(f"orientation: sample rate must be positive, got {rate_hz}")
    return gyr, acc


def _resolve(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method not in FILTERS:
        raise UserError(f"unknown orientation filter {method!r}; choose one of {', '.join(FILTERS)}")
    if method == "vqf":
        return dict(params)
    unknown = set(params) - set(PARAMETERS[method])
    if unknown:
        raise UserError(f"orientation filter {method!r} has no option {', '.join(sorted(unknown))}; "
                        f"options: {', '.join(PARAMETERS[method])}")
    return {**PARAMETERS[method], **params}


def _initial_quaternion(q0: Any, acc: np.ndarray) -> np.ndarray:
    if q0 is None:
        return kernels.acc_to_quaternion(acc[0, 0], acc[0, 1], acc[0, 2])
    q0 = np.asarray(q0, dtype=float)
    if q0.shape != (4,) or not np.isclose(np.linalg.norm(q0), 1.0):
        raise UserError(f"orientation option q0 must be a unit quaternion [w, x, y, z], got {q0.tolist()}")
    return q0


def orientation(gyr: np.ndarray, acc: np.ndarray, rate_hz: float, method: str = DEFAULT_FILTER,
                **params: Any) -> np.ndarray:
    """Sensor-to-world quaternions (n, 4) of one contiguous segment with the fast path of ``method``
    (float32 for 'smoothed', whose 6e-8 rounding is 1e-5° of angle; float64 for the others)."""
    gyr, acc = _check_inputs(gyr, acc, rate_hz)
    p = _resolve(method, params)
    dt = 1.0 / rate_hz
    if method == "smoothed":  # computes in float64 from float32 or float64 input, returns float32
        return _smoothed(gyr, acc, dt, float(p["tauAcc"]))
    # the ahrs-equivalent kernels and VQF: float64, contiguous (as ahrs computes)
    gyr, acc = np.ascontiguousarray(gyr, dtype=float), np.ascontiguousarray(acc, dtype=float)
    if method == "vqf":
        return _vqf(gyr, acc, dt, p)
    if method == "madgwick":
        return kernels.madgwick_imu(gyr, acc, dt, float(p["gain"]), _initial_quaternion(p["q0"], acc))
    if method == "mahony":
        b0 = np.zeros(3) if p["b0"] is None else np.asarray(p["b0"], dtype=float)
        return kernels.mahony_imu(gyr, acc, dt, float(p["k_P"]), float(p["k_I"]),
                                  _initial_quaternion(p["q0"], acc), b0)
    if method == "ekf":
        p0 = np.identity(4) if p["P"] is None else np.asarray(p["P"], dtype=float)
        return kernels.ekf_imu(gyr, acc, dt, float(p["var_gyr"]), float(p["var_acc"]),
                               _initial_quaternion(p["q0"], acc), p0)
    w0 = (kernels.tilt_angles_from_acc(acc[0, 0], acc[0, 1], acc[0, 2]) if p["w0"] is None
          else np.asarray(p["w0"], dtype=float))
    return kernels.complementary_imu(gyr, acc, dt, float(p["gain"]), w0)


def _vqf(gyr: np.ndarray, acc: np.ndarray, dt: float, params: dict[str, Any]) -> np.ndarray:
    from vqf import offlineVQF

    try:
        # offline (forward-backward) variant: the whole recording is available, so use future samples too
        result = offlineVQF(np.ascontiguousarray(gyr), np.ascontiguousarray(acc), None, dt, params)
    except (TypeError, ValueError, KeyError) as exc:
        raise UserError(f"orientation filter 'vqf': invalid options {params}: {exc}") from exc
    return np.asarray(result["quat6D"])


def _smoothed(gyr: np.ndarray, acc: np.ndarray, dt: float, tau_s: float,
              breaks: np.ndarray | None = None) -> np.ndarray:
    """'smoothed' over one segment; the accelerometer low-pass restarts at the sample indices ``breaks``
    (see kernels.smoothed_strapdown) and each run starts from the mean of its first ``tau_s`` seconds."""
    from scipy.signal import butter, lfilter_zi

    if not tau_s > 0:
        raise UserError(f"orientation filter 'smoothed': tauAcc must be positive, got {tau_s}")
    # second-order Butterworth low-pass at VQF's cutoff for a time constant tau: sqrt(2) / (2 pi tau) Hz
    b, a = butter(2, min(np.sqrt(2.0) / (2.0 * np.pi * tau_s), 0.45 / dt), fs=1.0 / dt)
    inner = np.zeros(0, dtype=np.int64) if breaks is None else np.asarray(breaks, dtype=np.int64)
    starts = np.unique(np.concatenate([[0], inner[(inner > 0) & (inner < len(gyr))], [len(gyr)]]))
    return kernels.smoothed_strapdown(gyr, acc, dt, b, a, lfilter_zi(b, a), starts,
                                      max(1, int(round(tau_s / dt))))


def orientation_ahrs(gyr: np.ndarray, acc: np.ndarray, rate_hz: float, method: str,
                     **params: Any) -> np.ndarray:
    """Reference result (n, 4) from the ahrs package's own per-sample loop (slow; for checks and benchmarks)."""
    import ahrs.filters as af

    gyr, acc = _check_inputs(gyr, acc, rate_hz)
    gyr, acc = gyr.astype(np.float64, copy=False), acc.astype(np.float64, copy=False)  # ahrs rejects float32
    if method == "vqf":
        raise UserError("orientation_ahrs: 'vqf' is not an ahrs filter")
    p = _resolve(method, params)
    make: dict[str, Callable[[], Any]] = {
        "madgwick": lambda: af.Madgwick(gyr=gyr, acc=acc, frequency=rate_hz, gain=p["gain"], q0=p["q0"]),
        "mahony": lambda: af.Mahony(gyr=gyr, acc=acc, frequency=rate_hz, k_P=p["k_P"], k_I=p["k_I"],
                                    q0=p["q0"], b0=p["b0"]),
        # frame 'NED' without magnetometer has reference [0, 0, 1] = the specific force at rest: world z up
        "ekf": lambda: af.EKF(gyr=gyr, acc=acc, frequency=rate_hz, frame="NED", magnetic_ref=0.0,
                              noises=[p["var_gyr"], p["var_acc"], 0.8 ** 2], q0=p["q0"],
                              P=np.identity(4) if p["P"] is None else p["P"]),
        "complementary": lambda: af.Complementary(gyr=gyr, acc=acc, frequency=rate_hz, gain=p["gain"],
                                                  w0=p["w0"]),
    }
    return np.asarray(make[method]().Q)
