"""`imu-logger import xsens|movella-dot|apdm|axivity|bids`: other systems' files into a recording.

Each subcommand reads its format into rows of time_s, acc (m/s²), gyr (rad/s), mag (µT) per
placement and writes them with the generic CSV import's writer, so every imported recording decodes,
times and analyses like ``import csv``'s: missing samples stay absent rows, found as gaps.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np

from imu_logger.errors import UserError
from imu_logger.output_paths import refuse_overwrite

_GYRO = click.Choice(["rad/s", "deg/s"])


def parse_pairs(items: tuple[str, ...], option: str, *, value: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; UserError naming the option for a malformed or repeated key."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key or not val:
            raise UserError(f"{option} {item}: expected {value}")
        if key in pairs:
            raise UserError(f"{option} {key} given twice")
        pairs[key] = val
    return pairs


def _placement_files(items: tuple[str, ...]) -> dict[str, Path]:
    from imu_logger.capture.config import check_placement

    files = parse_pairs(items, "--placement", value="PLACEMENT=FILE")
    for placement in files:
        check_placement(placement, f"--placement {placement}={files[placement]}")
    return {p: Path(f) for p, f in files.items()}


def _placement_map(items: tuple[str, ...], what: str) -> dict[str, str]:
    from imu_logger.capture.config import check_placement

    mapping = parse_pairs(items, "--placement", value=f"{what}=PLACEMENT")
    for key, placement in mapping.items():
        check_placement(placement, f"--placement {key}={placement}")
    if len(set(mapping.values())) < len(mapping):
        raise UserError("--placement: two sources mapped to one placement")
    return mapping


def _report(counts: dict[str, int], sources: dict[str, str], lost: dict[str, int], out: str) -> None:
    for placement, n in counts.items():
        gap = f" ({lost[placement]} lost, kept as gaps)" if lost.get(placement) else ""
        click.echo(f"{placement}: {n} samples{gap} from {sources[placement]}")
    click.echo(f"wrote {out}")


def _text_import(placements, out, rate, gyro_unit, earth_field_ut, subject, overwrite, *,
                 fine_ticks: float, system: str) -> None:
    from imu_logger.formats.csv_import import write_imported
    from imu_logger.formats.xsens_text import read_xsens_text

    refuse_overwrite(out, overwrite)
    files = _placement_files(placements)
    tables = {p: read_xsens_text(f, gyro_unit=gyro_unit, rate_hz=rate, fine_ticks_per_s=fine_ticks,
                                 mag_scale=earth_field_ut) for p, f in files.items()}
    sources = {p: str(f) for p, f in files.items()}
    starts = [t.start_wall_ns for t in tables.values() if t.start_wall_ns is not None]
    counts = write_imported({p: t.rows for p, t in tables.items()}, Path(out), sources,
                            subject_id=subject, start_wall_ns=min(starts) if starts else None,
                            rates_hz={p: t.rate_hz for p, t in tables.items()},
                            extra={"import_format": system}, shared_clock=system == "xsens")
    _report(counts, sources, {p: t.lost_samples for p, t in tables.items()}, out)


_common = [
    click.option("--placement", "placements", multiple=True, required=True, metavar="PLACEMENT=FILE",
                 help="One exported file per sensor."),
    click.option("--out", type=click.Path(dir_okay=False), required=True),
    click.option("--rate", type=click.FloatRange(min=0.1), default=None,
                 help="Sampling rate in Hz where the file states none."),
    click.option("--earth-field-ut", type=click.FloatRange(min=1.0), default=None,
                 help="Local magnetic field in µT: converts the normalised Mag_* columns "
                      "(default: the magnetometer is not imported)."),
    click.option("--subject", default=""),
    click.option("--overwrite", is_flag=True, help="Replace --out if it exists."),
]


def _with_common(f):
    for option in reversed(_common):
        f = option(f)
    return f


@click.command("xsens")
@_with_common
@click.option("--gyro-unit", type=_GYRO, default="rad/s", show_default=True)
def import_xsens(placements, out, rate, earth_field_ut, subject, overwrite, gyro_unit) -> None:
    """Import Xsens MT Manager text exports (MTw Awinda, MTi; the IPOL data set's files).

    Sensors of one Awinda system share the packet counter, so their files keep one time base."""
    from imu_logger.formats.xsens_text import FINE_TICKS_MT
    _text_import(placements, out, rate, gyro_unit, earth_field_ut, subject, overwrite,
                 fine_ticks=FINE_TICKS_MT, system="xsens")


@click.command("movella-dot")
@_with_common
@click.option("--gyro-unit", type=_GYRO, default="deg/s", show_default=True)
def import_movella_dot(placements, out, rate, earth_field_ut, subject, overwrite, gyro_unit) -> None:
    """Import the Movella DOT app's CSV exports (Acc_* m/s², Gyr_* deg/s), one per sensor."""
    from imu_logger.formats.xsens_text import FINE_TICKS_DOT
    _text_import(placements, out, rate, gyro_unit, earth_field_ut, subject, overwrite,
                 fine_ticks=FINE_TICKS_DOT, system="movella-dot")


def _task_label(motion_tsv: Path) -> str:
    """The task- entity of a BIDS file name (kept so that an export writes the same task)."""
    m = re.search(r"_task-([A-Za-z0-9]+)", motion_tsv.name)
    return m.group(1) if m else ""


@click.command("bids")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--placement", "placements", multiple=True, metavar="TRACKED_POINT=PLACEMENT",
              help="Which tracked point is which sensor (default: tracked points named as placements).")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--subject", default="", help="Subject id (default: the files' sub- label).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def import_bids(sources, placements, out, subject, overwrite) -> None:
    """Import BIDS motion data: the *_motion.tsv files of one recording, or a directory holding them.

    ACCEL and GYRO x/y/z channels per tracked point (MAGN too where present); times from the
    LATENCY channel where there is one; n/a rows are missing samples, kept as gaps."""
    from imu_logger.capture.config import check_placement
    from imu_logger.formats.bids import motion_files, one_recording, read_bids_motion
    from imu_logger.formats.csv_import import write_imported

    refuse_overwrite(out, overwrite)
    mapping = _placement_map(placements, "TRACKED_POINT")
    files = one_recording([f for s in sources for f in motion_files(s)])
    tracks = [(f, t) for f in files for t in read_bids_motion(f)]
    starts = [t.acq_time_ns for _, t in tracks if t.acq_time_ns is not None]
    start = min(starts) if len(starts) == len(tracks) else None
    tables, sources_of, rates, lost = {}, {}, {}, {}
    for f, t in tracks:
        if mapping:
            if t.tracked_point not in mapping:
                continue
            placement = mapping[t.tracked_point]
        else:
            placement = check_placement(t.tracked_point, f"{f}: tracked point (map it with --placement "
                                        f"{t.tracked_point}=PLACEMENT)")
        if placement in tables:
            raise UserError(f"{f}: a second tracked point for {placement}")
        rows = t.rows.copy()
        if start is not None:
            rows[:, 0] += (t.acq_time_ns - start) * 1e-9  # acq_time puts the files on one clock
        tables[placement], sources_of[placement] = rows, f"{f} ({t.tracked_point})"
        rates[placement], lost[placement] = t.rate_hz, t.missing
    if not tables:
        raise UserError(f"none of the tracked points {', '.join(sorted({t.tracked_point for _, t in tracks}))} "
                        "is named by --placement")
    counts = write_imported(tables, Path(out), sources_of, subject_id=subject or tracks[0][1].subject,
                            start_wall_ns=start, rates_hz=rates,
                            extra={"import_format": "bids", "bids_task": _task_label(files[0])},
                            shared_clock=start is not None)
    _report(counts, sources_of, lost, out)


def _lost(rows, rate_hz: float) -> int:
    """Samples missing where consecutive rows are more than 1.5 periods apart (the decoder's gap rule)."""
    step = np.diff(rows[:, 0]) * rate_hz
    return int((np.round(step[step > 1.5]) - 1).sum())


@click.command("apdm")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--placement", "placements", multiple=True, metavar="LABEL=PLACEMENT",
              help="Which sensor (its 'Label 0' or id) is which placement (default: labels such as "
                   "'Left Foot' and 'Lumbar' map by name).")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--subject", default="")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def import_apdm(source, placements, out, subject, overwrite) -> None:
    """Import an APDM Opal recording (.h5, file format version 5); its sensors share one clock."""
    from imu_logger.formats.apdm_h5 import placements_for, read_apdm_h5
    from imu_logger.formats.csv_import import write_imported

    refuse_overwrite(out, overwrite)
    mapping = _placement_map(placements, "LABEL")
    chosen = placements_for(read_apdm_h5(source), mapping, Path(source))
    start_ns = int(round(min(s.rows[0, 0] for s in chosen.values()) * 1e9))
    sources = {p: f"{source} ({s.sensor_id}, {s.label})" for p, s in chosen.items()}
    counts = write_imported({p: s.rows for p, s in chosen.items()}, Path(out), sources,
                            subject_id=subject, start_wall_ns=start_ns,
                            rates_hz={p: s.rate_hz for p, s in chosen.items()},
                            extra={"import_format": "apdm"}, shared_clock=True)
    _report(counts, sources, {p: _lost(s.rows, s.rate_hz) for p, s in chosen.items()}, out)


