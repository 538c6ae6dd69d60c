"""The whole analysis of one recording: strides, bouts, ankle angles, summary and quality flags.

``analyze(samples, gaps)`` takes per-placement sample DataFrames (analysis.columns; sensor frame,
any mounting) and the recording's gaps table (imu_logger.samples.decode.GAP_COLUMNS), and returns an
``AnalysisResult``. Steps: strides and bouts (analysis.bouts.gait_tables), calibration and
continuous ankle angles (analysis.calibration, analysis.angles), ankle metrics joined per stride
(analysis.strides.join_angle_metrics), quality flags from the recording's gaps and from sensors
missing part of the day, and the summary (analysis.summary).

Quality flags added here (besides those of analysis.strides):
``gap`` a gap of the recording (any sensor of that side) overlaps the stride;
``sensor_missing`` a sensor of that side has no samples during the stride (a hole longer than
``MISSING_S`` or outside its recording span): its metrics are NaN for that stride.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from analysis.bouts import BoutRules, gait_tables
from analysis.columns import STRIDE_COLUMNS, TIME
from analysis.strides import join_angle_metrics
from analysis.summary import summarise

#: a hole in a sensor's samples longer than this counts as the sensor missing (s)
MISSING_S = 10.0
Progress = Callable[[float, str], None]


@dataclass
class AnalysisResult:
    """Tables of one analysed recording (times in seconds from the recording start)."""

    strides: pd.DataFrame  # STRIDE_COLUMNS
    bouts: pd.DataFrame  # BOUT_COLUMNS
    summary: pd.DataFrame  # analysis.summary.SUMMARY_COLUMNS
    angles: pd.DataFrame  # analysis.angles.angle_table (time_s only when no calibration)
    calibration_messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    strides_extra: pd.DataFrame | None = None  # mid_stance_s, foot_clearance_m, turning_angle_deg


def sensor_holes(samples: dict[str, pd.DataFrame], min_s: float = MISSING_S) -> dict[str, np.ndarray]:
    """Per placement, (k, 2) [start, end] times with no samples for ``min_s`` or more, including a
    missing beginning or end relative to the span of all sensors."""
    spans = [(df[TIME].iloc[0], df[TIME].iloc[-1]) for df in samples.values() if len(df)]
    if not spans:
        return {p: np.zeros((0, 2)) for p in samples}
    t0, t1 = min(s[0] for s in spans), max(s[1] for s in spans)
    out = {}
    for p, df in samples.items():
        t = df[TIME].to_numpy(float)
        if len(t) == 0:
            out[p] = np.array([[t0, t1]])
            continue
        edges = np.concatenate([[t0], t, [t1]])
        d = np.diff(edges)
        k = np.flatnonzero(d >= min_s)
        out[p] = np.column_stack([edges[k], edges[k + 1]])
    return out


def _overlap(intervals: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Boolean per [a[i], b[i]]: overlaps any of ``intervals`` (k, 2)."""
    out = np.zeros(len(a), bool)
    for s, e in intervals:  # per interval: gaps and holes are few compared with strides
        out |= (a < e) & (b > s)
    return out


def _add_flag(quality: pd.Series, mask: np.ndarray, flag: str) -> pd.Series:
    q = quality.to_numpy(object).copy()
    for i in np.flatnonzero(mask):  # flagged rows only
        q[i] = flag if q[i] in ("ok", "", None) else f"{q[i]}|{flag}"
    return pd.Series(q, index=quality.index)


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
    out["quality"] = _add_flag(out["quality"], gap & ~already, "gap")
    out["quality"] = _add_flag(out["quality"], missing, "sensor_missing")
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


def analyze(samples: dict[str, pd.DataFrame], gaps: pd.DataFrame | None = None,
            progress: Progress | None = None, *, rules: BoutRules = BoutRules(),
            neutral_interval_s: tuple[float, float] | None = None, method: str | None = None
            ) -> AnalysisResult:
    """Analyse one recording (see module docstring). ``progress(fraction, stage)`` is called between steps.

    Calibration failures (for example no quiet standing to serve as the neutral pose) become a
    warning and NaN ankle metrics, unless ``neutral_interval_s`` was given (then they raise).
    """
    def report(frac: float, stage: str) -> None:
        if progress is not None:
            progress(frac, stage)

    from analysis.angles import angles_from_calibration
    from analysis.calibration import DEFAULT_FILTER, calibrate
    from analysis.errors import UserError

    samples = {p: df for p, df in samples.items() if df is not None}
    warnings: list[str] = []
    empty = {p: df for p, df in samples.items() if len(df) < 10}
    for p in empty:
        warnings.append(f"{p}: fewer than 10 samples, not analysed")
    samples = {p: df for p, df in samples.items() if p not in empty}
    report(0.0, "strides")
    strides, bouts = gait_tables(samples, rules)
    report(0.35, "orientation and ankle angles")
    cal_messages: list[str] = []
    angles = pd.DataFrame({TIME: np.zeros(0)})
    if samples:
        try:
            cal = calibrate(samples, neutral_interval_s=neutral_interval_s, method=method or DEFAULT_FILTER)
            cal_messages = list(cal.messages())
            if cal.sensors:
                angles = angles_from_calibration(cal)
            else:
                warnings.append("no ankle angles: no sensor could be calibrated")
        except UserError as exc:
            if neutral_interval_s is not None:
                raise
            warnings.append(f"no ankle angles: {exc}")
    report(0.85, "stride metrics")
    for side in ("left", "right"):
        if f"{side}_dorsiflexion_deg" in angles.columns or f"{side}_eversion_deg" in angles.columns:
            strides = join_angle_metrics(strides, angles, side)
    holes = sensor_holes(samples)
    spans = [(df[TIME].iloc[0], df[TIME].iloc[-1]) for df in samples.values()]
    span = (max(s[1] for s in spans) - min(s[0] for s in spans)) if spans else 0.0
    warnings.extend(_hole_warnings(holes, span))
    strides = flag_strides(strides, gaps, holes)
    summary = summarise(strides, bouts)
    n_walk = int((bouts["activity"] == "walking").sum()) if len(bouts) else 0
    if n_walk == 0:
        warnings.append("no walking found: the strides, bouts and summary tables are empty of walking")
    extra = [c for c in strides.columns if c not in STRIDE_COLUMNS]
    report(1.0, "done")
    return AnalysisResult(strides=strides[list(STRIDE_COLUMNS)].reset_index(drop=True), bouts=bouts,
                          summary=summary, angles=angles, calibration_messages=cal_messages,
                          warnings=warnings, strides_extra=strides[["side", "stride_id", *extra]])
