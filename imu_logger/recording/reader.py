"""Read a recording, complete or cut short by a crash, without any repair step.

The file is streamed record by record; the summary section is not needed. A file that ends in the
middle of a record (kill -9, power cut) yields everything up to the last complete chunk and is
flagged ``truncated``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mcap.exceptions import McapError
from mcap.records import Channel, DataEnd, Footer, Message, Metadata
from mcap.stream_reader import StreamReader

from imu_logger.errors import UserError
from imu_logger.recording.batch import RawBatch, unpack_batch
from imu_logger.recording.writer import (EVENTS_TOPIC, RAW_ENCODING, RAW_TOPIC_PREFIX,
                                         SESSION_END_METADATA, SESSION_METADATA, SensorInfo)

MCAP_MAGIC = b"\x89MCAP0\r\n"


@dataclass
class RawLog:
    """All raw notifications of one sensor, concatenated in receive order."""

    host_mono_ns: np.ndarray
    host_wall_ns: np.ndarray
    char_index: np.ndarray
    connection: np.ndarray  # connection number of each notification
    payloads: list[bytes]

    def __len__(self) -> int:
        return len(self.payloads)


@dataclass
class Recording:
    """A session as read from disk."""

    path: Path
    session: dict[str, str]
    sensors: dict[str, SensorInfo]
    raw: dict[str, RawLog]
    events: list[dict]
    end: dict[str, str] | None
    truncated: bool
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def start_mono_ns(self) -> int:
        return int(self.session["start_mono_ns"])

    @property
    def start_wall_ns(self) -> int:
        return int(self.session["start_wall_ns"])

    def events_of(self, kind: str, placement: str | None = None) -> list[dict]:
        """Events of one kind, optionally of one placement."""
        return [e for e in self.events
                if e["kind"] == kind and (placement is None or e.get("placement") == placement)]


def _concat(batches: list[RawBatch]) -> RawLog:
    if not batches:
        empty = np.zeros(0, np.int64)
        return RawLog(empty, empty.copy(), np.zeros(0, np.uint8), empty.copy(), [])
    payloads: list[bytes] = []
    for b in batches:
        payloads.extend(b.payloads)
    return RawLog(
        np.concatenate([b.host_mono_ns for b in batches]),
        np.concatenate([b.host_wall_ns for b in batches]),
        np.concatenate([b.char_index for b in batches]),
        np.concatenate([np.full(len(b), b.connection, np.int64) for b in batches]),
        payloads,
    )


def read_recording(path: str | Path) -> Recording:
    """Read a recording; UserError naming the file if it is missing, foreign or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such recording")
    with open(path, "rb") as f:
        magic = f.read(len(MCAP_MAGIC))
        if magic != MCAP_MAGIC:
            raise UserError(f"{path}: not an imu-logger recording (not an MCAP file)")
        f.seek(0)
        channels: dict[int, Channel] = {}
        metadata: dict[str, dict[str, str]] = {}
        batches: dict[int, list[RawBatch]] = {}
        events: list[dict] = []
        truncated = True
        try:
            for record in StreamReader(f, validate_crcs=True).records:
                if isinstance(record, Channel):
                    channels[record.id] = record
                elif isinstance(record, Message):
                    channel = channels.get(record.channel_id)
                    if channel is None:
                        continue
                    if channel.topic == EVENTS_TOPIC:
                        events.append(json.loads(record.data))
                    elif channel.message_encoding == RAW_ENCODING:
                        batches.setdefault(record.channel_id, []).append(unpack_batch(record.data))
                elif isinstance(record, Metadata):
                    metadata[record.name] = dict(record.metadata)
                elif isinstance(record, (DataEnd, Footer)):
                    truncated = False
        except (McapError, ValueError, EOFError, KeyError, struct.error):
            # a crash cut the file inside a record: keep what came before it
            truncated = True
            if SESSION_METADATA not in metadata:
                raise UserError(f"{path}: recording is cut short before its session header") from None
    if SESSION_METADATA not in metadata:
        raise UserError(f"{path}: MCAP file without an imu-logger session header (foreign file?)")
    sensors: dict[str, SensorInfo] = {}
    raw: dict[str, RawLog] = {}
    for cid, channel in channels.items():
        if channel.topic.startswith(RAW_TOPIC_PREFIX):
            info = SensorInfo.from_metadata(dict(channel.metadata))
            sensors[info.placement] = info
            raw[info.placement] = _concat(batches.get(cid, []))
    return Recording(path=path, session=metadata[SESSION_METADATA], sensors=sensors, raw=raw,
                     events=events, end=metadata.get(SESSION_END_METADATA), truncated=truncated,
                     metadata=metadata)
