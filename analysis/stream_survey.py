"""The survey of a streamed analysis: one pass over a recording in blocks of time, kept in compact form.

Per leg sensor: its rest periods and walking periods (the calibration's: analysis.stillness.rest_periods,
analysis.calibration.walking.detect_walking) as runs of global sample indices and times, its gyroscope
bias knots (analysis.calibration.bias.bias_knots' median of each rest period, over the same samples), and
per ``window_s`` window of the recording its mean accelerometer, mean gyroscope norm and first and last
sample time (what analysis.activity classifies). Per placement its holes (analysis.pipeline.time_holes)
and sample count. Nothing of it grows with the samples: runs, knots and one row per window.

Each block is read with ``margin_s`` of samples on both sides so that the moving windows (0.5 s rest,
2 s walking) and the minimum run lengths (1 s rest, 4 s walking) see what they would see in the whole
recording: a run that reaches the margin's end is longer than any minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis import columns as col
from analysis.calibration.bias import BIAS_MEDIAN_SAMPLES
from analysis.calibration.walking import detect_walking
from analysis.orientation import contiguous_segments
from analysis.parallel import in_parallel
from analysis.pipeline import time_holes
from analysis.sample_source import SampleSource
from analysis.stillness import rest_periods
from analysis.windows import runs


@dataclass
class Runs:
    """Runs of a sensor's samples: [start, stop) global sample indices and the times of their first and
    last sample (s)."""

    index: list[list[int]] = field(default_factory=list)
    time_s: list[list[float]] = field(default_factory=list)

    def add(self, a: int, b: int, t_first: float, t_last: float) -> None:
        """Append a run; one that starts where the last one stopped (a block edge) extends it."""
        if self.index and self.index[-1][1] == a:
            self.index[-1][1] = b
            self.time_s[-1][1] = t_last
        else:
            self.index.append([a, b])
            self.time_s.append([t_first, t_last])

    def times(self) -> np.ndarray:
        """(k, 2) [first, last] sample times (s)."""
        return np.array(self.time_s, dtype=float).reshape(-1, 2)


@dataclass
class SensorSurvey:
    """What the survey keeps of one placement."""

    rate_hz: float  # the source's until the survey ends, then 1 / the median of the blocks' median time steps
    samples: int = 0
    last_s: float = float("nan")
    holes: list[np.ndarray] = field(default_factory=list)
    rest: Runs = field(default_factory=Runs)
    walking: Runs = field(default_factory=Runs)
    bias_knots_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bias_knots_radps: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    # per activity window: sums of acc (k, 3) and gyro norm (k,), sample count, first and last time
    acc_sum: np.ndarray | None = None
    gyr_norm_sum: np.ndarray | None = None
    count: np.ndarray | None = None
    first_s: np.ndarray | None = None
    last_in_s: np.ndarray | None = None


@dataclass
class Survey:
    """The survey of a recording: per placement a SensorSurvey, the activity window edges (s) of the legs,
    and the span of every placement with samples (s)."""

    sensors: dict[str, SensorSurvey]
    window_edges_s: np.ndarray
    start_s: float
    end_s: float

    def holes(self) -> dict[str, np.ndarray]:
        """Per placement the (k, 2) holes as analysis.pipeline.sensor_holes gives them."""
        return {p: np.concatenate(s.holes).reshape(-1, 2) if s.holes else np.zeros((0, 2))
                for p, s in self.sensors.items()}


def activity_edges(source: SampleSource, legs: list[str], window_s: float) -> np.ndarray:
    """Window edges (s) of analysis.activity.classify_activity over the legs' span."""
    spans = [source.span_s(p) for p in legs]
    spans = [s for s in spans if np.isfinite(s[0])]
    if not spans:
        return np.zeros(0)
    t0, t1 = min(s[0] for s in spans), max(s[1] for s in spans)
    edges = t0 + window_s * np.arange(int(np.ceil((t1 - t0) / window_s)) + 1)
    return edges if len(edges) >= 2 else np.array([t0, t0 + window_s])


