"""Generic per-sensor CSV files: import into a recording, export decoded samples out of one.

Columns (../shared/DESIGN.md): ``time_s``, ``acc_x``, ``acc_y``, ``acc_z`` (m/s²), ``gyr_x``, ``gyr_y``,
``gyr_z`` (rad/s), optional ``mag_x``, ``mag_y``, ``mag_z`` (µT). Sensor axes are arbitrary.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger.errors import UserError
from imu_logger.recording import generic
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo

CSV_ACC = ("acc_x", "acc_y", "acc_z")
CSV_GYR = ("gyr_x", "gyr_y", "gyr_z")
CSV_MAG = ("mag_x", "mag_y", "mag_z")
ACC_UNITS = {"m/s2": 1.0, "m/s^2": 1.0, "g": 9.80665}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": np.pi / 180.0}


def read_csv_table(path: Path, required: tuple[str, ...], *, absent: str, hint: str = "") -> pd.DataFrame:
    """A CSV file with the ``required`` columns; UserError naming the file when it is ``absent``
    (the message's tail), unreadable, or lacks a column (``hint`` appended)."""
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path}: {absent}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}{hint}")
    return df


def read_generic_csv(path: str | Path, acc_unit: str = "m/s2", gyro_unit: str = "rad/s"
                     ) -> np.ndarray:
    """Rows (n, 10): time_s, acc (m/s²), gyr (rad/s), mag (µT or NaN). UserError naming the file."""
    path = Path(path)
    df = read_csv_table(path, (TIME, *CSV_ACC, *CSV_GYR), absent="file not found",
                        hint=" (need time_s, acc_x..z, gyr_x..z; optional mag_x..z)")
    cols = [TIME, *CSV_ACC, *CSV_GYR]
    has_mag = all(c in df.columns for c in CSV_MAG)
    values = df[cols + (list(CSV_MAG) if has_mag else [])].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2  # 1-based, after the header line
        raise UserError(f"{path}: line {row} has a missing or non-numeric value")
    if len(values) < 2:
        raise UserError(f"{path}: fewer than two samples")
    rows = np.full((len(values), 10), np.nan)
    arr = values.to_numpy(float)
    rows[:, :7] = arr[:, :7]
    if has_mag:
        rows[:, 7:] = arr[:, 7:]
    if np.any(np.diff(rows[:, 0]) <= 0):
        raise UserError(f"{path}: time_s must increase strictly")
    rows[:, 1:4] *= ACC_UNITS[acc_unit]
    rows[:, 4:7] *= GYRO_UNITS[gyro_unit]
    return rows


def import_csv(files: dict[str, Path], out: Path, *, acc_unit: str = "m/s2",
               gyro_unit: str = "rad/s", subject_id: str = "") -> dict[str, int]:
    """Build a recording from generic CSVs (placement → file). Returns samples per placement."""
    tables = {p: read_generic_csv(f, acc_unit, gyro_unit) for p, f in files.items()}
    return write_imported(tables, out, {p: str(f) for p, f in files.items()}, subject_id=subject_id)


def write_imported(tables: dict[str, np.ndarray], out: Path, sources: dict[str, str], *,
                   subject_id: str = "", start_wall_ns: int | None = None,
                   rates_hz: dict[str, float] | None = None,
                   extra: dict[str, str] | None = None, shared_clock: bool = False) -> dict[str, int]:
    """Write rows (n, 10) per placement (time_s, acc m/s², gyr rad/s, mag µT or NaN) as a recording
    of the generic model: missing samples are absent rows, so decoding finds the gaps from time_s.
    ``start_wall_ns``: the source's start time where it has one (default: now); ``rates_hz``: the
    nominal rate per placement (default: from the median sample interval); ``shared_clock``: the
    files share one time base (one system's synchronised sensors), so the recording starts at the
    earliest first sample instead of each file's own. Returns samples per placement."""
    start_wall, start_mono = (time.time_ns() if start_wall_ns is None else start_wall_ns), 0
    writer = RecordingWriter(out, SessionInfo(start_wall, start_mono, subject_id, "import",
                                              extra={"imported_from": ", ".join(sources.values()),
                                                     **(extra or {})}))
    counts = {}
    earliest = min(float(r[0, 0]) for r in tables.values())
    for placement, rows in tables.items():
        t0 = earliest if shared_clock else rows[0, 0]
        rows = rows.copy()
        rows[:, 0] -= t0  # the recording starts at the first sample (of each file, or of all)
        rate = ((rates_hz or {}).get(placement)
                or float(np.round(1.0 / np.median(np.diff(rows[:, 0])), 3)))
        writer.add_sensor(SensorInfo(placement, generic.MODEL_KEY, sources[placement], rate, []))
        payloads = generic.pack_rows(rows)
        last_t = rows[np.minimum(np.arange(len(payloads)) * generic.ROWS_PER_NOTIFICATION
                                 + generic.ROWS_PER_NOTIFICATION - 1, len(rows) - 1), 0]
        mono = (last_t * 1e9).astype(np.int64) + start_mono
        writer.write_batch(placement, RawBatch(1, mono, mono + start_wall,
                                               np.zeros(len(payloads), np.uint8), payloads))
        counts[placement] = len(rows)
    writer.close({"duration_s": max(float(r[-1, 0] - (earliest if shared_clock else r[0, 0]))
                                    for r in tables.values())})
    return counts


def export_raw_csv(samples: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write one generic CSV per sensor (placement -> decoded samples, SI units); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for placement, data in samples.items():
        df = pd.DataFrame({TIME: data[TIME]})
        for src, dst in zip((*ACC, *GYR), (*CSV_ACC, *CSV_GYR)):
            df[dst] = data[src]
        if set(MAG) <= set(data.columns):
            for src, dst in zip(MAG, CSV_MAG):
                df[dst] = data[src]
        path = out_dir / f"{placement}.csv"
        df.to_csv(path, index=False, float_format="%.6g")
        paths.append(path)
    return paths
