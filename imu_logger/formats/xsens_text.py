"""Xsens MT Manager text exports (MTw Awinda, MTi) and the Movella DOT app's CSV export.

Both write one file per sensor: optional header lines, then one column-header line and one row per
packet. Layouts handled (examples in tests/data/formats/, sources in its README):

* MT Manager 4.x: ``// Start Time:``, ``// Update Rate: 100.0Hz`` ... then tab-separated columns;
  fields of data a packet lacks are empty.
* MT Manager 2020-2022: ``// General information:`` ... ``//  DeviceId: 00B42D4B`` ..., no rate line;
  tab, comma, semicolon or space separated; missing fields ``NaN``.
* The IPOL gait data set: one line ``Acquisition frequency: 100 Hz``, then tab-separated columns.
* Movella DOT app (the DOT SDK's CSV logger): ``sep=,``, ``DeviceTag:,...``, ``OutputRate:,60Hz``,
  ``StartTime:,2023-05-05 17:39:47.307 +0200`` ... then comma-separated ``PacketCounter,
  SampleTimeFine,...`` (SampleTimeFine in µs); every header line padded with commas.

Units (MT Manager's defaults, documented in the MT Manager and DOT user manuals): ``Acc_*`` m/s²
(gravity included; ``FreeAcc_*`` has it removed and cannot be used), ``Gyr_*`` rad/s from MT Manager
and deg/s from the DOT app, ``Mag_*`` in arbitrary units normalised to the field at the magnetic
calibration. Axes are the sensor's own and kept as they are.

Timing: ``PacketCounter`` is a uint16 that wraps at 65536; ``SampleTimeFine`` a uint32 that wraps
at 2^32 ticks (100 µs ticks on MTw/MTi, 1 µs on DOT). Sample times come from the counter and the
rate; a counter jump is a gap (the samples are absent, never interpolated), and so is a row whose
acceleration or angular rate is empty.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imu_logger.errors import UserError
from imu_logger.formats.csv_import import GYRO_UNITS

ACC_COLUMNS = ("Acc_X", "Acc_Y", "Acc_Z")
GYR_COLUMNS = ("Gyr_X", "Gyr_Y", "Gyr_Z")
MAG_COLUMNS = ("Mag_X", "Mag_Y", "Mag_Z")
COUNTER = "PacketCounter"
FINE_TIME = "SampleTimeFine"
COUNTER_WRAP = 1 << 16
FINE_TIME_WRAP = 1 << 32
#: SampleTimeFine ticks per second: MT Manager (MTw, MTi) 10 kHz; the DOT app 1 MHz
FINE_TICKS_MT = 10_000.0
FINE_TICKS_DOT = 1_000_000.0

# "// Update Rate: 100.0Hz" (MT Manager), "Acquisition frequency: 100 Hz" (IPOL), "OutputRate:,60Hz" (DOT)
_RATE = re.compile(r"(?:Update\s*Rate|Acquisition frequency|Output\s*Rate)\s*:[\s,]*([0-9.]+)\s*Hz", re.I)
_DEVICE = re.compile(r"DeviceId\s*:\s*(\w+)|DeviceTag\s*:[\s,]*([^,\s]+)", re.I)
_START = re.compile(r"StartTime\s*:[\s,]*([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+(?: [+-][0-9]{4})?)", re.I)
_DEVICE_IN_NAME = re.compile(r"_([0-9A-F]{8})\.(?:txt|csv)$", re.I)  # MT Manager: ..._00B42D4B.txt
_SEPARATORS = ("\t", ",", ";")


@dataclass(frozen=True)
class XsensTable:
    """One sensor's export: rows (n, 10) time_s, acc m/s², gyr rad/s, mag (field units or NaN)."""

    rows: np.ndarray
    rate_hz: float
    device: str
    lost_samples: int  # packets the counter (or clock) says never reached the file
    start_wall_ns: int | None = None  # the DOT app's "StartTime:" (wall clock of the first sample)


def _header(lines: list[str], path: Path) -> tuple[int, float | None, str, int | None]:
    """Index of the column-header line, and the rate (Hz), device id and start time (ns since the
    epoch) stated above it."""
    rate, device, start = None, "", None
    for i, line in enumerate(lines):
        if m := _RATE.search(line):
            rate = float(m.group(1))
        if m := _DEVICE.search(line):
            device = m.group(1) or m.group(2)
        if m := _START.search(line):
            stamp = pd.Timestamp(m.group(1))
            start = int((stamp if stamp.tzinfo else stamp.tz_localize("UTC")).value)
        if COUNTER in line or FINE_TIME in line or "Acc_X" in line:
            return i, rate, device, start
    raise UserError(f"{path}: no column header with PacketCounter, SampleTimeFine or Acc_X: "
                    "not an Xsens/Movella text export")


def _separator(line: str) -> str:
    """Tab, comma or semicolon; else one space (MT Manager writes an empty field as two spaces)."""
    return next((sep for sep in _SEPARATORS if sep in line), " ")


_BLANKS = ["", "NaN", "nan", "n/a"]


