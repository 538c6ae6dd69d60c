"""Day summary of the strides table: per side and per hour, median and IQR of each stride metric,
plus the left/right asymmetry index.

Rows (long format, SUMMARY_COLUMNS): ``period`` is ``day`` (whole recording) or ``hour``
(``hour_start_s`` = whole hours from the recording start, 0, 3600, ...); ``side`` is ``left``,
``right`` or ``asymmetry``; ``metric`` a stride metric column of strides.csv; ``n_strides`` the
strides used; ``median`` and ``iqr`` (75th minus 25th percentile) in the metric's unit.

Strides used: those in walking bouts (``bout_id`` of a bout with activity ``walking``) and not
flagged ``implausible``. Spot turns and strays are left out: they are not representative gait.

Asymmetry index (per metric and period, percent; Robinson et al. 1987 symmetry index on the medians):
``asymmetry = 100 * (median_left - median_right) / (0.5 * (|median_left| + |median_right|))``;
0 is symmetric, positive means the left value is larger. Its ``iqr`` is empty and ``n_strides``
is the smaller of the two sides' counts. NaN when either side has no strides or both medians are 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("period", "hour_start_s", "side", "metric", "n_strides", "median", "iqr")
SUMMARY_METRICS = (
    "stride_time_s", "stance_fraction", "stride_length_m", "speed_mps",
    "peak_dorsiflexion_deg", "peak_plantarflexion_deg", "sagittal_range_deg",
    "peak_eversion_deg", "eversion_excursion_deg", "peak_pronation_velocity_dps",
    "peak_tibial_accel_g",
)


def asymmetry_index(left: float, right: float) -> float:
    """Robinson symmetry index (%) of two values: 100 (L − R) / (½ (|L| + |R|)); NaN if undefined."""
    den = 0.5 * (abs(left) + abs(right))
    if not np.isfinite(left) or not np.isfinite(right) or den == 0:
        return float("nan")
    return float(100.0 * (left - right) / den)


def _rows(strides: pd.DataFrame, period: str, hour_start_s: float) -> list[dict]:
    rows = []
    for metric in SUMMARY_METRICS:
        med = {}
        cnt = {}
        for side in ("left", "right"):
            v = strides.loc[strides["side"] == side, metric].to_numpy(float)
            v = v[np.isfinite(v)]
            cnt[side] = len(v)
            med[side] = float(np.median(v)) if len(v) else float("nan")
            if len(v):
                q1, q3 = np.percentile(v, [25, 75])
                rows.append(dict(period=period, hour_start_s=hour_start_s, side=side, metric=metric,
                                 n_strides=len(v), median=med[side], iqr=float(q3 - q1)))
        if cnt["left"] and cnt["right"]:
            rows.append(dict(period=period, hour_start_s=hour_start_s, side="asymmetry", metric=metric,
                             n_strides=min(cnt.values()),
                             median=asymmetry_index(med["left"], med["right"]), iqr=float("nan")))
    return rows


def representative_strides(strides: pd.DataFrame, bouts: pd.DataFrame) -> pd.DataFrame:
    """The strides clinical figures are made of: in walking bouts, not flagged implausible."""
    if len(strides) == 0 or len(bouts) == 0:
        return strides.iloc[0:0]
    walking = bouts.loc[bouts["activity"] == "walking", "bout_id"].to_numpy()
    quality = strides["quality"].astype(str)
    return strides[strides["bout_id"].isin(walking) & ~quality.str.contains("implausible")]


def summarise(strides: pd.DataFrame, bouts: pd.DataFrame) -> pd.DataFrame:
    """Summary table (SUMMARY_COLUMNS) of the representative strides; empty with headers if none."""
    empty = pd.DataFrame({c: pd.Series(dtype=object if c in ("period", "side", "metric") else float)
                          for c in SUMMARY_COLUMNS})
    use = representative_strides(strides, bouts)
    if len(use) == 0:
        return empty
    rows = _rows(use, "day", 0.0)
    hour = np.floor(use["start_s"].to_numpy(float) / 3600.0)
    for h in np.unique(hour):
        rows.extend(_rows(use[hour == h], "hour", float(h * 3600.0)))
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    out["n_strides"] = out["n_strides"].astype(int)
    return out
