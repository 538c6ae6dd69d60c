"""BIDS motion (BIDS 1.10 ``motion`` datatype): export a recording as a dataset, import one back.

Layout written (https://bids-specification.readthedocs.io, "Motion"):

    dataset_description.json, README, participants.tsv, participants.json
    sub-<S>/sub-<S>_scans.tsv                                   acq_time of each motion file
    sub-<S>/motion/sub-<S>_task-<T>_tracksys-<P>_run-<N>_{motion.tsv, motion.json, channels.tsv}

One tracking system per sensor: each sensor has its own clock and gaps, and a ``motion.tsv`` is one
table at one rate. Its channels: ACCEL x/y/z (m/s^2), GYRO x/y/z (rad/s), MAGN x/y/z (uT) where the
sensor has one, and a LATENCY channel (s from the ``acq_time`` in scans.tsv, the session start), so
the exact sample times survive. A missing sample is a row of ``n/a`` (``MissingValues``), never a
filled value. Sensor axes are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger import __version__
from imu_logger.errors import UserError
from imu_logger.formats.csv_import import ACC_UNITS, GYRO_UNITS

BIDS_VERSION = "1.10.0"
DEFAULT_TASK = "freeliving"
#: BIDS channel type, our sample columns, unit written
CHANNEL_GROUPS = (("ACCEL", ACC, "m/s^2"), ("GYRO", GYR, "rad/s"), ("MAGN", MAG, "uT"))
#: every channel type of the motion datatype (each gets its recommended *ChannelCount)
CHANNEL_TYPES = ("ACCEL", "ANGACCEL", "GYRO", "JNTANG", "LATENCY", "MAGN", "MISC", "ORNT", "POS", "VEL")
MAG_UNITS = {"uT": 1.0, "µT": 1.0, "μT": 1.0, "nT": 1e-3, "mT": 1e3, "T": 1e6, "G": 100.0, "gauss": 100.0}
LATENCY_UNITS = {"s": 1.0, "seconds": 1.0, "ms": 1e-3}
_BIDS_ACC = {"m/s^2": 1.0, "m/s2": 1.0, "m/s²": 1.0, **ACC_UNITS}
_BIDS_GYR = {"rad/s": 1.0, "deg/s": GYRO_UNITS["deg/s"], "°/s": GYRO_UNITS["deg/s"]}


def label(text: str, fallback: str) -> str:
    """A BIDS label (letters and digits only) from free text; ``fallback`` when none is left."""
    return re.sub(r"[^A-Za-z0-9]", "", text) or fallback


def rows_with_gaps(time_s: np.ndarray, values: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Latency (s) and values with one NaN row per missing sample: where consecutive samples are
    more than 1.5 periods apart, round(interval × rate) − 1 rows are missing (the decoder's gap rule)."""
    step = np.diff(time_s) * rate_hz
    missing = np.where(step > 1.5, np.round(step).astype(np.int64) - 1, 0)
    position = np.arange(len(time_s)) + np.r_[0, np.cumsum(missing)]
    latency = np.full(position[-1] + 1 if len(position) else 0, np.nan)
    out = np.full((len(latency), values.shape[1]), np.nan)
    latency[position], out[position] = time_s, values
    return latency, out


