"""The report's day-by-day section: several recordings of one walker (a week of free living)."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from analysis import days
from analysis.meaningful_change import MEANINGFUL_CHANGE, MIN_DAY_STRIDES, MIN_DAYS, SOURCES
from analysis.summary import METRIC_BY_COLUMN, SIDES
from imu_logger.report.svg import SIDE_COLOURS, Chart
from imu_logger.results import Results


def stamped_strides(sessions: list[Results]) -> pd.DataFrame:
    """The representative strides of every dated session, with date and hour of day."""
    parts = [days.stamp(r.strides, r.start_wall_ns) for r in sessions if r.start_wall_ns is not None and len(r.strides)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _digits(metric: str) -> int:
    return 2 if metric.endswith("_m") else 1


def _chart(table: pd.DataFrame, key: str, metric: str, xs: dict, xlim: tuple[float, float],
           ticks: list[tuple[float, str]], xlabel: str) -> str:
    part = table[table["metric"] == metric]
    m = METRIC_BY_COLUMN[metric]
    lo, hi = float(part["q1"].min()), float(part["q3"].max())
    pad = 0.1 * (hi - lo) or 0.5
    c = Chart(xlim, (lo - pad, hi + pad), width=1000, height=230,
              title=f"{m.label} ({m.unit})", xlabel=xlabel)
    for k, side in enumerate(SIDES):
        p = part[part["side"] == side]
        x = np.array([xs[v] for v in p[key]], float) + (k - 0.5) * 0.15
        for xi, q1, q3 in zip(x, p["q1"], p["q3"]):
            c.line((xi, xi), (q1, q3), SIDE_COLOURS[side], 1.5)
        c.points(x, p["median"], SIDE_COLOURS[side], 3.5,
                 [f"{side} {v}: median {md:.{_digits(metric)}f} [{a:.{_digits(metric)}f}-{b:.{_digits(metric)}f}], "
                  f"n={n}" for v, md, a, b, n in zip(p[key], p["median"], p["q1"], p["q3"], p["n_strides"])])
    return c.svg(ticks, [(SIDE_COLOURS[s], f"{s} median, bar = IQR") for s in SIDES])


def _trend_words(daily: pd.DataFrame) -> list[str]:
    words = []
    for metric in days.WEEK_METRICS:
        m = METRIC_BY_COLUMN[metric]
        threshold, source = MEANINGFUL_CHANGE[metric]
        for side in SIDES:
            slope, lo, hi, change = days.day_trend(daily, metric, side)
            if not change.enough_data:
                words.append(f"{side.capitalize()} {m.label.lower()}: too few days to judge a trend (needs "
                             f"{MIN_DAYS} days with at least {MIN_DAY_STRIDES} strides each).")
                continue
            d = _digits(metric)
            what = (f"{'rises' if change.change > 0 else 'falls'} by {abs(change.change):.{d}f} {m.unit} over the days"
                    if change.meaningful else "no change beyond measurement error")
            words.append(f"{side.capitalize()} {m.label.lower()}: {what} ({slope:+.{d + 1}f} {m.unit}/day, 95 % CI "
                         f"{lo:+.{d + 1}f} to {hi:+.{d + 1}f}, Theil-Sen on day medians; meaningful from "
                         f"{threshold:g} {m.unit}, {source}).")
    return words


def days_section(sessions: list[Results]) -> str:
    """HTML of the day-by-day section: per day and per hour of day, and the trend across days."""
    stamped = stamped_strides(sessions)
    undated = [r.label for r in sessions if r.start_wall_ns is None]
    note = (f"<p class='muted'>Left out (no wall-clock start): {escape(', '.join(undated))}.</p>" if undated else "")
    if stamped.empty or stamped["date"].nunique() < 2:
        return note + ("<p>One day of walking: give the recordings (or results folders) of several days to "
                       "<code>imu-logger report</code> for the day-by-day view.</p>")
    daily, hourly = days.by_day(stamped), days.by_hour_of_day(stamped)
    dates = sorted(daily["date"].unique())
    date_x = {d: float(i) for i, d in enumerate(dates)}
    charts = []
    for metric in days.WEEK_METRICS:
        if metric not in set(daily["metric"]):
            continue
        charts.append(_chart(daily, "date", metric, date_x, (-0.6, len(dates) - 0.4),
                             [(x, d) for d, x in date_x.items()], "day"))
        charts.append(_chart(hourly, "hour_of_day", metric, {h: float(h) for h in range(24)}, (-0.6, 23.6),
                             [(float(h), f"{h:02d}") for h in range(0, 24, 2)], "hour of day (local time)"))
    rows = []
    for d in dates:
        cells = [escape(d)]
        for metric in days.WEEK_METRICS:
            for side in SIDES:
                r = daily[(daily["date"] == d) & (daily["metric"] == metric) & (daily["side"] == side)]
                cells.append("–" if r.empty else f"{r['median'].iloc[0]:.{_digits(metric)}f} "
                             f"<span class='muted'>(n={int(r['n_strides'].iloc[0])})</span>")
        rows.append(cells)
    head = ["day"] + [f"{METRIC_BY_COLUMN[m].label} {s} ({METRIC_BY_COLUMN[m].unit})"
                      for m in days.WEEK_METRICS for s in SIDES]
    table = ("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" +
             "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>")
    sources = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in SOURCES.items())
    return (note + f"<p>{len(dates)} days, {len(stamped)} strides in walking bouts. Per day: median (and strides); "
            "charts: per day and per hour of day (all days pooled), median and interquartile range per side.</p>"
            + "<ul>" + "".join(f"<li>{escape(w)}</li>" for w in _trend_words(daily)) + "</ul>" + table
            + "".join(charts) + f"<ol class='muted'>{sources}</ol>")


__all__ = ["days_section", "stamped_strides"]
