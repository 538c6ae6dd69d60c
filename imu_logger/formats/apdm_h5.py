"""APDM Opal recordings (Mobility Lab / Moveo Explorer), HDF5 file format version 5.

Layout (APDM, "HDF5 File Format", version 5): root attribute ``FileFormatVersion``; per sensor a
group ``/Sensors/<id>`` with datasets ``Accelerometer`` (n×3, m/s²), ``Gyroscope`` (n×3, rad/s),
``Magnetometer`` (n×3, µT) and ``Time`` (n, µs since 1970-01-01 UTC), and its ``Configuration``
group's attributes, among them ``Label 0`` (where the sensor was worn, e.g. "Left Foot") and
``Sample Rate`` (Hz). The sensors of one recording are synchronised: ``Time`` is their shared clock,
and a jump in it is a gap (samples absent, never interpolated). Axes are the sensor's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.conventions import PLACEMENTS
from imu_logger.errors import UserError

SUPPORTED_VERSION = 5
#: APDM's usual labels that name one of our placements (others are mapped with --placement)
LABEL_PLACEMENTS = {"left foot": "left_foot", "right foot": "right_foot", "lumbar": "lower_back",
                    "left lower leg": "left_shin", "right lower leg": "right_shin",
                    "left shank": "left_shin", "right shank": "right_shin"}


@dataclass(frozen=True)
class ApdmSensor:
    """One Opal: rows (n, 10) time_s (from ``Time``, µs → s since the epoch), acc m/s², gyr rad/s,
    mag µT (NaN if disabled)."""

    sensor_id: str
    label: str
    rate_hz: float
    rows: np.ndarray


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else ""
        return _text(value)
    return str(value).rstrip("\x00").strip()


def read_apdm_h5(path: str | Path) -> list[ApdmSensor]:
    """Every sensor of an APDM v5 .h5 file. UserError naming the file for anything malformed."""
    import h5py  # imported here: only this import needs it

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise UserError(f"{path}: not an HDF5 file") from None
    with f:
        version = f.attrs.get("FileFormatVersion")
        if version is None or "Sensors" not in f:
            raise UserError(f"{path}: not an APDM recording (no FileFormatVersion or /Sensors)")
        if int(np.ravel(version)[0]) != SUPPORTED_VERSION:
            raise UserError(f"{path}: APDM file format version {int(np.ravel(version)[0])}; "
                            f"only version {SUPPORTED_VERSION} is read (re-export it from Mobility Lab)")
        sensors = []
        for sensor_id, group in f["Sensors"].items():
            where = f"{path}: /Sensors/{sensor_id}"
            missing = [d for d in ("Accelerometer", "Gyroscope", "Time", "Configuration") if d not in group]
            if missing:
                raise UserError(f"{where} lacks {', '.join(missing)}")
            config = group["Configuration"].attrs
            label = _text(config.get("Label 0", sensor_id))
            try:
                rate = float(np.ravel(config["Sample Rate"])[0])
            except KeyError:
                raise UserError(f"{where}/Configuration has no 'Sample Rate'") from None
            time_us = np.asarray(group["Time"][()], np.float64).ravel()
            acc = np.asarray(group["Accelerometer"][()], np.float64)
            gyr = np.asarray(group["Gyroscope"][()], np.float64)
            mag = (np.asarray(group["Magnetometer"][()], np.float64) if "Magnetometer" in group
                   else np.full((len(time_us), 3), np.nan))
            for name, arr in (("Accelerometer", acc), ("Gyroscope", gyr), ("Magnetometer", mag)):
                if arr.shape != (len(time_us), 3):
                    raise UserError(f"{where}/{name} has shape {arr.shape}, expected ({len(time_us)}, 3)")
            if len(time_us) < 2:
                raise UserError(f"{where} has fewer than two samples")
            if np.any(np.diff(time_us) <= 0):
                raise UserError(f"{where}/Time does not increase")
            rows = np.column_stack([time_us * 1e-6, acc, gyr, mag])
            rows = rows[np.isfinite(rows[:, :7]).all(axis=1)]
            sensors.append(ApdmSensor(sensor_id, label, rate, rows))
    if not sensors:
        raise UserError(f"{path}: /Sensors is empty")
    return sensors


def placements_for(sensors: list[ApdmSensor], mapping: dict[str, str], path: Path) -> dict[str, ApdmSensor]:
    """Placement → sensor: by ``mapping`` (label or sensor id → placement) where given, else by
    APDM's usual labels. UserError naming the file when a mapped label is absent or none maps."""
    by_key = {s.label: s for s in sensors} | {s.sensor_id: s for s in sensors}
    chosen: dict[str, ApdmSensor] = {}
    if mapping:
        for key, placement in mapping.items():
            if key not in by_key:
                raise UserError(f"{path}: no sensor labelled {key!r} (labels: "
                                f"{', '.join(s.label for s in sensors)})")
            chosen[placement] = by_key[key]
        return chosen
    for s in sensors:
        placement = LABEL_PLACEMENTS.get(s.label.lower(), s.label.lower().replace(" ", "_"))
        if placement in PLACEMENTS and placement not in chosen:
            chosen[placement] = s
    if not chosen:
        raise UserError(f"{path}: no label names a placement ({', '.join(s.label for s in sensors)}): "
                        "map them with --placement LABEL=PLACEMENT")
    return chosen
