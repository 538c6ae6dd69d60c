"""Axivity AX6 (and AX3) ``.cwa`` files, read with scikit-digital-health's maintained reader
(``skdh.io.ReadCwa``; no hand-written parser of the block format here).

The reader returns acceleration in g and angular rate in °/s (AX6 only; an AX3 has no gyroscope and
cannot be imported) on the device's axes, and timestamps in seconds from the device's clock, which
carries no time zone: they are kept as if they were UTC. Samples the device never wrote are absent,
and a jump in the timestamps is a gap.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imu_logger.errors import UserError
from imu_logger.formats.csv_import import ACC_UNITS, GYRO_UNITS


@dataclass(frozen=True)
class CwaTable:
    """Rows (n, 10): time_s (device clock, s since the epoch), acc m/s², gyr rad/s, mag NaN."""

    rows: np.ndarray
    rate_hz: float


def read_axivity_cwa(path: str | Path) -> CwaTable:
    """One AX6 file. UserError naming the file when it is absent, unreadable or has no gyroscope."""
    from skdh.io import ReadCwa  # imported here: heavy, and only this import needs it

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    with path.open("rb") as f:
        if f.read(2) != b"MD":  # every .cwa starts with its metadata block, "MD"
            raise UserError(f"{path}: not an Axivity .cwa file (no metadata block)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "timestamps are local but naive": said in this module's doc
            data = ReadCwa().predict(file=str(path))
    except Exception as exc:  # the reader's own errors are varied (ValueError, OSError, C errors)
        raise UserError(f"{path}: the .cwa reader failed ({type(exc).__name__}: {exc})") from None
    if data.get("gyro") is None or np.size(data["gyro"]) == 0:
        raise UserError(f"{path}: no gyroscope data (an AX3, or an AX6 set to accelerometer only)")
    time_s = np.asarray(data["time"], np.float64)
    if len(time_s) < 2:
        raise UserError(f"{path}: fewer than two samples")
    rows = np.full((len(time_s), 10), np.nan)
    rows[:, 0] = time_s
    rows[:, 1:4] = np.asarray(data["accel"], np.float64) * ACC_UNITS["g"]
    rows[:, 4:7] = np.asarray(data["gyro"], np.float64) * GYRO_UNITS["deg/s"]
    rows = rows[np.isfinite(rows[:, :7]).all(axis=1)]
    if np.any(np.diff(rows[:, 0]) <= 0):
        raise UserError(f"{path}: timestamps do not increase")
    return CwaTable(rows, float(data["fs"]))
