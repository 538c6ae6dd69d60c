"""Fast streamed parse of the MCAP records our writer produces, stopping cleanly at a cut.

An all-day recording has ~10^6 records (one small chunk per sensor every half second, for crash
safety). The file is read in blocks of a few MB; compiled loops find the records of a block, open the
chunk headers and walk the records inside the decompressed chunks, so Python touches a chunk once (to
decompress it and check its CRC) and a message never. Each block comes out as one buffer of records
with the position of every message, plus the few channel and metadata records, parsed. Layout per the
MCAP specification (https://mcap.dev/spec): magic, then records of ``opcode u8 | length u64 | content``.

Every record gets an *ordinal*, its place in the file (top-level record number << 24 | place inside its
chunk), so that a reader can tell what came before a damaged record and keep exactly that.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numba
import numpy as np
import zstandard

MAGIC = b"\x89MCAP0\r\n"
OP_FOOTER, OP_CHANNEL, OP_MESSAGE, OP_CHUNK, OP_METADATA, OP_DATA_END = 0x02, 0x04, 0x05, 0x06, 0x0C, 0x0F
_U16, _U32 = struct.Struct("<H"), struct.Struct("<I")
#: message record content before its data: channel id u16, sequence u32, log time u64, publish time u64
MESSAGE_HEAD = 22
BLOCK_BYTES = 4 << 20  # read size: a few MB keeps the buffers small and the compiled loops long
_INNER_BITS = 24  # ordinal = top-level record number << 24 | record number inside its chunk
#: compression codes from the chunk-header loop
_NONE, _ZSTD, _OTHER, _BAD = 0, 1, 2, 3


@dataclass
class ChannelRecord:
    id: int
    topic: str
    message_encoding: str
    metadata: dict[str, str]


@dataclass
class MetadataRecord:
    name: str
    metadata: dict[str, str]


@dataclass
class Block:
    """The records of one stretch of the file, in file order.

    ``data`` holds the records' bytes (decompressed chunks, top-level records copied); message ``k``
    has its payload at ``data[offset[k]:offset[k] + length[k]]``. ``others`` are the channel and
    metadata records with their ordinals. ``end``: the data section closed here (a clean end);
    ``damaged``: the file is cut or damaged after the last record given (nothing follows).
    """

    data: bytes
    ordinal: np.ndarray  # int64, per message
    channel: np.ndarray  # int64, per message
    offset: np.ndarray  # int64, per message
    length: np.ndarray  # int64, per message
    others: list[tuple[int, ChannelRecord | MetadataRecord]] = field(default_factory=list)
    end: bool = False
    damaged: bool = False


@numba.njit(cache=True)
def _u64(buf: np.ndarray, off: int) -> int:
    v = np.uint64(0)
    for k in range(8):
        v |= np.uint64(buf[off + k]) << np.uint64(8 * k)
    return v


@numba.njit(cache=True)
def _u32(buf: np.ndarray, off: int) -> int:
    return np.int64(buf[off]) | (np.int64(buf[off + 1]) << 8) | (np.int64(buf[off + 2]) << 16) | (
        np.int64(buf[off + 3]) << 24)


@numba.njit(cache=True)
def _walk_top(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Complete records of ``buf``: opcode, content start, content length, and the offset after the
    last one. Stops after a data end or footer."""
    cap = buf.size // 9 + 1
    ops, starts, lens = np.empty(cap, np.uint8), np.empty(cap, np.int64), np.empty(cap, np.int64)
    off, n = 0, 0
    while off + 9 <= buf.size:
        op, length = buf[off], _u64(buf, off + 1)
        if length > np.uint64(buf.size - off - 9):  # runs past this buffer: incomplete here
            break
        ops[n], starts[n], lens[n] = op, off + 9, np.int64(length)
        n += 1
        off += 9 + np.int64(length)
        if op == 0x0F or op == 0x02:
            break
    return ops[:n].copy(), starts[:n].copy(), lens[:n].copy(), off


