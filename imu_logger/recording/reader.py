"""Read a recording, complete or cut short by a crash, without any repair step.

The file is streamed a few MB at a time (imu_logger.recording.records); the summary section is not
needed. A file that ends in the
middle of a record (kill -9, power cut) yields everything up to the last complete chunk and is
flagged ``truncated``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imu_logger.errors import UserError
from imu_logger.recording.batch import BatchColumns, check_batches, join_batches
from imu_logger.recording.records import BLOCK_BYTES, Block, ChannelRecord, MetadataRecord, read_blocks
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


class RecordingScan:
    """A recording streamed block by block: channels, metadata and events as they come, and each
    block's raw notifications per sensor channel. After :meth:`blocks` is exhausted, :meth:`check`
    raises the reader's UserErrors and :attr:`truncated` tells whether the data section closed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"{self.path}: no such recording")
        with open(self.path, "rb") as f:
            if f.read(len(MCAP_MAGIC)) != MCAP_MAGIC:
                raise UserError(f"{self.path}: not an imu-logger recording (not an MCAP file)")
        self.channels: dict[int, ChannelRecord] = {}
        self.metadata: dict[str, dict[str, str]] = {}
        self.events: list[dict] = []
        self.truncated = True
        self.damaged = False  # cut inside a record, or a record that does not parse
        self._defined = np.full(1 << 16, np.iinfo(np.int64).max, np.int64)  # channel id -> its ordinal

    def blocks(self, block_bytes: int = BLOCK_BYTES) -> Iterator[dict[int, BatchColumns]]:
        """Per block of the file: channel id -> the notifications of its raw batches in that block."""
        with open(self.path, "rb") as f:
            for block in read_blocks(f, block_bytes):
                got = self._take(block)
                if got:
                    yield got
                if self.damaged:
                    return

    def _take(self, block: Block) -> dict[int, BatchColumns]:
        added = []
        for ordinal, record in block.others:
            if isinstance(record, ChannelRecord) and record.id not in self.channels:
                self.channels[record.id] = record
                self._defined[record.id] = ordinal
                added.append((ordinal, record.id))
        known = self._defined[block.channel] < block.ordinal
        kinds = np.zeros(1 << 16, np.int8)  # 1 events, 2 raw
        for cid, channel in self.channels.items():
            kinds[cid] = 1 if channel.topic == EVENTS_TOPIC else 2 if channel.message_encoding == RAW_ENCODING else 0
        kind = np.where(known, kinds[block.channel], 0)
        stop = np.iinfo(np.int64).max
        words = np.frombuffer(block.data, np.uint8)
        raw = np.flatnonzero(kind == 2)
        ok, connection, count = check_batches(words, block.offset[raw], block.length[raw])
        if not ok.all():
            stop = int(block.ordinal[raw[np.argmin(ok)]])
        events = []
        for k in np.flatnonzero(kind == 1).tolist():
            if block.ordinal[k] >= stop:
                break
            o, n = int(block.offset[k]), int(block.length[k])
            try:
                events.append(json.loads(block.data[o:o + n]))
            except ValueError:  # JSON or UTF-8: a damaged record
                stop = int(block.ordinal[k])
        self.events += events
        for ordinal, cid in added:
            if ordinal >= stop:
                del self.channels[cid]
                self._defined[cid] = np.iinfo(np.int64).max
        for ordinal, record in block.others:
            if isinstance(record, MetadataRecord) and ordinal < stop:
                self.metadata[record.name] = record.metadata
        if stop < np.iinfo(np.int64).max or block.damaged:
            self.damaged = True
        elif block.end:
            self.truncated = False
        keep = ok & (block.ordinal[raw] < stop)
        raw, connection, count = raw[keep], connection[keep], count[keep]
        out = {}
        channel = block.channel[raw]
        for cid in np.unique(channel).tolist():
            sel = channel == cid
            out[cid] = join_batches(words, block.offset[raw[sel]], block.length[raw[sel]], connection[sel],
                                    count[sel])
        return out

    def check(self) -> None:
        """UserError naming the file if it holds no imu-logger session header."""
        if SESSION_METADATA not in self.metadata:
            if self.damaged:
                raise UserError(f"{self.path}: recording is cut short before its session header")
            raise UserError(f"{self.path}: MCAP file without an imu-logger session header (foreign file?)")

    def sensor_channels(self) -> dict[str, tuple[int, SensorInfo]]:
        """Placement -> (channel id, sensor) of every raw channel, in the order of the file."""
        out = {}
        for cid, channel in self.channels.items():
            if channel.topic.startswith(RAW_TOPIC_PREFIX):
                info = SensorInfo.from_metadata(channel.metadata)
                out[info.placement] = (cid, info)
        return out


def _join(parts: list[BatchColumns]) -> RawLog:
    """One sensor's blocks joined."""
    if not parts:
        empty = np.zeros(0, np.int64)
        return RawLog(empty, empty.copy(), np.zeros(0, np.uint8), empty.copy(), Payloads(b"", empty))
    if len(parts) == 1:
        p = parts[0]
        return RawLog(p.host_mono_ns, p.host_wall_ns, p.char_index, p.connection, Payloads(p.payload, p.lengths))
    return RawLog(*(np.concatenate([getattr(p, name) for p in parts])
                    for name in ("host_mono_ns", "host_wall_ns", "char_index", "connection")),
                  Payloads(b"".join(p.payload for p in parts), np.concatenate([p.lengths for p in parts])))


def read_recording(path: str | Path) -> Recording:
    """Read a recording; UserError naming the file if it is missing, foreign or unreadable."""
    scan = RecordingScan(path)
    parts: dict[int, list[BatchColumns]] = {}
    for got in scan.blocks():
        for cid, columns in got.items():
            parts.setdefault(cid, []).append(columns)
    scan.check()
    sensors: dict[str, SensorInfo] = {}
    raw: dict[str, RawLog] = {}
    for placement, (cid, info) in scan.sensor_channels().items():
        sensors[placement] = info
        raw[placement] = _join(parts.pop(cid, []))
    return Recording(path=scan.path, session=scan.metadata[SESSION_METADATA], sensors=sensors, raw=raw,
                     events=scan.events, end=scan.metadata.get(SESSION_END_METADATA), truncated=scan.truncated,
                     metadata=scan.metadata)
