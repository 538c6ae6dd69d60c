"""`imu-logger export`: analysis tables and samples as CSV or Parquet, safe to open in a spreadsheet.

* Units are in every column name (``_s``, ``_deg``, ``_m``, ``_mps``, ``_g``...); counts and labels
  have none. Each time column ``X_s`` (seconds from the recording start) gets a companion
  ``X_wall_iso``: ISO 8601 local wall-clock time with its UTC offset, when the start is known.
* One row per stride (strides), walking bout (bouts), side and hour (summary), sample (angles,
  samples: one file per sensor) or event (events); session.csv holds subject, notes and start.
* CSV text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return) get a leading apostrophe (OWASP "CSV injection" advice).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from analysis.columns import ACC, GYR, MAG, TIME
from analysis.report_data import summary_table
from analysis.summary import representative_strides
from imu_logger.errors import UserError
from imu_logger.results import Results

TABLES = ("strides", "bouts", "summary", "angles", "samples", "events")
DEFAULT_TABLES = ("strides", "bouts", "summary", "events")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A text cell that cannot run as a spreadsheet formula (apostrophe in front when needed)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_for_spreadsheet(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns are neutralised against formula injection."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_formula)
    return out


def wall_iso(start_wall_ns: int | None, seconds: pd.Series) -> pd.Series:
    """ISO 8601 local time (millisecond resolution) of ``seconds`` from the start.

    The UTC offset is the local one at the recording start for every row, so each stamp is an
    exact instant even across a daylight-saving change.
    """
    if start_wall_ns is None:
        return pd.Series([""] * len(seconds), index=seconds.index, dtype=object)
    s = pd.to_numeric(seconds, errors="coerce")
    stamps = pd.to_datetime(start_wall_ns + (s * 1e9).round(), unit="ns", utc=True).dt.tz_convert(
        dt.datetime.fromtimestamp(start_wall_ns / 1e9).astimezone().tzinfo)
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3]
    offset = stamps.dt.strftime("%z")
    out = text + offset.str[:3] + ":" + offset.str[3:]
    return out.where(s.notna(), "")


def with_wall_times(df: pd.DataFrame, start_wall_ns: int | None) -> pd.DataFrame:
    """Insert ``X_wall_iso`` after every time column ``X_s`` that is a time of day (not a duration)."""
    out = df.copy()
    for c in [c for c in df.columns if c in ("start_s", "end_s", "toe_off_s", TIME)]:
        name = "wall_iso" if c == TIME else c[:-2] + "_wall_iso"
        out.insert(out.columns.get_loc(c) + 1, name, wall_iso(start_wall_ns, out[c]))
    return out


def _samples_tables(samples: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One table per sensor: time, acceleration, angular rate and, when sent, the magnetic field."""
    tables = {}
    for placement, df in samples.items():
        cols = [TIME, *ACC, *GYR] + (list(MAG) if set(MAG) <= set(df.columns) else [])
        tables[f"samples_{placement}"] = df[cols]
    return tables


def _events_table(res: Results) -> pd.DataFrame:
    rows = []
    for e in res.events:
        t = (e["mono_ns"] - int(res.session.get("start_mono_ns", e["mono_ns"]))) * 1e-9
        extra = {k: v for k, v in e.items() if k not in ("kind", "placement", "mono_ns", "wall_ns")}
        rows.append({"start_s": t, "kind": e["kind"], "placement": e.get("placement", ""),
                     "message": str(extra.pop("message", "")),
                     "details": json.dumps(extra, default=str) if extra else ""})
    return pd.DataFrame(rows, columns=["start_s", "kind", "placement", "message", "details"])


def _session_table(res: Results) -> pd.DataFrame:
    iso = wall_iso(res.start_wall_ns, pd.Series([0.0]))[0]
    rows = [("source", str(res.source)), ("start_wall_iso", iso),
            ("subject_id", res.session.get("subject_id", "")), ("notes", res.session.get("notes", "")),
            ("software_version", res.session.get("software_version", ""))]
    return pd.DataFrame(rows, columns=["key", "value"])


def tables_for(res: Results, what: tuple[str, ...],
               samples: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The tables to write, by file stem; ``samples`` (placement -> decoded samples) for "samples"."""
    out: dict[str, pd.DataFrame] = {"session": _session_table(res)}
    for name in what:
        if name == "strides":
            out["strides"] = res.strides
        elif name == "bouts":
            out["bouts"] = res.bouts
        elif name == "summary":
            out["summary"] = summary_table(representative_strides(res.strides, res.bouts))
        elif name == "angles":
            if res.angles.empty:
                raise UserError(f"{res.source}: no angles (angles.parquet) to export")
            out["angles"] = res.angles
        elif name == "samples":
            if samples is None:
                raise UserError(f"{res.source}: samples need the recording; export from the .mcap file")
            out.update(_samples_tables(samples))
        elif name == "events":
            out["events"] = _events_table(res)
        else:
            raise UserError(f"--what {name}: choose from {', '.join(TABLES)}")
    return out


def export_tables(res: Results, what: tuple[str, ...], fmt: str, out_dir: Path,
                  samples: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write the chosen tables of ``res`` (and ``samples``) to ``out_dir`` as csv or parquet; returns
    the paths."""
    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format {fmt}: choose csv or parquet")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, df in tables_for(res, what, samples).items():
        if stem != "session":
            df = with_wall_times(df, res.start_wall_ns)
        path = out_dir / f"{stem}.{fmt}"
        if fmt == "csv":
            safe_for_spreadsheet(df).to_csv(path, index=False, float_format="%.6g")
        else:
            df.to_parquet(path, index=False)
        paths.append(path)
    return paths


__all__ = ["DEFAULT_TABLES", "TABLES", "export_tables", "neutralise_formula", "safe_for_spreadsheet",
           "tables_for", "wall_iso", "with_wall_times"]
