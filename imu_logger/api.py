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

import tempfile
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


#: recordings longer than this (s) are analysed streamed (analyze_recording): two hours of four 100 Hz
#: sensors take ~0.5 GB whole, and every shorter recording (all tests, snapshots and the sample) keeps
#: the whole-file analysis it had
STREAM_OVER_S = 7200.0
#: bytes per second of a recording of four sensors at 100 Hz (a 7 x 16 h week is 2.7 GB), to estimate
#: the length of a recording cut short, which has no summary
BYTES_PER_S = 6700.0


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


def recording_span_s(path: str | Path) -> float:
    """A recording's length (s) without reading its samples: the MCAP summary's first to last message, or,
    for a recording cut short (no summary), its size at ``BYTES_PER_S`` (which over-estimates the length
    of a recording of fewer or slower sensors, so such a recording is streamed early rather than late)."""
    from mcap.reader import make_reader

    path = Path(path)
    try:
        with open(path, "rb") as f:
            stats = make_reader(f).get_summary().statistics
        return (stats.message_end_time - stats.message_start_time) / 1e9
    except Exception:  # no summary (cut short) or not readable: decode_recording says why later  # noqa: BLE001
        return path.stat().st_size / BYTES_PER_S if path.is_file() else 0.0


def analyze_recording(source: str | Path | RecordingData, pipeline: GaitPipeline | None = None,
                      progress: Progress | None = None, *, stream_over_s: float = STREAM_OVER_S,
                      work_dir: str | Path | None = None) -> Results:
    """Analyse a recording (a path or the result of ``load_recording``) with ``pipeline``
    (default: ``GaitPipeline()``). UserError when the recording holds no samples.

    A path to a recording longer than ``stream_over_s`` (s; see STREAM_OVER_S) is decoded into a private
    temporary sample store (imu_logger.samples.store, in ``work_dir`` or the system's temporary folder;
    removed afterwards) and analysed in pieces (analysis.streamed.StreamedPipeline, with the parameters
    of ``pipeline``), in memory bounded whatever its length."""
    if not isinstance(source, RecordingData) and recording_span_s(source) > stream_over_s:
        return _analyze_streamed(Path(source), pipeline or GaitPipeline(), progress, work_dir)
    data = source if isinstance(source, RecordingData) else load_recording(source)
    if not data.samples:
        raise UserError(f"{data.path}: the recording holds no sensor samples")
    pipe = (pipeline or GaitPipeline()).run(data.samples, data.gaps, progress=progress)
    return _finish(data, pipe.results_, data.duration_s)


def _analyze_streamed(path: Path, pipeline: GaitPipeline, progress: Progress | None,
                      work_dir: str | Path | None) -> Results:
    """analyze_recording of a long recording: decode_to_store, then the streamed pipeline."""
    from analysis.streamed import StreamedPipeline
    from imu_logger.samples.store import decode_to_store

    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="imu-logger-store-", dir=work_dir) as tmp:  # mode 0700: health data
        store = decode_to_store(path, Path(tmp) / "samples")
        if not store.placements:
            raise UserError(f"{path}: the recording holds no sensor samples")
        gait = StreamedPipeline(**pipeline.get_params()).run(store, store.gaps, progress=progress).results_
        start = store.recording.session.get("start_wall_ns")
        data = RecordingData(
            path=store.recording.path, samples={}, gaps=store.gaps, session=dict(store.recording.session),
            start_wall_ns=int(start) if start is not None else None, inventory=store.inventory(),
            events=list(store.recording.events), truncated=store.truncated,
            empty_placements=store.empty_placements, notes=tuple(store.notes()))
        duration = max(store.span_s(p)[1] for p in store.placements)
    return _finish(data, gait, duration)


def _finish(data: RecordingData, gait: GaitResults, duration_s: float) -> Results:
    """The analysis's results with the recording's notes and context."""
    notes = []
    if data.truncated:
        notes.append(f"the recording was cut short (no proper end): analysed its first {duration_s:.0f} s, "
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


__all__ = ["STREAM_OVER_S", "RecordingData", "analyze_recording", "recording_span_s", "load_recording", "load_results", "recording_results"]
