"""Load what a report or an export needs: the analysis tables, the session and its data quality.

A source is either a results directory written by ``imu-logger analyze`` (strides.csv, bouts.csv,
optional angles.parquet, summary.csv, analysis.json) or a recording (.mcap), which is analysed
first through the ``imu-logger analyze`` command into a temporary directory.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.columns import BOUT_COLUMNS, STRIDE_COLUMNS
from imu_logger.formats.csv_import import read_csv_table
from imu_logger.errors import UserError
from imu_logger.k2w.method import K2W_TRIAL_EVENT, k2w_trials_from_events


@dataclass
class Results:
    """One session's analysis results and what is known about the session."""

    source: Path
    label: str
    strides: pd.DataFrame
    bouts: pd.DataFrame
    angles: pd.DataFrame
    summary: pd.DataFrame | None = None  # summary.csv of analyze, when present
    analysis: dict = field(default_factory=dict)  # analysis.json
    recording: Path | None = None
    start_wall_ns: int | None = None
    session: dict[str, str] = field(default_factory=dict)
    inventory: pd.DataFrame | None = None
    gaps: pd.DataFrame | None = None
    events: list[dict] = field(default_factory=list)
    k2w: pd.DataFrame = field(default_factory=pd.DataFrame)


def _read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    return read_csv_table(path, required, absent="missing (is this an 'imu-logger analyze' results directory?)")


def _attach_recording(res: Results, rec_path: Path) -> None:
    """Session metadata, inventory, gaps and events of the recording behind the results."""
    from imu_logger.samples.inventory import inventory
    from imu_logger.recording.reader import read_recording
    from imu_logger.samples.decode import decode_recording

    rec = read_recording(rec_path)
    samples = decode_recording(rec)
    res.recording = rec_path
    res.start_wall_ns = rec.start_wall_ns
    res.session = dict(rec.session)
    res.inventory = inventory(rec, samples)
    gaps = [s.gaps for s in samples.values() if len(s.gaps)]
    res.gaps = pd.concat(gaps, ignore_index=True) if gaps else None
    res.events = list(rec.events)
    add_k2w(res, rec.events)


def add_k2w(res: Results, events: list[dict]) -> None:
    """Append the knee-to-wall trials found in ``events`` to ``res.k2w``."""
    trials = k2w_trials_from_events(events)
    if len(trials):
        res.k2w = pd.concat([res.k2w, trials], ignore_index=True) if len(res.k2w) else trials


def load_results_dir(directory: Path) -> Results:
    """Results of ``imu-logger analyze`` in ``directory``."""
    strides = _read_table(directory / "strides.csv", ("side", "start_s", "end_s"))
    bouts = _read_table(directory / "bouts.csv", tuple(c for c in BOUT_COLUMNS if c != "n_strides_left"
                                                       and c != "n_strides_right"))
    for c in STRIDE_COLUMNS:
        if c not in strides:
            strides[c] = pd.NA if c == "quality" else float("nan")
    angles_path = directory / "angles.parquet"
    angles = pd.read_parquet(angles_path) if angles_path.is_file() else pd.DataFrame({"time_s": []})
    summary_path = directory / "summary.csv"
    summary = pd.read_csv(summary_path) if summary_path.is_file() else None
    info: dict = {}
    info_path = directory / "analysis.json"
    if info_path.is_file():
        try:
            info = json.loads(info_path.read_text())
        except json.JSONDecodeError as exc:
            raise UserError(f"{info_path}: not valid JSON ({exc})") from None
    res = Results(source=directory, label=directory.name, strides=strides, bouts=bouts,
                  angles=angles, summary=summary, analysis=info)
    rec = info.get("recording")
    if rec and Path(rec).is_file():
        _attach_recording(res, Path(rec))
    if res.start_wall_ns is None and info.get("start_wall_ns") is not None:
        res.start_wall_ns = int(info["start_wall_ns"])
    return res


def analyze_recording(recording: Path, out_dir: Path) -> None:
    """Run ``imu-logger analyze RECORDING --out OUT_DIR`` (the documented command) in-process."""
    from imu_logger.commands.analyze import analyze

    try:
        analyze.main([str(recording), "--out", str(out_dir)], standalone_mode=False)
    except UserError as exc:
        raise UserError(f"{recording}: could not be analysed ({exc}); give the results directory "
                        "of 'imu-logger analyze' instead") from None
    except SystemExit as exc:  # click's usage errors
        if exc.code:
            raise UserError(f"{recording}: could not be analysed (analyze exited with {exc.code})") from None


def load_recording_only(path: Path) -> Results:
    """A recording's session, quality and events, with empty analysis tables (no analysis run)."""
    res = Results(source=path, label=path.stem, strides=pd.DataFrame(columns=list(STRIDE_COLUMNS)),
                  bouts=pd.DataFrame(columns=list(BOUT_COLUMNS)), angles=pd.DataFrame({"time_s": []}))
    _attach_recording(res, path)
    return res


def load(source: str | Path, work_dir: Path | None = None) -> Results:
    """Results of a results directory or of a recording (analysed into ``work_dir`` or a temp dir)."""
    path = Path(source)
    if path.is_dir():
        return load_results_dir(path)
    if not path.is_file():
        raise UserError(f"{path}: no such results directory or recording")
    if work_dir is None:
        work_dir = Path(tempfile.mkdtemp(prefix="imu-logger-analysis-"))
    analyze_recording(path, work_dir)
    res = load_results_dir(work_dir)
    res.source, res.label = path, path.stem
    if res.recording is None:
        _attach_recording(res, path)
    return res


__all__ = ["K2W_TRIAL_EVENT", "Results", "add_k2w", "analyze_recording", "load", "load_recording_only", "load_results_dir"]
