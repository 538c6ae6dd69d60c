"""Read a recording, complete or cut short by a crash, without any repair step.

The file is streamed record by record; the summary section is not needed. A file that ends in the
middle of a record (kill -9, power cut) yields everything up to the last complete chunk and is
flagged ``truncated``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zstandard

from imu_logger.errors import UserError
from imu_logger.recording.batch import BatchParts, split_batch
from imu_logger.recording.records import ChannelRecord, Cut, MessageRecord, MetadataRecord, read_records
from imu_logger.recording.writer import (EVENTS_TOPIC, RAW_ENCODING, RAW_TOPIC_PREFIX,
                                         SESSION_END_METADATA, SESSION_METADATA, SensorInfo)

MCAP_MAGIC = b"\x89MCAP0\r\n"


class Payloads(Sequence[bytes]):
    """Notification payloads stored back to back in one buffer (no object per notification).

    Indexing gives ``bytes``; ``buffer``, ``offsets`` and ``lengths`` let a decoder work on all
    payloads at once.
    """

    def __init__(self, buffer: bytes, lengths: np.ndarray) -> None:
        self.buffer = buffer
        self.lengths = np.asarray(lengths, np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def __len__(self) -> int:
        return int(self.lengths.size)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        o = int(self.offsets[i])
        return self.buffer[o:o + int(self.lengths[i])]

    def __iter__(self) -> Iterator[bytes]:
        buf = self.buffer
        for o, n in zip(self.offsets.tolist(), self.lengths.tolist()):
            yield buf[o:o + n]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, Payloads)) else NotImplemented

    def select(self, index: np.ndarray) -> "Payloads":
        """The payloads at ``index`` (int array), in that order."""
        index = np.asarray(index, np.int64)
        if index.size == len(self) and np.array_equal(index, np.arange(len(self))):
            return self
        if index.size and np.all(np.diff(index) == 1):  # one contiguous run: slice the buffer
            a, b = int(self.offsets[index[0]]), int(self.offsets[index[-1]] + self.lengths[index[-1]])
            return Payloads(self.buffer[a:b], self.lengths[index])
        return Payloads(b"".join(self[int(i)] for i in index), self.lengths[index])


@dataclass
class RawLog:
    """All raw notifications of one sensor, in receive order."""

    host_mono_ns: np.ndarray
    host_wall_ns: np.ndarray
    char_index: np.ndarray
    connection: np.ndarray  # connection number of each notification
    payloads: Payloads

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


def _concat(parts: list[BatchParts]) -> RawLog:
    """One sensor's batches joined: each field's bytes are concatenated, then parsed once."""
    if not parts:
        empty = np.zeros(0, np.int64)
        return RawLog(empty, empty.copy(), np.zeros(0, np.uint8), empty.copy(), Payloads(b"", empty))
    fields = list(zip(*(p.fields for p in parts)))
    counts = np.array([p.count for p in parts])
    return RawLog(
        np.frombuffer(b"".join(fields[0]), "<i8").astype(np.int64),
        np.frombuffer(b"".join(fields[1]), "<i8").astype(np.int64),
        np.frombuffer(b"".join(fields[2]), "u1").copy(),
        np.repeat(np.array([p.connection for p in parts], np.int64), counts),
        Payloads(b"".join(fields[4]), np.frombuffer(b"".join(fields[3]), "<u2").astype(np.int64)),
    )


def read_recording(path: str | Path) -> Recording:
    """Read a recording; UserError naming the file if it is missing, foreign or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such recording")
    data = path.read_bytes()
    if data[:len(MCAP_MAGIC)] != MCAP_MAGIC:
        raise UserError(f"{path}: not an imu-logger recording (not an MCAP file)")
    channels: dict[int, ChannelRecord] = {}
    metadata: dict[str, dict[str, str]] = {}
    batches: dict[int, list[BatchParts]] = {}
    events: list[dict] = []
    truncated = True
    try:
        for record in read_records(data):
            if isinstance(record, MessageRecord):
                channel = channels.get(record.channel_id)
                if channel is None:
                    continue
                if channel.topic == EVENTS_TOPIC:
                    events.append(json.loads(bytes(record.data)))
                elif channel.message_encoding == RAW_ENCODING:
                    batches.setdefault(record.channel_id, []).append(split_batch(record.data))
            elif isinstance(record, ChannelRecord):
                channels[record.id] = record
            elif isinstance(record, MetadataRecord):
                metadata[record.name] = record.metadata
            else:
                truncated = False
    except (Cut, ValueError, struct.error, UnicodeDecodeError, zstandard.ZstdError):
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
            info = SensorInfo.from_metadata(channel.metadata)
            sensors[info.placement] = info
            raw[info.placement] = _concat(batches.get(cid, []))
    return Recording(path=path, session=metadata[SESSION_METADATA], sensors=sensors, raw=raw,
                     events=events, end=metadata.get(SESSION_END_METADATA), truncated=truncated,
                     metadata=metadata)