def _iso(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write_tsv(path: Path, df: pd.DataFrame, header: bool = True, float_format: str = "%.7g") -> None:
    df.to_csv(path, sep="\t", index=False, header=header, na_rep="n/a", float_format=float_format,
              lineterminator="\n")


def _dataset_files(root: Path) -> None:
    """dataset_description.json, README and participants.json of a new dataset."""
    root.mkdir(parents=True, exist_ok=True)
    desc = root / "dataset_description.json"
    if not desc.exists():
        desc.write_text(json.dumps({
            "Name": "imu-logger recordings", "BIDSVersion": BIDS_VERSION, "DatasetType": "raw",
            "GeneratedBy": [{"Name": "imu-logger", "Version": __version__}]}, indent=2) + "\n")
    readme = root / "README"
    if not readme.exists():
        readme.write_text("Shin and foot IMU recordings exported by imu-logger as BIDS motion data: one "
                          "tracking system per sensor, sensor axes as recorded, n/a where a sample was "
                          "lost.\n")
    pjson = root / "participants.json"
    if not pjson.exists():
        pjson.write_text(json.dumps({"participant_id": {"Description": "subject id of the recording"}},
                                    indent=2) + "\n")


def _append_row(path: Path, row: dict[str, str], key: str) -> None:
    table = pd.read_csv(path, sep="\t", dtype=str) if path.exists() else pd.DataFrame(columns=list(row))
    if row[key] not in set(table[key]):
        table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
    _write_tsv(path, table)


def _next_run(motion_dir: Path, stem: str) -> int:
    runs = [int(m.group(1)) for p in motion_dir.glob(f"{stem}_tracksys-*_run-*_motion.tsv")
            if (m := re.search(r"_run-(\d+)_", p.name))]
    return max(runs, default=0) + 1


def export_bids(samples: dict[str, pd.DataFrame], rates_hz: dict[str, float], models: dict[str, str],
                start_wall_ns: int, subject_id: str, root: Path, task: str = DEFAULT_TASK) -> list[Path]:
    """Add one recording (placement → decoded samples, s from the session start, SI units) to the
    BIDS dataset at ``root`` (created if absent) as the next run of its subject. Returns the files."""
    _dataset_files(root)
    sub = label(subject_id, "unknown")
    task = label(task, DEFAULT_TASK)
    motion_dir = root / f"sub-{sub}" / "motion"
    motion_dir.mkdir(parents=True, exist_ok=True)
    stem = f"sub-{sub}_task-{task}"
    run = _next_run(motion_dir, stem)
    written: list[Path] = []
    for placement, data in samples.items():
        base = f"{stem}_tracksys-{label(placement, 'imu')}_run-{run}"
        groups = [(t, cols, unit) for t, cols, unit in CHANNEL_GROUPS if set(cols) <= set(data.columns)]
        values = np.column_stack([data[list(cols)].to_numpy(np.float64) for _, cols, _ in groups])
        latency, rows = rows_with_gaps(data[TIME].to_numpy(np.float64), values, rates_hz[placement])
        names = [f"{placement}_{t.lower()}_{axis}" for t, _, _ in groups for axis in "xyz"]
        table = pd.DataFrame(np.column_stack([rows, latency]), columns=[*names, f"{placement}_latency"])
        # six decimals: latency to the µs at any length, samples far below any sensor's resolution
        _write_tsv(motion_dir / f"{base}_motion.tsv", table, header=False, float_format="%.6f")
        channels = pd.DataFrame(
            [(f"{placement}_{t.lower()}_{a}", a, t, placement, unit) for t, _, unit in groups for a in "xyz"]
            + [(f"{placement}_latency", "n/a", "LATENCY", "n/a", "s")],
            columns=["name", "component", "type", "tracked_point", "units"])
        channels["sampling_frequency"] = rates_hz[placement]
        _write_tsv(motion_dir / f"{base}_channels.tsv", channels)
        span = float(latency[-1] - latency[0]) if len(latency) > 1 else 0.0
        sidecar = {
            "TaskName": task, "SamplingFrequency": rates_hz[placement],
            "SamplingFrequencyEffective": (len(latency) - 1) / span if span > 0 else rates_hz[placement],
            "TrackingSystemName": placement, "ManufacturersModelName": models.get(placement, ""),
            "SoftwareVersions": f"imu-logger {__version__}", "RecordingDuration": span,
            "TrackedPointsCount": 1, "MissingValues": "n/a",
            "MotionChannelCount": len(channels),
            **{f"{t}ChannelCount": int((channels["type"] == t).sum()) for t in CHANNEL_TYPES},
            "TaskDescription": "recorded with imu-logger" if task == DEFAULT_TASK else task,
            "SubjectArtefactDescription": "n/a",
        }
        (motion_dir / f"{base}_motion.json").write_text(json.dumps(sidecar, indent=2) + "\n")
        _append_row(root / f"sub-{sub}" / f"sub-{sub}_scans.tsv",
                    {"filename": f"motion/{base}_motion.tsv", "acq_time": _iso(start_wall_ns)}, "filename")
        written += [motion_dir / f"{base}_{suffix}" for suffix in ("motion.tsv", "channels.tsv", "motion.json")]
    _append_row(root / "participants.tsv", {"participant_id": f"sub-{sub}"}, "participant_id")
    return written


@dataclass(frozen=True)
class BidsTrack:
    """One tracked point of a motion file: rows (n, 10) time_s from the earliest acq_time, acc m/s²,
    gyr rad/s, mag µT or NaN; missing samples (n/a rows) are absent."""

    tracked_point: str
    rows: np.ndarray
    rate_hz: float
    acq_time_ns: int | None
    subject: str
    missing: int


def _sidecar(motion_tsv: Path, suffix: str) -> Path:
    path = motion_tsv.with_name(motion_tsv.name.removesuffix("_motion.tsv") + suffix)
    if not path.is_file():
        raise UserError(f"{motion_tsv}: no {path.name} beside it")
    return path


def _acq_time(motion_tsv: Path) -> int | None:
    """acq_time (ns since the epoch, UTC) of the file in its subject's or session's scans.tsv."""
    for parent in (motion_tsv.parent.parent, motion_tsv.parent.parent.parent):
        for scans in parent.glob("*_scans.tsv"):
            table = pd.read_csv(scans, sep="\t", dtype=str)
            hit = table[table["filename"].str.endswith(f"motion/{motion_tsv.name}")]
            if len(hit) and hit["acq_time"].iloc[0] != "n/a":
                stamp = pd.Timestamp(hit["acq_time"].iloc[0])
                stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
                return int(stamp.value)
    return None


def _unit(table: dict[str, float], unit: str, path: Path, channel: str) -> float:
    if unit not in table:
        raise UserError(f"{path}: channel {channel} has unit {unit!r}, expected one of {', '.join(table)}")
    return table[unit]


def read_bids_motion(motion_tsv: str | Path) -> list[BidsTrack]:
    """Every tracked point with ACCEL and GYRO x/y/z channels in one ``*_motion.tsv`` (its
    channels.tsv and motion.json beside it). UserError naming the file for anything malformed."""
    path = Path(motion_tsv)
    if not path.name.endswith("_motion.tsv") or not path.is_file():
        raise UserError(f"{path}: not a BIDS *_motion.tsv file")
    channels = pd.read_csv(_sidecar(path, "_channels.tsv"), sep="\t", dtype=str, keep_default_na=False)
    missing_cols = {"name", "component", "type", "tracked_point", "units"} - set(channels.columns)
    if missing_cols:
        raise UserError(f"{_sidecar(path, '_channels.tsv')}: missing column(s) {', '.join(sorted(missing_cols))}")
    try:
        meta = json.loads(_sidecar(path, "_motion.json").read_text())
        rate = float(meta["SamplingFrequency"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise UserError(f"{_sidecar(path, '_motion.json')}: no numeric SamplingFrequency") from None
    data = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    if data.shape[1] != len(channels):
        raise UserError(f"{path}: {data.shape[1]} columns but {len(channels)} channels in channels.tsv")
    numeric = data.replace("n/a", np.nan).apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & (data != "n/a")
    if bad.to_numpy().any():
        row, col = (int(i[0]) for i in np.nonzero(bad.to_numpy()))
        raise UserError(f"{path}: line {row + 1}, channel {channels['name'].iloc[col]}: not a number")
    values = numeric.to_numpy(np.float64)
    types = channels["type"].str.upper().to_numpy()
    latency_idx = np.flatnonzero(types == "LATENCY")
    if latency_idx.size:
        unit = channels["units"].iloc[latency_idx[0]]
        latency = values[:, latency_idx[0]] * _unit(LATENCY_UNITS, unit, path, "LATENCY")
    else:
        latency = np.arange(len(values)) / rate
    acq = _acq_time(path)
    subject = m.group(1) if (m := re.match(r"sub-([A-Za-z0-9]+)_", path.name)) else ""
    tracks = []
    for point in dict.fromkeys(channels["tracked_point"]):
        rows = np.full((len(values), 10), np.nan)
        rows[:, 0] = latency
        found = set()
        for kind, offset, units in (("ACCEL", 1, _BIDS_ACC), ("GYRO", 4, _BIDS_GYR), ("MAGN", 7, MAG_UNITS)):
            for k, axis in enumerate("xyz"):
                hit = np.flatnonzero((types == kind) & (channels["tracked_point"] == point).to_numpy()
                                     & (channels["component"] == axis).to_numpy())
                if hit.size:
                    i = hit[0]
                    rows[:, offset + k] = values[:, i] * _unit(units, channels["units"].iloc[i], path,
                                                                channels["name"].iloc[i])
                    found.add((kind, axis))
        if not {(k, a) for k in ("ACCEL", "GYRO") for a in "xyz"} <= found:
            continue  # a point without a full accelerometer and gyroscope is not an IMU
        delivered = np.isfinite(rows[:, :7]).all(axis=1)
        kept = rows[delivered]
        if len(kept) < 2:
            raise UserError(f"{path}: tracked point {point} has fewer than two complete samples")
        if np.any(np.diff(kept[:, 0]) <= 0):
            raise UserError(f"{path}: the LATENCY channel of {point} does not increase")
        tracks.append(BidsTrack(point, kept, rate, acq, subject, int((~delivered).sum())))
    if not tracks:
        raise UserError(f"{path}: no tracked point with ACCEL and GYRO x, y, z channels")
    return tracks


def motion_files(source: str | Path) -> list[Path]:
    """``source`` itself (a *_motion.tsv) or every *_motion.tsv below a dataset directory."""
    source = Path(source)
    if source.is_dir():
        found = sorted(source.rglob("*_motion.tsv"))
        if not found:
            raise UserError(f"{source}: no *_motion.tsv files below it")
        return found
    return [source]


def one_recording(files: list[Path]) -> list[Path]:
    """``files`` if they are the tracking systems of one recording (the same name but for
    tracksys-); UserError otherwise."""
    groups = {re.sub(r"_tracksys-[A-Za-z0-9]+", "", f.name) for f in files}
    if len(groups) > 1:
        raise UserError(f"{len(groups)} recordings given ({', '.join(sorted(groups)[:3])}...): "
                        "import the *_motion.tsv files of one at a time")
    return files
