"""The whole analysis of one recording: strides, bouts, ankle angles, summary and quality flags.

``GaitPipeline(...).run(samples, gaps)`` takes per-placement sample DataFrames (analysis.columns;
sensor frame, any mounting) and the recording's gaps table (imu_logger.samples.decode.GAP_COLUMNS);
its ``results_`` is an analysis.results.GaitResults. ``analyze(samples, gaps)`` does both in one
call. Steps: strides and bouts (analysis.bouts.gait_tables), calibration and continuous ankle angles (analysis.calibration, analysis.angles), ankle metrics joined per stride
(analysis.strides.join_angle_metrics), quality flags from the recording's gaps and from sensors
missing part of the day, and the summary (analysis.summary).

Quality flags added here (besides those of analysis.strides):
``gap`` a gap of the recording (any sensor of that side) overlaps the stride;
``sensor_missing`` a sensor of that side has no samples during the stride (a hole longer than
``MISSING_S`` or outside its recording span): its metrics are NaN for that stride.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from analysis.algorithm import Algorithm
from analysis.bouts import gait_tables
from analysis.columns import STRIDE_COLUMNS, TIME
from analysis.conventions import LEG_PLACEMENTS
from analysis.errors import UserError
from analysis.footsteps import footsteps
from analysis.lower_back import PLACEMENT as LOWER_BACK
from analysis.lower_back.columns import add_lower_back_columns, lower_back_strides
from analysis.orientation.filters import DEFAULT_FILTER, FILTERS
from analysis.quality import add_flag, join_flags
from analysis.results import GaitResults
from analysis.stride_checks import StrideChecks
from analysis.strides import StrideDetector, join_angle_metrics
from analysis.summary import summarise
from analysis.walking_bouts import WalkingBouts

#: a hole in a sensor's samples longer than this counts as the sensor missing (s)
MISSING_S = 10.0
Progress = Callable[[float, str], None]


def sensor_holes(samples: dict[str, pd.DataFrame], min_s: float = MISSING_S) -> dict[str, np.ndarray]:
    """Per placement, (k, 2) [start, end] times with no samples for ``min_s`` or more, including a
    missing beginning or end relative to the span of all sensors."""
    spans = [(df[TIME].iloc[0], df[TIME].iloc[-1]) for df in samples.values() if len(df)]
    if not spans:
        return {p: np.zeros((0, 2)) for p in samples}
    t0, t1 = min(s[0] for s in spans), max(s[1] for s in spans)
    return {p: time_holes(df[TIME].to_numpy(float), t0, t1, min_s) for p, df in samples.items()}


def time_holes(t: np.ndarray, t0: float, t1: float, min_s: float) -> np.ndarray:
    """(k, 2) [start, end] times (s) of the steps of ``min_s`` or more in the sample times ``t``, with
    ``t0`` before the first and ``t1`` after the last sample (nan: that end is not checked)."""
    if len(t) == 0:
        return np.array([[t0, t1]])
    edges = np.concatenate([[t0] if np.isfinite(t0) else [], t, [t1] if np.isfinite(t1) else []])
    d = np.diff(edges)
    k = np.flatnonzero(d >= min_s)
    return np.column_stack([edges[k], edges[k + 1]])


def _overlap(intervals: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Boolean per [a[i], b[i]]: overlaps any of ``intervals`` (k, 2)."""
    out = np.zeros(len(a), bool)
    for s, e in intervals:  # per interval: gaps and holes are few compared with strides
        out |= (a < e) & (b > s)
    return out


def flag_strides(strides: pd.DataFrame, gaps: pd.DataFrame | None,
                 holes: dict[str, np.ndarray]) -> pd.DataFrame:
    """Add ``gap`` (recording gaps) and ``sensor_missing`` (holes) flags to the strides of each side."""
    out = strides.copy()
    if len(out) == 0:
        return out
    a, b = out["start_s"].to_numpy(float), out["end_s"].to_numpy(float)
    side = out["side"].to_numpy()
    gap = np.zeros(len(out), bool)
    missing = np.zeros(len(out), bool)
    for s in ("left", "right"):
        mine = side == s
        for seg in ("shin", "foot"):
            p = f"{s}_{seg}"
            if gaps is not None and len(gaps):
                g = gaps[gaps["placement"] == p]
                gap |= mine & _overlap(g[["start_s", "end_s"]].to_numpy(float), a, b)
            if p in holes:
                missing |= mine & _overlap(holes[p], a, b)
    already = out["quality"].astype(str).str.contains("gap").to_numpy()
    out["quality"] = add_flag(out["quality"], gap & ~already, "gap")
    out["quality"] = add_flag(out["quality"], missing, "sensor_missing")
    return out


