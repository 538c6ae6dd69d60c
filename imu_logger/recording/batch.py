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

import numba
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


@numba.njit(cache=True)
def _check(buf: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per batch at ``buf[offsets[k]:offsets[k] + lengths[k]]``: valid (the checks of
    :func:`split_batch`), connection and notification count."""
    m = offsets.size
    ok, connection, count = np.zeros(m, np.bool_), np.zeros(m, np.int64), np.zeros(m, np.int64)
    for k in range(m):
        o, size = offsets[k], lengths[k]
        if size < 13 or buf[o] != 0x49 or buf[o + 1] != 0x4D or buf[o + 2] != 0x52 or buf[o + 3] != 0x42 \
                or buf[o + 4] != VERSION:
            continue
        c = np.int64(0)
        n = np.int64(0)
        for b in range(4):
            c |= np.int64(buf[o + 5 + b]) << (8 * b)
            n |= np.int64(buf[o + 9 + b]) << (8 * b)
        head = 13 + 19 * n
        if size < head:
            continue
        total = np.int64(0)
        d = o + 13 + 17 * n
        for i in range(n):
            total += np.int64(buf[d + 2 * i]) | (np.int64(buf[d + 2 * i + 1]) << 8)
        if head + total == size:
            ok[k], connection[k], count[k] = True, c, n
    return ok, connection, count


@numba.njit(cache=True)
def _gather(buf: np.ndarray, offsets: np.ndarray, counts: np.ndarray, mono: np.ndarray, wall: np.ndarray,
            char: np.ndarray, lens: np.ndarray, payload: np.ndarray) -> None:
    """Copy the fields of valid batches, one after the other, into the byte arrays given."""
    row, at = 0, 0
    for k in range(offsets.size):
        o, n = offsets[k], counts[k]
        mono[8 * row:8 * (row + n)] = buf[o + 13:o + 13 + 8 * n]
        wall[8 * row:8 * (row + n)] = buf[o + 13 + 8 * n:o + 13 + 16 * n]
        char[row:row + n] = buf[o + 13 + 16 * n:o + 13 + 17 * n]
        lens[2 * row:2 * (row + n)] = buf[o + 13 + 17 * n:o + 13 + 19 * n]
        size = 0
        for i in range(n):
            size += np.int64(lens[2 * (row + i)]) | (np.int64(lens[2 * (row + i) + 1]) << 8)
        payload[at:at + size] = buf[o + 13 + 19 * n:o + 13 + 19 * n + size]
        row += n
        at += size


@dataclass
class BatchColumns:
    """The notifications of several batches of one sensor, joined (arrays of equal length n)."""

    host_mono_ns: np.ndarray  # int64
    host_wall_ns: np.ndarray  # int64
    char_index: np.ndarray  # uint8
    connection: np.ndarray  # int64
    lengths: np.ndarray  # int64, payload length of each notification
    payload: bytes  # the payloads, concatenated

    def __len__(self) -> int:
        return int(self.lengths.size)


def check_batches(buf: np.ndarray, offsets: np.ndarray, lengths: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of the batches in ``buf`` (uint8) at ``offsets`` / ``lengths`` are valid, and each
    one's connection and notification count (compiled: one call for thousands of batches)."""
    return _check(buf, np.asarray(offsets, np.int64), np.asarray(lengths, np.int64))


def join_batches(buf: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, connection: np.ndarray,
                 counts: np.ndarray) -> BatchColumns:
    """The fields of the valid batches at ``offsets`` / ``lengths`` (their connections and counts from
    :func:`check_batches`), joined in order."""
    offsets, counts = np.asarray(offsets, np.int64), np.asarray(counts, np.int64)
    n = int(counts.sum())
    mono, wall, char, lens = (np.empty(w * n, np.uint8) for w in (8, 8, 1, 2))
    payload = np.empty(int((np.asarray(lengths, np.int64) - 13 - 19 * counts).sum()), np.uint8)
    _gather(buf, offsets, counts, mono, wall, char, lens, payload)
    return BatchColumns(mono.view("<i8").astype(np.int64), wall.view("<i8").astype(np.int64), char,
                        np.repeat(np.asarray(connection, np.int64), counts), lens.view("<u2").astype(np.int64),
                        payload.tobytes())
