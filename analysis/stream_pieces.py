"""The pieces of a streamed analysis: the moving windows of a recording, cut into pieces of bounded length,
each analysed as the whole recording is (strides, orientation, ankle angles, per-stride angle metrics).

Where: the survey's activity windows (analysis.stream_survey) in which any leg sensor's mean gyroscope
norm exceeds ``moving_radps``, widened by ``pad_s`` and merged, cut into cores of at most ``piece_s``.
Each core is read ``overlap_s`` wider on both sides, so that the detectors, the orientation filter (its
3 s accelerometer low-pass) and the 30 s heading median see the context they see in the whole
recording; a stride belongs to the piece whose core holds its start, so none is lost or counted twice.

Orientation uses the whole recording's gyroscope bias knots; angles use the calibration's mountings and
neutral quaternion (analysis.stream_calibration) on the whole recording's time grid. Only the cores'
angles are kept (float32): the angle table of a streamed analysis covers the moving windows, not rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analysis import columns as col
from analysis.angles import angles_from_calibration
from analysis.calibration import Calibration, SensorCalibration
from analysis.calibration.bias import subtract_bias
from analysis.lower_back import PLACEMENT as LOWER_BACK
from analysis.lower_back.columns import add_lower_back_columns
from analysis.orientation import contiguous_segments, filter_blocks, segment_orientation
from analysis.parallel import in_parallel
from analysis.sample_source import SampleSource
from analysis.stream_calibration import StreamCalibration, merge_intervals
from analysis.stream_survey import Survey
from analysis.strides import StrideDetector, join_angle_metrics
from analysis.windows import runs


@dataclass
class Piece:
    """One piece: its core [core_start_s, core_end_s) and the span read, both in s."""

    core_start_s: float
    core_end_s: float
    read_start_s: float
    read_end_s: float


def pieces(survey: Survey, legs: list[str], *, moving_radps: float, pad_s: float, piece_s: float,
           overlap_s: float) -> list[Piece]:
    """The pieces of the recording (module docstring)."""
    edges = survey.window_edges_s
    moving = np.zeros(max(len(edges) - 1, 0), bool)
    for p in legs:
        s = survey.sensors[p]
        with np.errstate(invalid="ignore", divide="ignore"):
            moving |= s.gyr_norm_sum / s.count > moving_radps
    r = runs(moving)
    windows = merge_intervals(np.column_stack([edges[r[:, 0]] - pad_s, edges[r[:, 1]] + pad_s])) if len(r) \
        else np.zeros((0, 2))
    out = []
    for a, b in windows:
        n = max(1, int(np.ceil((b - a) / piece_s)))
        cuts = a + (b - a) * np.arange(n + 1) / n
        out += [Piece(c0, c1, c0 - overlap_s, c1 + overlap_s) for c0, c1 in zip(cuts[:-1], cuts[1:])]
    return out


def _sensor(source: SampleSource, survey: Survey, df: pd.DataFrame, placement: str, recorded: str,
            cal: StreamCalibration) -> SensorCalibration:
    """One analysed sensor of a piece: its orientation from the bias-corrected samples, the calibration's mounting."""
    t = df[col.TIME].to_numpy(float)
    acc = np.array(df[list(col.ACC)].to_numpy(np.float32), dtype=np.float32)
    gyr = np.array(df[list(col.GYR)].to_numpy(np.float32), dtype=np.float32)
    s = survey.sensors[recorded]
    subtract_bias(t, gyr, s.bias_knots_s, s.bias_knots_radps)  # as analysis.calibration.sensor.prepare
    segments = contiguous_segments(t)
    m = cal.sensors[placement]
    none = np.zeros(len(t), bool)  # rest and walking masks: the angles do not use them
    return SensorCalibration(placement, recorded, t, s.rate_hz, segments, filter_blocks(t, segments), none, none,
                             s.bias_knots_s, s.bias_knots_radps, segment_orientation(t, gyr, acc, cal.method),
                             m.mountings, m.upside_down, m.flexion_axis_sign_evidence)


def analyse_piece(source: SampleSource, survey: Survey, piece: Piece, legs: list[str],
                  cal: StreamCalibration | None, detector: StrideDetector,
                  grid_of: Callable[[float, float], np.ndarray]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Strides starting in the piece's core with their angle metrics, and the core's angle columns."""
    raw = {p: source.read(p, piece.read_start_s, piece.read_end_s) for p in legs}
    raw = {p: df for p, df in raw.items() if len(df) >= 10}
    if not raw:
        return pd.DataFrame(), {}
    strides = detector.clone().detect(raw).strides_
    start = strides["start_s"].to_numpy(float)
    strides = strides[(start >= piece.core_start_s) & (start < piece.core_end_s)]
    angles: dict[str, np.ndarray] = {}
    if cal is not None and cal.sensors:
        mine = [p for p, m in cal.sensors.items() if m.source in raw]
        sensors = dict(zip(mine, in_parallel(
            lambda p: _sensor(source, survey, raw[cal.sensors[p].source], p, cal.sensors[p].source, cal), mine)))
        if sensors:
            times = [s.time_s for s in sensors.values()]
            own = all(len(s.segments) == 1 and np.array_equal(s.time_s, times[0]) for s in sensors.values())
            grid = times[0] if own else grid_of(piece.read_start_s, piece.read_end_s)
            table = angles_from_calibration(Calibration(sensors, cal.neutral_s, [], cal.method), grid=grid,
                                            neutral_quaternions=cal.neutral_quaternions)
            for side in ("left", "right"):
                if f"{side}_dorsiflexion_deg" in table.columns or f"{side}_eversion_deg" in table.columns:
                    strides = join_angle_metrics(strides, table, side)
            t = table[col.TIME].to_numpy(float)
            core = (t >= piece.core_start_s) & (t < piece.core_end_s)
            angles = {c: table[c].to_numpy()[core] for c in table.columns}
    return strides, angles


def join_columns(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One angle table from the pieces' columns (NaN, or True for ``*_gap``, where a piece lacks one),
    built a column at a time and emptying ``parts`` as it goes, so the peak is one table, not two."""
    names = list(dict.fromkeys(c for p in parts for c in p))
    rows = [len(p[col.TIME]) for p in parts]
    table = {}
    for c in names:
        gap = c.endswith("_gap")
        table[c] = np.concatenate([p.pop(c) if c in p else np.full(k, gap if gap else np.nan, bool if gap else np.float32)
                                   for p, k in zip(parts, rows)])
    return pd.DataFrame(table, copy=False)


def lower_back_columns(source: SampleSource, strides: pd.DataFrame, parts: list[Piece],
                       walking: np.ndarray | None) -> pd.DataFrame:
    """analysis.lower_back.columns.add_lower_back_columns piece by piece: the lower back's samples of each
    piece, its frame aligned on the walking bouts ((k, 2) s) that piece overlaps."""
    if LOWER_BACK not in source.placements or len(strides) == 0:
        return add_lower_back_columns(strides, {}, walking=walking)
    start = strides["start_s"].to_numpy(float)
    done = []
    for piece in parts:
        mine = strides[(start >= piece.core_start_s) & (start < piece.core_end_s)]
        if len(mine) == 0:
            continue
        bouts = walking[(walking[:, 1] > piece.read_start_s) & (walking[:, 0] < piece.read_end_s)] \
            if walking is not None else None
        lb = source.read(LOWER_BACK, piece.read_start_s, piece.read_end_s)
        done.append(add_lower_back_columns(mine, {LOWER_BACK: lb}, walking=bouts))
    return pd.concat(done).loc[strides.index] if done else add_lower_back_columns(strides, {}, walking=walking)
