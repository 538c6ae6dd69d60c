"""Which sensors to record: from a TOML config file or from ``--sensor`` options.

Config file::

    subject_id = "P001"
    duration_s = 3600          # optional; omit to record until Ctrl-C
    [[sensors]]
    placement = "left_shin"    # left_shin, left_foot, right_shin, right_foot
    model = "movella_dot"      # see `imu-logger scan`
    address = "D4:22:CD:00:12:34"   # optional: else the first sensor of this model found
    rate_hz = 100              # optional
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analysis.conventions import PLACEMENTS
from imu_logger.errors import UserError
from imu_logger.sensors import get_model
from imu_logger.capture.session import SensorTarget

_SENSOR_KEYS = {"placement", "model", "address", "rate_hz"}
_TOP_KEYS = {"subject_id", "duration_s", "sensors"}


@dataclass
class RecordConfig:
    """What `imu-logger record` needs to know."""

    targets: list[SensorTarget] = field(default_factory=list)
    subject_id: str = ""
    duration_s: float | None = None


def check_placement(placement: str, where: str) -> str:
    """The placement if valid; a UserError naming ``where`` otherwise."""
    if placement not in PLACEMENTS:
        raise UserError(f"{where}: unknown placement {placement!r} "
                        f"(use one of {', '.join(PLACEMENTS)})")
    return placement


def parse_sensor_option(text: str) -> SensorTarget:
    """Parse ``PLACEMENT=MODEL[@ADDRESS]`` from ``--sensor``."""
    where = f"--sensor {text}"
    placement, sep, rest = text.partition("=")
    if not sep or not rest:
        raise UserError(f"{where}: expected PLACEMENT=MODEL[@ADDRESS], e.g. left_foot=movella_dot")
    model, _, address = rest.partition("@")
    check_placement(placement, where)
    try:
        get_model(model)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    return SensorTarget(placement=placement, model=model, address=address or None)


def load_config(path: str | Path) -> RecordConfig:
    """Read a TOML record config; UserError naming the file and the entry at fault."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise UserError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    sensors = doc.get("sensors", [])
    if not isinstance(sensors, list) or not sensors:
        raise UserError(f"{path}: no [[sensors]] entries")
    targets = []
    for i, entry in enumerate(sensors, 1):
        where = f"{path}: sensor {i}"
        if not isinstance(entry, dict) or "placement" not in entry or "model" not in entry:
            raise UserError(f"{where}: needs at least placement and model")
        unknown = set(entry) - _SENSOR_KEYS
        if unknown:
            raise UserError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        check_placement(str(entry["placement"]), where)
        try:
            get_model(str(entry["model"]))
        except UserError as exc:
            raise UserError(f"{where}: {exc}") from None
        rate = entry.get("rate_hz")
        if rate is not None and (not isinstance(rate, (int, float)) or rate <= 0):
            raise UserError(f"{where}: rate_hz must be a positive number")
        targets.append(SensorTarget(str(entry["placement"]), str(entry["model"]),
                                    entry.get("address"), None if rate is None else float(rate)))
    duration = doc.get("duration_s")
    if duration is not None and (not isinstance(duration, (int, float)) or duration <= 0):
        raise UserError(f"{path}: duration_s must be a positive number")
    return RecordConfig(targets, str(doc.get("subject_id", "")),
                        None if duration is None else float(duration))
