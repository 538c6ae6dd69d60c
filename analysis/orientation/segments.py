"""Gaps in a sensor's samples: split into contiguous segments, never integrate across a gap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from imu_logger.errors import UserError

from .. import columns as col
from .filters import DEFAULT_FILTER, orientation

#: a time step longer than this many nominal periods is a gap (lost packets, reconnect)
GAP_FACTOR = 1.5


def nominal_rate_hz(time_s: np.ndarray) -> float:
    """Sample rate (Hz) from the median time step."""
    dt = np.diff(np.asarray(time_s, dtype=float))
    if len(dt) == 0 or not np.median(dt) > 0:
        raise UserError("cannot find a sample rate: fewer than two samples or time not increasing")
    return float(1.0 / np.median(dt))


def contiguous_segments(time_s: np.ndarray, gap_factor: float = GAP_FACTOR) -> list[tuple[int, int]]:
    """[start, stop) sample index pairs of runs without a time jump longer than ``gap_factor`` periods."""
    t = np.asarray(time_s, dtype=float)
    if len(t) < 2:
        return [(0, len(t))] if len(t) else []
    dt = np.diff(t)
    if (dt <= 0).any():
        raise UserError(f"time_s must increase strictly; first bad step at sample {int(np.argmax(dt <= 0)) + 1}")
    breaks = np.flatnonzero(dt > gap_factor * np.median(dt)) + 1
    edges = np.concatenate([[0], breaks, [len(t)]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def segment_orientation(samples: pd.DataFrame, method: str = DEFAULT_FILTER, gyr_bias_radps: np.ndarray | None = None,
                        **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """Quaternions (n, 4) and segment index (n,) of one sensor's samples, filtered per contiguous segment.

    ``gyr_bias_radps`` (n, 3) or (3,) is subtracted from the gyroscope first. Segments shorter than two
    samples get NaN orientations.
    """
    t = samples[col.TIME].to_numpy(float)
    gyr = samples[list(col.GYR)].to_numpy(float)
    acc = samples[list(col.ACC)].to_numpy(float)
    if gyr_bias_radps is not None:
        gyr = gyr - gyr_bias_radps
    rate = nominal_rate_hz(t)
    quats = np.full((len(t), 4), np.nan)
    seg_id = np.empty(len(t), dtype=int)
    for k, (a, b) in enumerate(contiguous_segments(t)):
        seg_id[a:b] = k
        if b - a >= 2:
            quats[a:b] = orientation(gyr[a:b], acc[a:b], rate, method, **params)
    return quats, seg_id
