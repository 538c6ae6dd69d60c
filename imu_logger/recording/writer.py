"""Crash-safe MCAP writer: every ~1 s batch is its own chunk, flushed and fsynced.

A kill or power cut therefore loses at most the batch in flight (about one second): the chunks already
on disk are complete records that the reader streams without the summary section at the end.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from mcap.writer import CompressionType, Writer

from imu_logger import __version__
from imu_logger.output_paths import make_private_dirs
from imu_logger.recording.batch import RawBatch, pack_batch

PROFILE = "imu-logger"
RAW_ENCODING = "imu-logger-raw-v1"
RAW_TOPIC_PREFIX = "raw/"
EVENTS_TOPIC = "events"
SESSION_METADATA = "session"
SESSION_END_METADATA = "session_end"


@dataclass
class SensorInfo:
    """What the recording knows about one sensor (stored as MCAP channel metadata)."""

    placement: str
    model: str
    address: str
    rate_hz: float
    notify_uuids: list[str]
    name: str = ""
    firmware: str = ""

    def to_metadata(self) -> dict[str, str]:
        """String map for the MCAP channel metadata."""
        d = asdict(self)
        d["rate_hz"] = repr(float(self.rate_hz))
        d["notify_uuids"] = json.dumps(self.notify_uuids)
        return d

    @classmethod
    def from_metadata(cls, d: dict[str, str]) -> "SensorInfo":
        """Inverse of :meth:`to_metadata`."""
        return cls(placement=d["placement"], model=d["model"], address=d.get("address", ""),
                   rate_hz=float(d["rate_hz"]), notify_uuids=json.loads(d["notify_uuids"]),
                   name=d.get("name", ""), firmware=d.get("firmware", ""))


@dataclass
class SessionInfo:
    """Session metadata written at the start of the file."""

    start_wall_ns: int
    start_mono_ns: int
    subject_id: str = ""
    backend: str = ""
    notes: str = ""
    software_version: str = __version__
    extra: dict[str, str] = field(default_factory=dict)

    def to_metadata(self) -> dict[str, str]:
        d = {k: str(v) for k, v in asdict(self).items() if k != "extra"}
        d.update(self.extra)
        return d


class RecordingWriter:
    """Append-only writer of one session. Not thread-safe: one task owns it."""

    def __init__(self, path: str | Path, session: SessionInfo, *, fsync: bool = True) -> None:
        self.path = Path(path)
        make_private_dirs(self.path.parent)
        # health data: a new file is owner-only whatever the umask; an existing one keeps its mode
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._fsync = fsync
        # chunk_size=1: each message closes its chunk, so every batch is durable after flush()
        self._mcap = Writer(self._file, chunk_size=1, compression=CompressionType.ZSTD)
        self._mcap.start(profile=PROFILE, library=f"imu-logger {__version__}")
        self._mcap.add_metadata(SESSION_METADATA, session.to_metadata())
        self._schema = self._mcap.register_schema("imu_logger.RawBatch", RAW_ENCODING, b"")
        self._events = self._mcap.register_channel(EVENTS_TOPIC, "json", 0)
        self._channels: dict[str, int] = {}
        self._sequence = 0
        self.flush()

    def add_sensor(self, info: SensorInfo) -> None:
        """Register a sensor's raw channel (once per placement)."""
        if info.placement in self._channels:
            raise ValueError(f"placement {info.placement} registered twice")
        self._channels[info.placement] = self._mcap.register_channel(
            RAW_TOPIC_PREFIX + info.placement, RAW_ENCODING, self._schema, info.to_metadata())

    def write_batch(self, placement: str, batch: RawBatch) -> None:
        """Append the raw notifications of one sensor (log time = last receive time, wall clock)."""
        if len(batch) == 0:
            return
        t = int(batch.host_wall_ns[-1])
        self._sequence += 1
        self._mcap.add_message(self._channels[placement], t, pack_batch(batch), t, self._sequence)

    def write_event(self, kind: str, mono_ns: int, wall_ns: int, placement: str = "",
                    **fields: Any) -> None:
        """Append an event (connect, disconnect, battery, gap, marker...) as a JSON message."""
        event = {"kind": kind, "placement": placement, "mono_ns": mono_ns, "wall_ns": wall_ns, **fields}
        self._sequence += 1
        self._mcap.add_message(self._events, wall_ns, json.dumps(event).encode(), wall_ns,
                               self._sequence)

    def flush(self) -> None:
        """Make everything written so far durable (closes the open chunk, flushes, fsyncs)."""
        self._mcap.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def close(self, end: dict[str, str] | None = None) -> None:
        """Write the end-of-session metadata and the MCAP summary, then close the file."""
        if self._file.closed:
            return
        if end is not None:
            self._mcap.add_metadata(SESSION_END_METADATA, {k: str(v) for k, v in end.items()})
        self._mcap.finish()
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._file.close()
