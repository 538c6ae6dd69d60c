"""Generic per-sensor CSV files: import into a recording, export decoded samples out of one.

Columns (../shared/DESIGN.md): ``time_s``, ``acc_x``, ``acc_y``, ``acc_z`` (m/s²), ``gyr_x``, ``gyr_y``,
``gyr_z`` (rad/s), optional ``mag_x``, ``mag_y``, ``mag_z`` (µT). Sensor axes are arbitrary. The
columns of ``export --raw`` are accepted too: the same with their SI unit in the name
(``acc_x_mps2``, ``gyr_x_radps``, ``mag_x_ut``) and a ``wall_iso`` column, which import ignores.

Every import checks the declared acceleration unit against gravity: at rest the acceleration norm
is 9.81 m/s², so a file whose norm at rest reads about 1 after conversion was in g (and about 96,
in m/s² declared as g; about 9 810, in mg); that is an error naming the file and the unit it
looks like, never data.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.columns import ACC, GYR, MAG, TIME
from analysis.conventions import GRAVITY_MPS2
from analysis.tables import read_csv_table
from imu_logger.errors import UserError
from imu_logger.recording import generic
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo

CSV_ACC = ("acc_x", "acc_y", "acc_z")
CSV_GYR = ("gyr_x", "gyr_y", "gyr_z")
CSV_MAG = ("mag_x", "mag_y", "mag_z")
ACC_UNITS = {"m/s2": 1.0, "m/s^2": 1.0, "g": GRAVITY_MPS2}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": np.pi / 180.0}
#: the export's unit-named columns, by the generic name they stand for
SI_NAMES = dict(zip((*ACC, *GYR, *MAG), (*CSV_ACC, *CSV_GYR, *CSV_MAG)))
#: the acceleration norm at rest of a plausible import (m/s²): gravity within 20 % (calibration and
#: sensor errors are far smaller; a wrong unit is 9.81x or 1000x off)
REST_NORM_MPS2 = (0.8 * GRAVITY_MPS2, 1.2 * GRAVITY_MPS2)
#: a sample is at rest for that check when the angular rate norm is below this (rad/s)
REST_GYR_RADPS = 0.2


def read_generic_csv(path: str | Path, acc_unit: str = "m/s2", gyro_unit: str = "rad/s"
                     ) -> np.ndarray:
    """Rows (n, 10): time_s, acc (m/s²), gyr (rad/s), mag (µT or NaN). UserError naming the file."""
    path = Path(path)
    df = read_csv_table(path, (TIME,), absent="file not found").rename(columns=SI_NAMES)
    missing = [c for c in (*CSV_ACC, *CSV_GYR) if c not in df.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)} (need time_s, acc_x..z, gyr_x..z; "
                        "optional mag_x..z; or the acc_x_mps2.. columns of export --raw)")
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
    UserError (and no file) when a placement's acceleration at rest is not gravity (check_gravity).
    ``start_wall_ns``: the source's start time where it has one (default: now); ``rates_hz``: the
    nominal rate per placement (default: from the median sample interval); ``shared_clock``: the
    files share one time base (one system's synchronised sensors), so the recording starts at the
    earliest first sample instead of each file's own. Returns samples per placement."""
    for placement, rows in tables.items():
        check_gravity(rows, sources[placement])
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


def check_gravity(rows: np.ndarray, source: str) -> None:
    """UserError naming ``source`` when the acceleration norm at rest of rows (n, 10; acc in m/s²
    after unit conversion) is not gravity; the message says which unit the values look like."""
    acc = np.linalg.norm(rows[:, 1:4], axis=1)
    rest = np.linalg.norm(rows[:, 4:7], axis=1) < REST_GYR_RADPS
    norm = float(np.median(acc[rest] if rest.sum() >= 10 else acc))
    if REST_NORM_MPS2[0] <= norm <= REST_NORM_MPS2[1] or not np.isfinite(norm):
        return
    looks = {"g (pass --acc-unit g)": norm * GRAVITY_MPS2, "m/s² (do not pass --acc-unit g)": norm / GRAVITY_MPS2,
             "mg (divide by 1000 and pass --acc-unit g)": norm * GRAVITY_MPS2 / 1000}
    guess = min(looks, key=lambda k: abs(np.log(looks[k] / GRAVITY_MPS2)))
    raise UserError(f"{source}: the acceleration at rest reads {norm:.3g} m/s² after unit conversion, not "
                    f"gravity (9.81): the values look like {guess}")


def export_raw_csv(samples: dict[str, pd.DataFrame], out_dir: Path, start_wall_ns: int | None) -> list[Path]:
    """Write one CSV per sensor (placement -> decoded samples): time_s and its wall clock, then the SI
    columns with their units in the names; ``imu-logger import csv`` reads it back. Returns the paths."""
    from imu_logger.formats.export import wall_iso

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for placement, data in samples.items():
        cols = [TIME, *ACC, *GYR] + (list(MAG) if set(MAG) <= set(data.columns) else [])
        df = data[cols].copy()
        df.insert(1, "wall_iso", wall_iso(start_wall_ns, df[TIME]))
        path = out_dir / f"{placement}.csv"
        df.to_csv(path, index=False, float_format="%.6g")
        paths.append(path)
    return paths
