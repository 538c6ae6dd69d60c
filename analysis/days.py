"""Several days of one walker: the week view's tables (pure functions on strides tables).

Each day's strides carry the local wall clock of their initial contact (``stamp``): ``date``
(YYYY-MM-DD) and ``hour_of_day`` (0-23, local time at the recording start). Per day and per hour of
day, per side: number of strides, median and quartiles (analysis.summary.describe) of
``WEEK_METRICS``. The trend across days is the Theil-Sen slope of the day medians against the day
number (days since the first), with its 95 % interval; it is judged by analysis.meaningful_change.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats

from analysis.meaningful_change import MIN_DAY_STRIDES, MIN_DAYS, Change
from analysis.summary import SIDES, describe

#: dorsiflexion, pronation and stride length: what a week of free living is followed for
WEEK_METRICS = ("peak_dorsiflexion_deg", "peak_eversion_deg", "stride_length_m")
TABLE_COLUMNS = ("side", "metric", "n_strides", "median", "q1", "q3")


def stamp(strides: pd.DataFrame, start_wall_ns: int) -> pd.DataFrame:
    """A copy of ``strides`` with ``date`` and ``hour_of_day`` of each initial contact (local time)."""
    tz = dt.datetime.fromtimestamp(start_wall_ns / 1e9).astimezone().tzinfo
    t = pd.to_datetime(start_wall_ns + (strides["start_s"].to_numpy(float) * 1e9).round(), unit="ns", utc=True)
    local = t.tz_convert(tz)
    out = strides.copy()
    out["date"] = local.strftime("%Y-%m-%d")
    out["hour_of_day"] = local.hour
    return out


def _table(stamped: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = []
    for value, part in stamped.groupby(key, sort=True):
        for metric in WEEK_METRICS:
            if metric not in part:
                continue
            for side in SIDES:
                n, med, q1, q3 = describe(part.loc[part["side"] == side, metric])
                if n:
                    rows.append({key: value, "side": side, "metric": metric, "n_strides": n, "median": med,
                                 "q1": q1, "q3": q3})
    return pd.DataFrame(rows, columns=[key, *TABLE_COLUMNS])


def by_day(stamped: pd.DataFrame) -> pd.DataFrame:
    """One row per date, side and metric of WEEK_METRICS: n_strides, median, q1, q3."""
    return _table(stamped, "date")


def by_hour_of_day(stamped: pd.DataFrame) -> pd.DataFrame:
    """One row per hour of day (0-23, all days pooled), side and metric: n_strides, median, q1, q3."""
    return _table(stamped, "hour_of_day")


def day_trend(daily: pd.DataFrame, metric: str, side: str) -> tuple[float, float, float, Change]:
    """(slope per day, 95 % low, high, the Change over the days) of ``metric`` on ``side`` from the
    ``by_day`` table. Days with fewer than MIN_DAY_STRIDES strides are left out; fewer than MIN_DAYS
    days give NaN and a Change without enough data."""
    part = daily[(daily["metric"] == metric) & (daily["side"] == side) & (daily["n_strides"] >= MIN_DAY_STRIDES)]
    if len(part) < MIN_DAYS:
        return np.nan, np.nan, np.nan, Change(metric, np.nan, np.nan, np.nan, False)
    day = (pd.to_datetime(part["date"]) - pd.to_datetime(part["date"]).min()).dt.days.to_numpy(float)
    slope, _, lo, hi = stats.theilslopes(part["median"].to_numpy(float), day, 0.95)
    span = float(day.max() - day.min())
    return float(slope), float(lo), float(hi), Change(metric, slope * span, lo * span, hi * span, True)


__all__ = ["TABLE_COLUMNS", "WEEK_METRICS", "by_day", "by_hour_of_day", "day_trend", "stamp"]
