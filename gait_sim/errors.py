"""Sensor errors applied to a copy of ideal signals: noise, biases, bias drift, saturation, drops, clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import SensorErrors


@dataclass
class Corrupted:
    """One sensor's signals with errors; rows are all samples, ``keep`` marks those not dropped."""

    acc: np.ndarray
    gyr: np.ndarray
    mag: np.ndarray
    keep: np.ndarray  # (n,) bool
    sensor_time_s: np.ndarray  # (n,) sensor clock at each sample
    gyr_bias_radps: np.ndarray  # (n, 3) true gyro bias (constant + drift), rad/s


def _noise(rng: np.random.Generator, shape: tuple[int, ...], sd: float, dtype) -> np.ndarray | float:
    return rng.standard_normal(shape, dtype=np.float32).astype(dtype) * sd if sd > 0 else 0.0


def _gaps(rng: np.random.Generator, n: int, fraction: float, mean_len: float) -> np.ndarray:
    """Boolean keep mask with gaps of geometric length covering about ``fraction`` of the samples."""
    keep = np.ones(n, bool)
    if fraction <= 0 or n == 0:
        return keep
    n_gaps = rng.poisson(n * fraction / mean_len)
    starts = rng.integers(0, n, n_gaps)
    lengths = rng.geometric(1.0 / mean_len, n_gaps)
    cover = np.zeros(n + 1, np.int32)
    np.add.at(cover, starts, 1)
    np.add.at(cover, np.minimum(starts + lengths, n), -1)
    keep[np.cumsum(cover[:-1]) > 0] = False
    return keep


def apply(acc: np.ndarray, gyr: np.ndarray, mag: np.ndarray, t: np.ndarray, e: SensorErrors,
          rng: np.random.Generator) -> Corrupted:
    """Errors of one sensor (its own random stream). Inputs are left untouched."""
    n, dt = len(t), acc.dtype
    bias_drift = np.zeros((n, 3))
    if e.gyr_bias_drift_radps_per_sqrt_s > 0 and n > 1:
        # random walk sampled every second and interpolated: a slow drift costs little memory
        knots = np.arange(0.0, t[-1] - t[0] + 2.0)
        steps = rng.standard_normal((len(knots), 3)) * e.gyr_bias_drift_radps_per_sqrt_s
        walk = np.cumsum(steps, axis=0) - steps[0]
        bias_drift = np.column_stack([np.interp(t - t[0], knots, walk[:, k]) for k in range(3)])
    gyr_bias = rng.normal(0.0, e.gyr_bias_radps, 3) + bias_drift if e.gyr_bias_radps > 0 else bias_drift
    acc_bias = rng.normal(0.0, e.acc_bias_mps2, 3) if e.acc_bias_mps2 > 0 else np.zeros(3)
    out_acc = np.clip(acc + acc_bias.astype(dt) + _noise(rng, acc.shape, e.acc_noise_mps2, dt),
                      -e.acc_range_mps2, e.acc_range_mps2).astype(dt, copy=False)
    out_gyr = np.clip(gyr + gyr_bias.astype(dt) + _noise(rng, gyr.shape, e.gyr_noise_radps, dt),
                      -e.gyr_range_radps, e.gyr_range_radps).astype(dt, copy=False)
    out_mag = (mag + _noise(rng, mag.shape, e.mag_noise_ut, dt)).astype(dt, copy=False)
    keep = _gaps(rng, n, e.drop_fraction, e.drop_gap_mean_samples)
    offset = rng.uniform(0.0, e.clock_offset_max_s) if e.clock_offset_max_s > 0 else 0.0
    drift = rng.normal(0.0, e.clock_drift_ppm) * 1e-6 if e.clock_drift_ppm > 0 else 0.0
    return Corrupted(out_acc, out_gyr, out_mag, keep, offset + t * (1.0 + drift),
                     np.broadcast_to(gyr_bias, (n, 3)).astype(dt))