def _hole_warnings(holes: dict[str, np.ndarray], span_s: float) -> list[str]:
    msgs = []
    for p, h in holes.items():
        total = float(np.sum(h[:, 1] - h[:, 0])) if len(h) else 0.0
        if total > 0 and span_s > 0:
            msgs.append(f"{p}: no samples for {total:.0f} s ({100 * total / span_s:.0f} % of the recording, "
                        f"{len(h)} period(s), first {h[0, 0]:.0f}–{h[0, 1]:.0f} s); strides of that side "
                        "then are flagged sensor_missing and lack that sensor's metrics")
    return msgs



class GaitPipeline(Algorithm):
    """The whole analysis of one recording, as one algorithm object (gaitmap/tpcp style).

    Parameters (the defaults are those of ``imu-logger analyze``):

    ``filter``: orientation filter of the ankle angles, one of analysis.orientation.filters.FILTERS
    (default ``smoothed``, the filter validated in the README's "Numbers you can defend").
    ``neutral_interval_s``: (start, end) in s from the recording start of quiet standing to use as
    0°; None finds it automatically. When given, a calibration failure raises UserError instead of
    becoming a warning.
    ``stride_detector``: analysis.strides.StrideDetector (its event and zero-velocity detectors, stride
    rules and plausible ranges, each documented there).
    ``walking_bouts``: analysis.walking_bouts.WalkingBouts (Mobilise-D: turns inside a bout, a pause
    longer than 3 s ends it, at least 4 strides).
    ``stride_checks``: analysis.stride_checks.StrideChecks (left/right alternation, the other foot's
    rhythm, a step model fitted on ipol_feet subjects 1-5, swing count against distance): a stride that
    fails one is flagged and stays out of the summary.
    ``missing_s``: a hole in a sensor's samples at least this long (s) flags the strides it overlaps
    ``sensor_missing`` (engineering choice: longer than any BLE reconnection of a working sensor,
    which the gap flags already cover).

    ``get_params()`` and ``clone()`` as every analysis.algorithm.Algorithm.

    Action: ``run(samples, gaps)``. Results (trailing underscore, set by ``run``): ``strides_``,
    ``strides_extra_``, ``bouts_``, ``summary_``, ``angles_``, ``warnings_``, ``calibration_messages_``,
    and ``results_`` (analysis.results.GaitResults holding all of them).
    """

    def __init__(self, filter: str = DEFAULT_FILTER, neutral_interval_s: tuple[float, float] | None = None,  # noqa: A002
                 stride_detector: StrideDetector = StrideDetector(), walking_bouts: WalkingBouts = WalkingBouts(),
                 stride_checks: StrideChecks = StrideChecks(),
                 missing_s: float = MISSING_S) -> None:
        self.filter = filter
        self.neutral_interval_s = neutral_interval_s
        self.stride_detector = stride_detector
        self.walking_bouts = walking_bouts
        self.stride_checks = stride_checks
        self.missing_s = missing_s

    def run(self, samples: dict[str, pd.DataFrame], gaps: pd.DataFrame | None = None, *,
            progress: Progress | None = None) -> GaitPipeline:
        """Analyse one recording: ``samples`` per placement (analysis.columns; sensor frame, any
        mounting), ``gaps`` the recording's gaps table (placement, start_s, end_s, ...).
        ``progress(fraction, stage)`` is called between steps. Returns self."""
        from analysis.angles import angles_from_calibration
        from analysis.calibration import calibrate

        if self.filter not in FILTERS:
            raise UserError(f"filter: unknown orientation filter {self.filter!r} (one of {', '.join(FILTERS)})")

        def report(frac: float, stage: str) -> None:
            if progress is not None:
                progress(frac, stage)

        samples = {p: df for p, df in samples.items() if df is not None}
        ends = [float(df[TIME].iloc[-1]) for df in samples.values() if len(df)]
        warnings: list[str] = []
        empty = {p: df for p, df in samples.items() if len(df) < 10}
        for p in empty:
            warnings.append(f"{p}: fewer than 10 samples, not analysed")
        samples = {p: df for p, df in samples.items() if p not in empty}
        legs = {p: df for p, df in samples.items() if p in LEG_PLACEMENTS}  # the lower back has its own steps
        report(0.0, "strides")
        strides, bouts = gait_tables(legs, self.walking_bouts, self.stride_detector)
        if not legs and LOWER_BACK in samples:  # the lower back alone: its strides, in Mobilise-D bouts
            try:
                assembly = self.walking_bouts.clone().assemble(lower_back_strides(samples))
                strides, bouts = assembly.strides_.assign(quality=join_flags(["lower_back_only"])), assembly.bouts_
            except UserError as exc:
                warnings.append(f"no strides from the lower back: {exc}")
        report(0.35, "orientation and ankle angles")
        cal_messages: list[str] = []
        angles = pd.DataFrame({TIME: np.zeros(0)})
        if legs:
            try:
                cal = calibrate(legs, neutral_interval_s=self.neutral_interval_s, method=self.filter)
                cal_messages = list(cal.messages())
                if cal.sensors:
                    angles = angles_from_calibration(cal)
                else:
                    warnings.append("no ankle angles: no sensor could be calibrated")
            except UserError as exc:
                if self.neutral_interval_s is not None:
                    raise
                warnings.append(f"no ankle angles: {exc}")
        report(0.85, "stride metrics")
        for side in ("left", "right"):
            if f"{side}_dorsiflexion_deg" in angles.columns or f"{side}_eversion_deg" in angles.columns:
                strides = join_angle_metrics(strides, angles, side)
        walking = bouts.loc[bouts["activity"] == "walking", ["start_s", "end_s"]].to_numpy(float) if len(bouts) else None
        strides = add_lower_back_columns(strides, samples, walking=walking)  # NaN without a lower-back sensor
        holes = sensor_holes(samples, self.missing_s)
        spans = [(df[TIME].iloc[0], df[TIME].iloc[-1]) for df in samples.values()]
        span = (max(s[1] for s in spans) - min(s[0] for s in spans)) if spans else 0.0
        report(1.0, "done")
        self._set_results(finish_tables(
            strides, bouts, angles, holes, span, gaps, warnings, cal_messages, stride_checks=self.stride_checks,
            filter=self.filter, neutral_interval_s=self.neutral_interval_s, duration_s=max(ends, default=0.0)))
        return self

    def _set_results(self, results: GaitResults) -> None:
        """The result attributes (``strides_`` ... ``results_``) from the finished tables."""
        self.strides_, self.strides_extra_, self.events_ = results.strides, results.strides_extra, results.events
        self.bouts_, self.summary_, self.angles_ = results.bouts, results.summary, results.angles
        self.warnings_, self.calibration_messages_ = results.warnings, results.calibration_messages
        self.results_ = results


