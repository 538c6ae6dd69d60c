"""Binary layout of one raw batch: the notifications of one sensor received in about one second.

Little-endian, version 1::

    magic  b"IMRB"          4 bytes
    version  uint8 = 1
    connection  uint32      connection number of the sensor (1 = first connect, +1 per reconnect)
    n  uint32               number of notifications
    host_mono_ns  int64[n]  host monotonic receive time
    host_wall_ns  int64[n]  host wall-clock receive time (Unix epoch)
    char_index  uint8[n]    index into the sensor's notify-UUID list (session metadata)
    length  uint16[n]       payload length of each notification
    payload  bytes          the payloads, concatenated in order

Pure functions only; the MCAP writer and reader wrap these.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"IMRB"
VERSION = 1
_HEAD = struct.Struct("<4sBII")


@dataclass
class RawBatch:
    """Notifications of one sensor in receive order (arrays of equal length n)."""

    connection: int
    host_mono_ns: np.ndarray  # int64
    host_wall_ns: np.ndarray  # int64
    char_index: np.ndarray  # uint8
    payloads: list[bytes]

    def __len__(self) -> int:
        return len(self.payloads)


def pack_batch(batch: RawBatch) -> bytes:
    """Serialise a batch to bytes."""
    n = len(batch.payloads)
    lengths = np.fromiter((len(p) for p in batch.payloads), dtype="<u2", count=n)
    return b"".join((
        _HEAD.pack(MAGIC, VERSION, batch.connection, n),
        np.asarray(batch.host_mono_ns, dtype="<i8").tobytes(),
        np.asarray(batch.host_wall_ns, dtype="<i8").tobytes(),
        np.asarray(batch.char_index, dtype="u1").tobytes(),
        lengths.tobytes(),
        *batch.payloads,
    ))


@dataclass
class BatchParts:
    """A raw batch cut into its fields' bytes (mono, wall, char index, lengths, payloads), unparsed."""

    connection: int
    count: int
    fields: tuple[bytes, bytes, bytes, bytes, bytes]


def split_batch(data: bytes | memoryview) -> BatchParts:
    """Cut a batch into its fields without parsing them (the reader parses a sensor's all at once)."""
    if len(data) < _HEAD.size:
        raise ValueError(f"raw batch too short ({len(data)} bytes)")
    magic, version, connection, n = _HEAD.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a raw batch v{VERSION} (magic {bytes(magic)!r}, version {version})")
    a = _HEAD.size
    b, c, d, e = a + 8 * n, a + 16 * n, a + 17 * n, a + 19 * n
    if len(data) < e:
        raise ValueError(f"raw batch cut short: {len(data)} bytes for {n} notifications")
    data = bytes(data)
    lengths = data[d:e]
    if e + sum(struct.unpack(f"<{n}H", lengths)) != len(data):
        raise ValueError("raw batch payload length does not match its index")
    return BatchParts(connection, n, (data[a:b], data[b:c], data[c:d], lengths, data[e:]))


def unpack_batch(data: bytes) -> RawBatch:
    """Parse bytes written by :func:`pack_batch` into a :class:`RawBatch`."""
    parts = split_batch(data)
    mono, wall, index, lengths, payload = parts.fields
    ends = np.cumsum(np.frombuffer(lengths, "<u2").astype(np.int64))
    starts = ends - np.frombuffer(lengths, "<u2")
    return RawBatch(parts.connection, np.frombuffer(mono, "<i8").astype(np.int64),
                    np.frombuffer(wall, "<i8").astype(np.int64), np.frombuffer(index, "u1").copy(),
                    [payload[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
