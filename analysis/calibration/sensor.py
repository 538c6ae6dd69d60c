"""One sensor's working data during calibration: checked samples, rest and walking periods, bias-corrected
gyroscope, and its orientation from the chosen filter (the filter dispatch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import columns as col
from analysis.errors import UserError
from analysis.orientation import contiguous_segments, nominal_rate_hz, segment_orientation
from analysis.stillness import rest_periods

from .bias import bias_knots, subtract_bias
from .walking import detect_walking


@dataclass
class SensorData:
    """Working data of one sensor during calibration (``gyr`` is bias-corrected)."""

    source: str
    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray
    rate: float
    segments: list[tuple[int, int]]
    still: np.ndarray
    walking: np.ndarray
    bias_s: np.ndarray
    bias_radps: np.ndarray
    quats: np.ndarray | None = None


def prepare(source: str, df: pd.DataFrame) -> SensorData:
    missing = [c for c in col.SAMPLE_COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"sensor {source!r}: missing columns {', '.join(missing)}")
    if len(df) < 10:
        raise UserError(f"sensor {source!r}: only {len(df)} samples")
    t = df[col.TIME].to_numpy(float)
    # float32 working copies: a 16-hour sensor is 5.8 M samples; the filter computes in float64
    acc = np.array(df[list(col.ACC)].to_numpy(np.float32), dtype=np.float32)
    gyr = np.array(df[list(col.GYR)].to_numpy(np.float32), dtype=np.float32)
    if not (np.isfinite(t).all() and np.isfinite(acc).all() and np.isfinite(gyr).all()):
        raise UserError(f"sensor {source!r}: samples contain NaN or infinite values")
    try:
        segments = contiguous_segments(t)
        rate = nominal_rate_hz(t)
    except UserError as exc:
        raise UserError(f"sensor {source!r}: {exc}") from exc
    still = rest_periods(acc, gyr, rate, segments)
    walking = detect_walking(gyr, rate, segments)
    knots_s, knots = bias_knots(t, gyr, still)
    subtract_bias(t, gyr, knots_s, knots)  # every later step uses the corrected rates
    return SensorData(source, t, acc, gyr, rate, segments, still, walking, knots_s, knots)


def orientation_of(s: SensorData, method: str, params: dict) -> np.ndarray:
    return segment_orientation(s.t, s.gyr, s.acc, method, **params)