def _numeric_columns(body: str, sep: str, columns: list[str], used: list[str], path: Path, at: int
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The ``used`` columns as floats (NaN where empty) and each row's 1-based line in the file.
    Blank lines and rows of bare separators are dropped. Parsed as floats first (fast); text that is
    no number is then found again as strings, to name its line."""
    options = dict(sep=sep, header=None, names=columns, usecols=used, keep_default_na=False,
                   index_col=False, skip_blank_lines=False)  # blank lines kept: row i is line at + i + 2
    try:
        num = pd.read_csv(io.StringIO(body), dtype=float, na_values=_BLANKS, **options)
    except pd.errors.ParserError as exc:  # a ValueError too: caught first
        raise UserError(f"{path}: rows do not match the column header ({exc})") from None
    except ValueError:
        num = None  # some field is no number: find it below
    if num is None:
        raw = pd.read_csv(io.StringIO(body), dtype=str, **options).fillna("")
        for c in used:
            cell = raw[c].str.strip()
            bad = pd.to_numeric(cell.where(~cell.isin(_BLANKS)), errors="coerce").isna() & ~cell.isin(_BLANKS)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise UserError(f"{path}: line {at + row + 2}: {c} is not a number ({raw[c].iloc[row]!r})")
        num = raw.replace(_BLANKS, np.nan).apply(pd.to_numeric)
    num = num[num.notna().any(axis=1)]
    return {c: num[c].to_numpy(float) for c in used}, num.index.to_numpy() + at + 2


def _unwrap(values: np.ndarray, wrap: int) -> np.ndarray:
    step = np.diff(values.astype(np.int64)) % wrap
    return np.r_[0, np.cumsum(step)]


def read_xsens_text(path: str | Path, *, gyro_unit: str = "rad/s", rate_hz: float | None = None,
                    fine_ticks_per_s: float = FINE_TICKS_MT, mag_scale: float | None = None
                    ) -> XsensTable:
    """Parse one export. ``rate_hz`` overrides the header; ``mag_scale`` turns the normalised
    ``Mag_*`` into µT (the local field strength in µT; None: no magnetometer). UserError naming
    the file and the problem for anything malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text export (binary content; .mtb files need MT Manager "
                        "to export them as text)") from None
    lines = text.splitlines()
    at, header_rate, device, start_ns = _header(lines, path)
    if not device and (m := _DEVICE_IN_NAME.search(path.name)):
        device = m.group(1)
    sep = _separator(lines[at])
    columns = [c.strip() for c in lines[at].rstrip().split(sep)]
    missing = [c for c in (*ACC_COLUMNS, *GYR_COLUMNS) if c not in columns]
    if missing:
        hint = " (FreeAcc has gravity removed: export Acceleration)" if "FreeAcc_X" in columns else ""
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}{hint}")
    if COUNTER not in columns and FINE_TIME not in columns:
        raise UserError(f"{path}: neither {COUNTER} nor {FINE_TIME}: no time base")
    used = [c for c in (COUNTER, FINE_TIME, *ACC_COLUMNS, *GYR_COLUMNS, *MAG_COLUMNS) if c in columns]
    values, line_of = _numeric_columns("\n".join(lines[at + 1:]), sep, columns, used, path, at)
    if len(line_of) < 2:
        raise UserError(f"{path}: fewer than two samples")

    have_counter = COUNTER in values and np.isfinite(values[COUNTER]).all()
    fine = values.get(FINE_TIME)
    have_fine = fine is not None and np.isfinite(fine).all()
    if COUNTER in values and not have_counter and not have_fine:
        row = int(np.flatnonzero(~np.isfinite(values[COUNTER]))[0])
        raise UserError(f"{path}: line {line_of[row]}: empty {COUNTER}")
    rate = rate_hz or header_rate
    if have_counter:
        # the first counter kept: sensors of one Awinda system share it (their time base)
        count = values[COUNTER][0] + _unwrap(values[COUNTER], COUNTER_WRAP)
        if np.any(np.diff(count) == 0):
            row = int(np.flatnonzero(np.diff(count) == 0)[0]) + 1
            raise UserError(f"{path}: line {line_of[row]}: {COUNTER} repeats")
        if rate is None and have_fine:
            ticks = _unwrap(fine, FINE_TIME_WRAP)
            # over the whole file: one period is a whole number of ticks only at some rates (60 Hz: 166/167)
            rate = float(np.round(fine_ticks_per_s * (count[-1] - count[0]) / (ticks[-1] - ticks[0]), 2))
        if rate is None:
            raise UserError(f"{path}: no update rate in the header and no {FINE_TIME}: give --rate HZ")
        t = count / rate
    elif have_fine:
        t = _unwrap(fine, FINE_TIME_WRAP) / fine_ticks_per_s
        if np.any(np.diff(t) <= 0):
            raise UserError(f"{path}: {FINE_TIME} does not increase")
        rate = rate or float(np.round(1.0 / np.median(np.diff(t)), 3))
    else:
        raise UserError(f"{path}: {FINE_TIME} has empty values and there is no {COUNTER}")

    acc = np.column_stack([values[c] for c in ACC_COLUMNS])
    gyr = np.column_stack([values[c] for c in GYR_COLUMNS]) * GYRO_UNITS[gyro_unit]
    rows = np.full((len(t), 10), np.nan)
    rows[:, 0], rows[:, 1:4], rows[:, 4:7] = t, acc, gyr
    if mag_scale is not None and all(c in values for c in MAG_COLUMNS):
        rows[:, 7:10] = np.column_stack([values[c] for c in MAG_COLUMNS]) * mag_scale
    delivered = np.isfinite(rows[:, 1:7]).all(axis=1)  # an empty or NaN sample was not delivered
    rows = rows[delivered]
    if len(rows) < 2:
        raise UserError(f"{path}: fewer than two complete samples")
    expected = int(round((rows[-1, 0] - rows[0, 0]) * rate)) + 1
    return XsensTable(rows, float(rate), device, max(expected - len(rows), 0), start_ns)
