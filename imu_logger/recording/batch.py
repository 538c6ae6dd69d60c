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


def unpack_batch(data: bytes) -> RawBatch:
    """Parse bytes written by :func:`pack_batch`; ValueError with the reason if they are not one."""
    if len(data) < _HEAD.size:
        raise ValueError(f"raw batch too short ({len(data)} bytes)")
    magic, version, connection, n = _HEAD.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a raw batch v{VERSION} (magic {magic!r}, version {version})")
    off = _HEAD.size
    need = off + n * (8 + 8 + 1 + 2)
    if len(data) < need:
        raise ValueError(f"raw batch cut short: {len(data)} bytes for {n} notifications")
    mono = np.frombuffer(data, "<i8", n, off).astype(np.int64)
    wall = np.frombuffer(data, "<i8", n, off + 8 * n).astype(np.int64)
    index = np.frombuffer(data, "u1", n, off + 16 * n).copy()
    lengths = np.frombuffer(data, "<u2", n, off + 17 * n).astype(np.int64)
    off = need
    if off + int(lengths.sum()) != len(data):
        raise ValueError("raw batch payload length does not match its index")
    ends = off + np.cumsum(lengths)
    starts = ends - lengths
    payloads = [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    return RawBatch(connection, mono, wall, index, payloads)