def finish_tables(strides: pd.DataFrame, bouts: pd.DataFrame, angles: pd.DataFrame, holes: dict[str, np.ndarray],
                  span_s: float, gaps: pd.DataFrame | None, warnings: list[str], cal_messages: list[str], *,
                  stride_checks: StrideChecks, filter: str, neutral_interval_s: tuple[float, float] | None,  # noqa: A002
                  duration_s: float) -> GaitResults:
    """The whole-recording steps after the strides carry their angle and lower-back metrics: empty columns
    for what no sensor gives, the gap and sensor-hole flags (``holes`` as :func:`sensor_holes`, ``span_s``
    the recording's span in s), the stride checks, the summary and the footsteps, as one GaitResults.
    Shared by GaitPipeline and the streamed analysis (analysis.streamed), so both end the same way."""
    strides = strides.copy()
    for c in STRIDE_COLUMNS:  # a column no sensor of the recording can give is empty, not absent
        if c not in strides:
            strides[c] = np.nan
    warnings = [*warnings, *_hole_warnings(holes, span_s)]
    strides = stride_checks.check(flag_strides(strides, gaps, holes)).strides_
    summary = summarise(strides, bouts)
    n_walk = int((bouts["activity"] == "walking").sum()) if len(bouts) else 0
    if n_walk == 0:
        warnings.append("no walking found: the strides, bouts and summary tables are empty of walking")
    extra = [c for c in strides.columns if c not in STRIDE_COLUMNS]
    table = strides[list(STRIDE_COLUMNS)].reset_index(drop=True)
    strides_extra = strides[["side", "stride_id", *extra]].reset_index(drop=True)
    events = footsteps(table, strides["mid_stance_s"] if "mid_stance_s" in strides else None)
    return GaitResults(
        strides=table, bouts=bouts, summary=summary, angles=angles,
        calibration_messages=cal_messages, warnings=warnings, strides_extra=strides_extra,
        events=events, gaps=gaps if gaps is not None and len(gaps) else None, filter=filter,
        neutral_s=neutral_interval_s, duration_s=duration_s)


def analyze(samples: dict[str, pd.DataFrame], gaps: pd.DataFrame | None = None,
            progress: Progress | None = None, *, walking_bouts: WalkingBouts = WalkingBouts(),
            neutral_interval_s: tuple[float, float] | None = None, method: str | None = None
            ) -> GaitResults:
    """``GaitPipeline(method, neutral_interval_s, walking_bouts).run(samples, gaps).results_`` in one call."""
    pipe = GaitPipeline(filter=method or DEFAULT_FILTER, neutral_interval_s=neutral_interval_s, walking_bouts=walking_bouts)
    return pipe.run(samples, gaps, progress=progress).results_