def survey(source: SampleSource, placements: list[str], legs: list[str], *, block_s: float, margin_s: float,
           window_s: float, missing_s: float) -> Survey:
    """One pass over ``source`` in blocks of ``block_s`` (each read ``margin_s`` wider on both sides)."""
    spans = [source.span_s(p) for p in placements]
    spans = [s for s in spans if np.isfinite(s[0])]
    t0 = min(s[0] for s in spans) if spans else 0.0
    t1 = max(s[1] for s in spans) if spans else 0.0
    edges = activity_edges(source, legs, window_s)
    out = {p: SensorSurvey(source.rate_hz(p)) for p in placements}
    for p in legs:
        k = max(len(edges) - 1, 0)
        s = out[p]
        s.acc_sum, s.gyr_norm_sum, s.count = np.zeros((k, 3)), np.zeros(k), np.zeros(k)
        s.first_s, s.last_in_s = np.full(k, np.nan), np.full(k, np.nan)
    steps: dict[str, list[float]] = {p: [] for p in placements}  # per placement the median time step of each block (s)
    n_blocks = max(1, int(np.ceil((t1 - t0) / block_s)))
    for b in range(n_blocks):
        c0 = t0 + b * block_s
        c1 = np.inf if b == n_blocks - 1 else t0 + (b + 1) * block_s
        def one(p: str) -> None:  # the placements of a block in parallel threads (compiled kernels release the GIL)
            df = source.read(p, c0 - margin_s if b else -np.inf, c1 + margin_s)
            t = df[col.TIME].to_numpy(np.float64)
            i0, i1 = np.searchsorted(t, [c0 if b else -np.inf, c1], side="left")
            s = out[p]
            if i1 > i0:
                s.holes.append(time_holes(np.concatenate([[s.last_s if s.samples else t0], t[i0:i1]]),
                                          np.nan, np.nan, missing_s))
            if p in legs and i1 > i0 and len(t) >= 2:
                _leg_block(s, t, df, i0, i1, edges)
            if i1 - i0 >= 2:
                steps[p].append(float(np.median(np.diff(t[i0:i1]))))
            if i1 > i0:
                s.samples += i1 - i0
                s.last_s = float(t[i1 - 1])
        in_parallel(one, placements)
    for p, s in out.items():
        if steps[p]:  # the sensor's own rate, as analysis.orientation.nominal_rate_hz over its samples
            s.rate_hz = float(1.0 / np.median(steps[p]))
        if not s.samples:
            s.holes = [np.array([[t0, t1]])]
        elif t1 - s.last_s >= missing_s:
            s.holes.append(np.array([[s.last_s, t1]]))
    return Survey(out, edges, t0, t1)


def _leg_block(s: SensorSurvey, t: np.ndarray, df, i0: int, i1: int, edges: np.ndarray) -> None:
    """Rest and walking runs and activity sums of one block's core rows [i0, i1)."""
    acc = np.array(df[list(col.ACC)].to_numpy(np.float32), dtype=np.float32)
    gyr = np.array(df[list(col.GYR)].to_numpy(np.float32), dtype=np.float32)
    segments = contiguous_segments(t)
    for mask, target in ((rest_periods(acc, gyr, s.rate_hz, segments), s.rest),
                         (detect_walking(gyr, s.rate_hz, segments), s.walking)):
        for a, b in runs(mask[i0:i1]):
            target.add(s.samples + int(a), s.samples + int(b), float(t[i0 + a]), float(t[i0 + b - 1]))
    k = len(edges) - 1
    tc = t[i0:i1]
    w = np.clip(np.searchsorted(edges, tc, side="right") - 1, 0, k - 1)
    a64 = acc[i0:i1].astype(float)
    for i in range(3):
        s.acc_sum[:, i] += np.bincount(w, a64[:, i], minlength=k)
    s.gyr_norm_sum += np.bincount(w, np.linalg.norm(gyr[i0:i1].astype(float), axis=1), minlength=k)
    s.count += np.bincount(w, minlength=k)
    first = np.flatnonzero(np.diff(np.concatenate([[-1], w])) != 0)
    fresh = np.isnan(s.first_s[w[first]])
    s.first_s[w[first][fresh]] = tc[first][fresh]
    last = np.append(first[1:] - 1, len(w) - 1)
    s.last_in_s[w[last]] = tc[last]


def bias_knots_of(source: SampleSource, placement: str, rest: Runs, chunk_s: float) -> tuple[np.ndarray, np.ndarray]:
    """analysis.calibration.bias.bias_knots over the rest runs of one sensor: the median of every
    ``(b - a) // BIAS_MEDIAN_SAMPLES``-th sample of each run, at its middle sample, read in chunks of
    ``chunk_s`` seconds (a night at rest is one run)."""
    mids, values = [], []
    for (a, b), (ta, tl) in zip(rest.index, rest.time_s):
        step = max(1, (b - a) // BIAS_MEDIAN_SAMPLES)
        mid = (a + b - 1) // 2
        picked, mid_t, seen, start, end = [], np.nan, 0, ta, np.nextafter(tl, np.inf)
        while start < end:  # the run's samples are the rows with ta <= time_s <= tl
            stop = min(start + chunk_s, end)
            df = source.read(placement, start, stop)
            idx = seen + np.arange(len(df))
            picked.append(df[list(col.GYR)].to_numpy(np.float32)[idx % step == 0])
            if seen <= mid - a < seen + len(df):
                mid_t = float(df[col.TIME].iloc[mid - a - seen])
            seen += len(df)
            start = stop
        mids.append(mid_t)
        values.append(np.median(np.concatenate(picked), axis=0))
    return np.array(mids, dtype=float), np.array(values, dtype=float).reshape(-1, 3)
