"""The day summary of the strides table, the one behind summary.csv, the export and the report.

Strides used (``representative_strides``): those in walking bouts (``bout_id`` of a bout with
activity ``walking``, turns included) and not flagged as untrusted (``UNTRUSTED_FLAGS``:
``implausible`` and the plausibility checks of analysis.stride_checks). Strays outside bouts are
left out: they are not representative gait.

Metrics (``METRICS``, report order): the stride metric columns of strides.csv, plus cadence derived
per stride as ``120 / stride_time_s`` (steps per minute, two steps per stride).

Statistics, per side and period: number of strides with a value, median, first and third quartile
(numpy's linear percentiles) and IQR = q3 − q1, in the metric's unit.

Summary table (long format, SUMMARY_COLUMNS): ``period`` is ``day`` (whole recording) or ``hour``
(``hour_start_s`` = whole hours from the recording start, 0, 3600, ...); ``side`` is ``left``,
``right`` or ``asymmetry``; ``metric`` a column of METRICS.

Asymmetry index (per metric and period, percent; Robinson et al. 1987 symmetry index on the medians):
``asymmetry = 100 * (median_left - median_right) / (0.5 * (|median_left| + |median_right|))``;
0 is symmetric, positive means the left value is larger. Its ``iqr``, ``q1`` and ``q3`` are empty and
``n_strides`` is the smaller of the two sides' counts. NaN when either side has no strides or both
medians are 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.quality import UNTRUSTED_FLAGS

SIDES = ("left", "right")
HOUR_S = 3600.0
CADENCE = "cadence_steps_per_min"
SUMMARY_COLUMNS = ("period", "hour_start_s", "side", "metric", "n_strides", "median", "iqr", "q1", "q3")


@dataclass(frozen=True)
class Metric:
    """A stride metric of the summary: column (unit in the name), label, unit text."""

    column: str
    label: str
    unit: str


#: the metrics of the day summary, in report order
METRICS: tuple[Metric, ...] = (
    Metric("peak_dorsiflexion_deg", "Peak dorsiflexion in stance", "°"),
    Metric("peak_plantarflexion_deg", "Peak plantarflexion at push-off", "°"),
    Metric("sagittal_range_deg", "Sagittal range (dorsi- to plantarflexion)", "°"),
    Metric("peak_eversion_deg", "Peak eversion", "°"),
    Metric("eversion_excursion_deg", "Eversion excursion (contact to peak)", "°"),
    Metric("peak_pronation_velocity_dps", "Peak pronation velocity", "°/s"),
    Metric("stride_length_m", "Stride length", "m"),
    Metric(CADENCE, "Cadence", "steps/min"),
    Metric("speed_mps", "Walking speed", "m/s"),
    Metric("stride_time_s", "Stride time", "s"),
    Metric("stance_fraction", "Stance fraction of the stride", "fraction"),
    Metric("peak_tibial_accel_g", "Peak tibial acceleration after contact", "g"),
    Metric("pelvic_tilt_range_deg", "Pelvic tilt range (lower back)", "°"),
    Metric("pelvic_tilt_stance_mean_deg", "Anterior pelvic tilt in stance (lower back)", "°"),
    Metric("pelvic_obliquity_range_deg", "Pelvic obliquity range (lower back)", "°"),
    Metric("pelvic_rotation_range_deg", "Pelvic rotation range (lower back)", "°"),
    Metric("trunk_lean_deg", "Trunk forward lean (lower back)", "°"),
    Metric("peak_sacral_accel_g", "Peak sacral acceleration after contact", "g"),
    Metric("shock_attenuation_pct", "Shock attenuation, tibia to sacrum", "%"),
)
METRIC_BY_COLUMN = {m.column: m for m in METRICS}
SUMMARY_METRICS = tuple(m.column for m in METRICS)


def asymmetry_index(left: float, right: float) -> float:
    """Robinson symmetry index (%) of two values: 100 (L − R) / (½ (|L| + |R|)); NaN if undefined."""
    den = 0.5 * (abs(left) + abs(right))
    if not np.isfinite(left) or not np.isfinite(right) or den == 0:
        return float("nan")
    return float(100.0 * (left - right) / den)


def with_cadence(strides: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``strides`` with ``cadence_steps_per_min`` = 120 / stride_time_s."""
    out = strides.copy()
    t = pd.to_numeric(out["stride_time_s"], errors="coerce")
    out[CADENCE] = 120.0 / t.where(t > 0)
    return out


def metric_columns(strides: pd.DataFrame) -> list[str]:
    """The summary metrics present in ``strides`` with at least one value."""
    return [m.column for m in METRICS if m.column in strides and strides[m.column].notna().any()]


def describe(values: pd.Series | np.ndarray) -> tuple[int, float, float, float]:
    """Count of finite values, median, first and third quartile (NaN when there is none)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0, np.nan, np.nan, np.nan
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return int(v.size), float(med), float(q1), float(q3)


def _rows(strides: pd.DataFrame, period: str, hour_start_s: float) -> list[dict]:
    rows = []
    for metric in SUMMARY_METRICS:
        if metric not in strides:
            continue
        med, cnt = {}, {}
        for side in SIDES:
            n, m, q1, q3 = describe(strides.loc[strides["side"] == side, metric])
            cnt[side], med[side] = n, m
            if n:
                rows.append(dict(period=period, hour_start_s=hour_start_s, side=side, metric=metric,
                                 n_strides=n, median=m, iqr=q3 - q1, q1=q1, q3=q3))
        if cnt["left"] and cnt["right"]:
            rows.append(dict(period=period, hour_start_s=hour_start_s, side="asymmetry", metric=metric,
                             n_strides=min(cnt.values()), median=asymmetry_index(med["left"], med["right"]),
                             iqr=float("nan"), q1=float("nan"), q3=float("nan")))
    return rows


def representative_strides(strides: pd.DataFrame, bouts: pd.DataFrame) -> pd.DataFrame:
    """The strides clinical figures are made of: in walking bouts, not flagged implausible."""
    if len(strides) == 0 or len(bouts) == 0:
        return strides.iloc[0:0]
    walking = bouts.loc[bouts["activity"] == "walking", "bout_id"].to_numpy()
    quality = strides["quality"].astype(str)
    untrusted = quality.str.contains("|".join(UNTRUSTED_FLAGS), regex=True)
    return strides[strides["bout_id"].isin(walking) & ~untrusted]


def summarise_strides(strides: pd.DataFrame) -> pd.DataFrame:
    """Summary table (SUMMARY_COLUMNS) of the given strides, all of them (day, then each hour)."""
    empty = pd.DataFrame({c: pd.Series(dtype=object if c in ("period", "side", "metric") else float)
                          for c in SUMMARY_COLUMNS})
    if len(strides) == 0:
        return empty
    use = with_cadence(strides)
    rows = _rows(use, "day", 0.0)
    hour = np.floor(use["start_s"].to_numpy(float) / HOUR_S)
    for h in np.unique(hour):
        rows.extend(_rows(use[hour == h], "hour", float(h * HOUR_S)))
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    out["n_strides"] = out["n_strides"].astype(int)
    return out


def summarise(strides: pd.DataFrame, bouts: pd.DataFrame) -> pd.DataFrame:
    """summary.csv: the summary table of the representative strides; empty with headers if none."""
    return summarise_strides(representative_strides(strides, bouts))