@click.command("axivity")
@click.option("--placement", "placements", multiple=True, required=True, metavar="PLACEMENT=FILE",
              help="One AX6 .cwa file per sensor.")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--subject", default="")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def import_axivity(placements, out, subject, overwrite) -> None:
    """Import Axivity AX6 .cwa files (read by scikit-digital-health), one per sensor."""
    from imu_logger.formats.axivity_cwa import read_axivity_cwa
    from imu_logger.formats.csv_import import write_imported

    refuse_overwrite(out, overwrite)
    files = _placement_files(placements)
    tables = {p: read_axivity_cwa(f) for p, f in files.items()}
    start_ns = int(round(min(t.rows[0, 0] for t in tables.values()) * 1e9))
    sources = {p: str(f) for p, f in files.items()}
    # each device keeps its own clock, set from the same computer: one time base, to its accuracy
    counts = write_imported({p: t.rows for p, t in tables.items()}, Path(out), sources,
                            subject_id=subject, start_wall_ns=start_ns,
                            rates_hz={p: t.rate_hz for p, t in tables.items()},
                            extra={"import_format": "axivity"}, shared_clock=True)
    _report(counts, sources, {p: _lost(t.rows, t.rate_hz) for p, t in tables.items()}, out)


COMMANDS = (import_xsens, import_movella_dot, import_bids, import_apdm, import_axivity)