@numba.njit(cache=True)
def _chunk_heads(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per chunk record: uncompressed size, CRC, compression code, compressed data start and length."""
    n = starts.size
    size, crc, comp = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.uint8)
    dstart, dlen = np.empty(n, np.int64), np.empty(n, np.int64)
    for k in range(n):
        s, end = starts[k], starts[k] + lens[k]
        comp[k] = _BAD
        if s + 32 > end:
            continue
        size[k], crc[k] = np.int64(_u64(buf, s + 16)), _u32(buf, s + 24)
        name = _u32(buf, s + 28)
        p = s + 32 + name
        if p + 8 > end:
            continue
        m = _u64(buf, p)
        if m > np.uint64(end - p - 8):
            continue
        dstart[k], dlen[k] = p + 8, np.int64(m)
        if name == 0:
            comp[k] = _NONE
        elif (name == 4 and buf[s + 32] == 0x7A and buf[s + 33] == 0x73 and buf[s + 34] == 0x74
              and buf[s + 35] == 0x64):  # "zstd"
            comp[k] = _ZSTD
        else:
            comp[k] = _OTHER
    return size, crc, comp, dstart, dlen


@numba.njit(cache=True)
def _walk_inner(buf: np.ndarray, seg_start: np.ndarray, seg_end: np.ndarray, seg_ordinal: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Records inside each segment (a decompressed chunk or a copied top-level record): ordinal,
    opcode, content start and length of messages, channels and metadata; then the ordinal of the first
    record cut short (a record running past its segment, a message shorter than its head), or -1."""
    cap = buf.size // 9 + 1
    ords, ops = np.empty(cap, np.int64), np.empty(cap, np.uint8)
    starts, lens = np.empty(cap, np.int64), np.empty(cap, np.int64)
    n, bad = 0, -1
    for k in range(seg_start.size):
        off, end, i = seg_start[k], seg_end[k], 0
        while off < end:
            ordinal = seg_ordinal[k] + i
            if off + 9 > end:
                bad = ordinal
                break
            length = _u64(buf, off + 1)
            if length > np.uint64(end - off - 9):
                bad = ordinal
                break
            op = buf[off]
            if op == 0x05 or op == 0x04 or op == 0x0C:
                if op == 0x05 and length < np.uint64(22):
                    bad = ordinal
                    break
                ords[n], ops[n], starts[n], lens[n] = ordinal, op, off + 9, np.int64(length)
                n += 1
            off += 9 + np.int64(length)
            i += 1
        if bad >= 0:
            break
    return ords[:n].copy(), ops[:n].copy(), starts[:n].copy(), lens[:n].copy(), bad


def _string(buf: memoryview, off: int) -> tuple[str, int]:
    (n,) = _U32.unpack_from(buf, off)
    off += 4
    if off + n > len(buf):
        raise ValueError("string runs past its record")
    return bytes(buf[off:off + n]).decode(), off + n


def _string_map(buf: memoryview, off: int) -> dict[str, str]:
    (size,) = _U32.unpack_from(buf, off)
    off += 4
    end = off + size
    out = {}
    while off < end:
        key, off = _string(buf, off)
        value, off = _string(buf, off)
        out[key] = value
    return out


def _parse_other(op: int, body: memoryview) -> ChannelRecord | MetadataRecord:
    if op == OP_CHANNEL:
        (cid,) = _U16.unpack_from(body, 0)
        topic, p = _string(body, 4)  # skip schema id
        encoding, p = _string(body, p)
        return ChannelRecord(cid, topic, encoding, _string_map(body, p))
    name, p = _string(body, 0)
    return MetadataRecord(name, _string_map(body, p))


@dataclass
class _Segments:
    """The segments of one block, joined: decompressed, CRC-checked chunks and copied top-level records."""

    data: bytes
    sizes: np.ndarray  # int64 per segment
    ordinals: np.ndarray  # int64 per segment: ordinal of its first record


def _segments(raw: bytes, words: np.ndarray, first: int, dctx: zstandard.ZstdDecompressor
              ) -> tuple[_Segments, int, int, bool, int]:
    """Decompress the chunks of a block and copy its message, channel and metadata records.

    Returns the segments, the offset after the last complete record, the number of complete records,
    whether a data end was met, and the ordinal of a damaged record (-1 if none; everything before it
    is in the segments)."""
    ops, starts, lens, consumed = _walk_top(words)
    ended = bool(ops.size) and int(ops[-1]) in (OP_DATA_END, OP_FOOTER)
    is_chunk = ops == OP_CHUNK
    size, crc, comp, dstart, dlen = _chunk_heads(words, starts[is_chunk], lens[is_chunk])
    keep = np.flatnonzero(is_chunk | (ops == OP_MESSAGE) | (ops == OP_CHANNEL) | (ops == OP_METADATA))
    ordinals = (first + keep.astype(np.int64)) << _INNER_BITS
    if keep.size and is_chunk[keep].all() and (comp == _ZSTD).all():
        try:  # the usual block: zstd chunks only, decompressed in one call
            frames = zstandard.BufferWithSegments(raw, np.column_stack([dstart, dlen]).astype("<u8").tobytes())
            out = dctx.multi_decompress_to_buffer(frames, decompressed_sizes=size.astype("<u8").tobytes())
            sizes = np.fromiter(map(len, out), np.int64, len(out))
            crcs = np.fromiter(map(zlib.crc32, out), np.int64, len(out))
            if np.all((crc == 0) | (crcs == crc)):
                return _Segments(b"".join(out), sizes, ordinals), consumed, ops.size, ended, -1
        except zstandard.ZstdError:
            pass  # find the damaged chunk one by one
    parts, sizes = [], []
    chunk_at = np.cumsum(is_chunk) - 1
    view = memoryview(raw)
    size, crc, comp, dstart, dlen = (h.tolist() for h in (size, crc, comp, dstart, dlen))
    for j, (k, ordinal) in enumerate(zip(keep.tolist(), ordinals.tolist())):
        if not is_chunk[k]:
            s = int(starts[k])
            out = raw[s - 9:s + int(lens[k])]
        else:
            c = int(chunk_at[k])
            try:
                if comp[c] == _ZSTD:
                    out = dctx.decompress(view[dstart[c]:dstart[c] + dlen[c]], max_output_size=size[c])
                elif comp[c] == _NONE:
                    out = raw[dstart[c]:dstart[c] + dlen[c]]
                else:
                    out = None  # a foreign compression, or a header cut short
            except zstandard.ZstdError:
                out = None
            if out is None or (crc[c] and zlib.crc32(out) != crc[c]):
                return (_Segments(b"".join(parts), np.asarray(sizes, np.int64), ordinals[:j]), consumed, ops.size,
                        False, ordinal)
        parts.append(out)
        sizes.append(len(out))
    return _Segments(b"".join(parts), np.asarray(sizes, np.int64), ordinals), consumed, ops.size, ended, -1


def read_blocks(file: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """The records of an open MCAP file, a block of about ``block_bytes`` at a time, in order. The
    last block says whether the data section ended (``end``) or the file is cut or damaged
    (``damaged``: everything before the cut is in the blocks). ValueError if it is not MCAP at all."""
    if file.read(len(MAGIC)) != MAGIC:
        raise ValueError("not an MCAP file")
    dctx = zstandard.ZstdDecompressor()
    pending, first, want = b"", 0, block_bytes
    while True:
        more = file.read(want)
        raw = pending + more if pending else more
        words = np.frombuffer(raw, np.uint8)
        seg, consumed, n_top, ended, bad = _segments(raw, words, first, dctx)
        block = _block(seg)
        if block.damaged or bad >= 0:
            block.damaged = True
            yield _before(block, bad) if bad >= 0 else block
            return
        if ended:
            block.end = True
            yield block
            return
        first += n_top
        pending = raw[consumed:]
        if not more:  # end of file: a cut if it falls inside a record
            block.damaged = bool(pending)
            yield block
            return
        yield block
        need = _incomplete_size(np.frombuffer(pending, np.uint8))
        want = max(block_bytes, need - len(pending))


def _incomplete_size(buf: np.ndarray) -> int:
    """Bytes of the record that starts ``buf`` (header included), as far as its header tells."""
    if buf.size < 9:
        return 0
    (length,) = struct.unpack_from("<Q", buf, 1)
    return min(length + 9, 1 << 40)


def _block(seg: _Segments) -> Block:
    """Walk the records inside the segments; parse channels and metadata."""
    data = seg.data
    ends = np.cumsum(seg.sizes)
    ords, ops, starts, lens, bad = _walk_inner(np.frombuffer(data, np.uint8), ends - seg.sizes, ends, seg.ordinals)
    msg = ops == OP_MESSAGE
    words = np.frombuffer(data, np.uint8)
    m_start = starts[msg]
    channel = (words[m_start].astype(np.int64) | (words[m_start + 1].astype(np.int64) << 8)) if m_start.size \
        else np.zeros(0, np.int64)
    block = Block(data, ords[msg], channel, m_start + MESSAGE_HEAD, lens[msg] - MESSAGE_HEAD)
    view = memoryview(data)
    for k in np.flatnonzero(~msg).tolist():
        s, n = int(starts[k]), int(lens[k])
        try:
            block.others.append((int(ords[k]), _parse_other(int(ops[k]), view[s:s + n])))
        except (ValueError, struct.error, UnicodeDecodeError):
            return _before(block, int(ords[k]), damaged=True)
    if bad >= 0:
        block = _before(block, bad, damaged=True)
    return block


def _before(block: Block, ordinal: int, damaged: bool = True) -> Block:
    """The part of ``block`` before the record at ``ordinal``."""
    keep = block.ordinal < ordinal
    return Block(block.data, block.ordinal[keep], block.channel[keep], block.offset[keep], block.length[keep],
                 [(o, r) for o, r in block.others if o < ordinal], end=False, damaged=damaged)
