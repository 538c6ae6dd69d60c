"""The library API: a recording file to its results in one call.

    from imu_logger.api import analyze_recording
    res = analyze_recording("recordings/sample/walk-1min.mcap")
    res.strides, res.bouts, res.summary, res.angles, res.gait.warnings
    res.save("results/")      # the folder `imu-logger analyze` writes

``load_recording`` reads and decodes a recording once (samples per placement on the host time base,
gaps, session, inventory); ``analyze_recording`` runs an ``analysis.GaitPipeline`` on it. The CLI's
``analyze``, ``report``, ``export`` and ``demo`` go through these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import GaitPipeline, GaitResults
from analysis.columns import BOUT_COLUMNS, STRIDE_COLUMNS, TIME
from analysis.pipeline import Progress
from analysis.summary import summarise
from imu_logger.errors import UserError
from imu_logger.recording.reader import Recording, read_recording
from imu_logger.results import Results
from imu_logger.samples.decode import GAP_COLUMNS, decode_recording
from imu_logger.samples.inventory import decoder_notes, inventory
from imu_logger.sensors.plausibility import IMPLAUSIBLE_SCALE


@dataclass
class RecordingData:
    """A decoded recording: what the analysis needs and what the report says about the session."""

    path: Path
    samples: dict[str, pd.DataFrame]  # placement -> analysis.columns.SAMPLE_COLUMNS (s, m/s², rad/s)
    gaps: pd.DataFrame  # imu_logger.samples.decode.GAP_COLUMNS, every sensor
    session: dict[str, str]
    start_wall_ns: int | None
    inventory: pd.DataFrame  # imu_logger.samples.inventory.INVENTORY_COLUMNS
    events: list[dict]
    truncated: bool  # cut short by a crash: read up to its last complete record
    empty_placements: tuple[str, ...]  # sensors of the session with no samples at all
    notes: tuple[str, ...] = ()  # the decoders' notes ("placement: text"): stop events, implausible scale

    @property
    def duration_s(self) -> float:
        """Time of the last sample of any sensor (s from the recording start)."""
        return max((float(df[TIME].iloc[-1]) for df in self.samples.values()), default=0.0)


def _session_results(data: RecordingData, gait: GaitResults) -> Results:
    res = Results(source=data.path, label=data.path.stem, gait=gait, recording=data.path.resolve(),
                  start_wall_ns=data.start_wall_ns, session=data.session, inventory=data.inventory,
                  events=data.events)
    res.add_k2w(data.events)
    return res


def load_recording(source: str | Path | Recording) -> RecordingData:
    """Decode a recording (its path, or one already read) once. UserError when it is not readable."""
    rec = source if isinstance(source, Recording) else read_recording(source)
    decoded = decode_recording(rec)
    gap_frames = [s.gaps for s in decoded.values() if len(s.gaps)]
    start = rec.session.get("start_wall_ns")
    return RecordingData(
        path=rec.path, samples={p: s.data for p, s in decoded.items() if len(s.data)},
        gaps=pd.concat(gap_frames, ignore_index=True) if gap_frames else pd.DataFrame(columns=list(GAP_COLUMNS)),
        session=dict(rec.session), start_wall_ns=int(start) if start is not None else None,
        inventory=inventory(rec, decoded), events=list(rec.events), truncated=rec.truncated,
        empty_placements=tuple(p for p, s in decoded.items() if not len(s.data)),
        notes=tuple(decoder_notes(decoded)))


def analyze_recording(source: str | Path | RecordingData, pipeline: GaitPipeline | None = None,
                      progress: Progress | None = None) -> Results:
    """Analyse a recording (a path or the result of ``load_recording``) with ``pipeline``
    (default: ``GaitPipeline()``). UserError when the recording holds no samples."""
    data = source if isinstance(source, RecordingData) else load_recording(source)
    if not data.samples:
        raise UserError(f"{data.path}: the recording holds no sensor samples")
    pipe = (pipeline or GaitPipeline()).run(data.samples, data.gaps, progress=progress)
    gait = pipe.results_
    notes = []
    if data.truncated:
        notes.append(f"the recording was cut short (no proper end): analysed its first {data.duration_s:.0f} s, "
                     "up to the last complete record")
    notes += [f"{p}: no samples in the recording" for p in data.empty_placements]
    notes += [n for n in data.notes if IMPLAUSIBLE_SCALE in n]  # a wrong scale is never data without a word
    gait.warnings[:0] = notes
    gait.recording, gait.truncated = str(data.path.resolve()), data.truncated
    return _session_results(data, gait)


def recording_results(data: RecordingData) -> Results:
    """A recording's session, quality and events with empty analysis tables (nothing analysed)."""
    strides = pd.DataFrame(columns=list(STRIDE_COLUMNS))
    bouts = pd.DataFrame(columns=list(BOUT_COLUMNS))
    gait = GaitResults(strides=strides, bouts=bouts, summary=summarise(strides, bouts),
                       angles=pd.DataFrame({TIME: []}), gaps=data.gaps, duration_s=data.duration_s,
                       recording=str(data.path.resolve()), truncated=data.truncated)
    return _session_results(data, gait)


def _attach_context(res: Results, data: RecordingData) -> None:
    res.start_wall_ns, res.session, res.inventory = data.start_wall_ns, data.session, data.inventory
    res.events = data.events
    res.add_k2w(data.events)
    if res.gait.gaps is None:
        res.gait.gaps = data.gaps


def load_results(source: str | Path, pipeline: GaitPipeline | None = None) -> Results:
    """A results folder of ``imu-logger analyze``, or a recording, analysed in memory."""
    path = Path(source)
    if path.is_dir():
        res = Results.load(path)
        if "session" not in res.gait.extra and res.recording is not None and res.recording.is_file():
            _attach_context(res, load_recording(res.recording))  # a folder written before the context was saved
        return res
    if not path.is_file():
        raise UserError(f"{path}: no such results directory or recording")
    return analyze_recording(path, pipeline)


__all__ = ["RecordingData", "analyze_recording", "load_recording", "load_results", "recording_results"]
