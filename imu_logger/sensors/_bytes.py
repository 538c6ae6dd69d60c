"""Small helpers shared by the sensor-model decoders and device emulators (pure, numpy-only)."""

from __future__ import annotations

import binascii
from typing import Iterator, Sequence

import numba
import numpy as np

from imu_logger.sensors.base import DecodedStream

DEG = np.pi / 180.0


def sig_uuid(short: int) -> str:
    """The 128-bit form of a Bluetooth SIG 16-bit UUID (lower case)."""
    return f"{short:08x}-0000-1000-8000-00805f9b34fb"


BATTERY_SERVICE_UUID = sig_uuid(0x180F)
BATTERY_LEVEL_UUID = sig_uuid(0x2A19)


def empty_stream(with_mag: bool, with_time: bool, with_counter: bool,
                 corrupt: list[tuple[int, str]] | None = None) -> DecodedStream:
    """A stream with no samples (shapes and optional fields as the model produces them)."""
    return DecodedStream(
        acc_mps2=np.zeros((0, 3)), gyr_radps=np.zeros((0, 3)),
        mag_ut=np.zeros((0, 3)) if with_mag else None,
        host_time_s=np.zeros(0), notification_index=np.zeros(0, dtype=np.int64),
        sensor_time_s=np.zeros(0) if with_time else None,
        counter=np.zeros(0, dtype=np.int64) if with_counter else None,
        corrupt=list(corrupt or []),
    )


def check_inputs(model: str, uuids: Sequence[str], payloads: Sequence[bytes],
                 host_time_s: np.ndarray) -> np.ndarray | None:
    """Host times as float64, or None when the three inputs disagree in length (nothing decodable)."""
    host = np.asarray(host_time_s, dtype=np.float64).reshape(-1)
    if len(uuids) != len(payloads) or host.shape[0] != len(payloads):
        return None
    return host


def length_mismatch(model: str, n: int) -> list[tuple[int, str]]:
    """Every notification listed as corrupt because the inputs to decode() had different lengths."""
    return [(i, f"{model}: uuids, payloads and host times differ in length") for i in range(n)]


def quantise(values: np.ndarray, lsb: float, lo: int = -32768, hi: int = 32767) -> np.ndarray:
    """Round ``values / lsb`` to the nearest integer and saturate to [lo, hi] (int64)."""
    q = np.rint(np.asarray(values, dtype=np.float64) / lsb)
    q = np.nan_to_num(q, nan=0.0, posinf=hi, neginf=lo)
    return np.clip(q, lo, hi).astype(np.int64)


def unwrap_with_host(ticks: np.ndarray, modulus: int, tick_s: float,
                     host_time_s: np.ndarray) -> np.ndarray:
    """Unwrap a wrapping tick counter (int array, in receive order) to int64 ticks.

    Each step is taken modulo ``modulus``; the host receive times decide how many whole wraps a
    step spans, so long gaps (a disconnect spanning several wraps) and small backward steps (a
    re-ordered notification) are both unwrapped correctly.
    """
    t = np.asarray(ticks, dtype=np.int64)
    if t.size == 0:
        return t
    step = np.diff(t) % modulus
    host_step = np.diff(np.asarray(host_time_s, dtype=np.float64)) / tick_s
    wraps = np.rint((host_step - step) / modulus)
    wraps = np.nan_to_num(wraps, nan=0.0)
    steps = step + wraps.astype(np.int64) * modulus
    return np.concatenate(([t[0]], t[0] + np.cumsum(steps)))


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    return binascii.crc_hqx(data, 0xFFFF)


def _crc16_table() -> np.ndarray:
    table = np.zeros(256, np.uint16)
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table[byte] = crc & 0xFFFF
    return table


_CRC16_TABLE = _crc16_table()


def _crc16_slice_tables(table: np.ndarray, width: int = 8) -> np.ndarray:
    """Tables for ``width`` bytes at a time: row k maps a byte at place k of a ``width``-byte window
    (register zero, other bytes zero) to the register after the window. The CRC is linear over GF(2),
    so a window's register is the XOR of its bytes' entries, the old register folded into bytes 0 and 1."""
    out = np.zeros((width, 256), np.uint16)
    for k in range(width):
        for x in range(256):
            crc = 0
            for i in range(width):
                b = x if i == k else 0
                crc = ((crc << 8) & 0xFFFF) ^ int(table[((crc >> 8) ^ b) & 0xFF])
            out[k, x] = crc
    return out


_CRC16_SLICES = _crc16_slice_tables(_CRC16_TABLE)


@numba.njit(cache=True)
def _crc16_many(words: np.ndarray, offsets: np.ndarray, sizes: np.ndarray, table: np.ndarray,
                slices: np.ndarray) -> np.ndarray:
    out = np.empty(offsets.size, np.uint16)
    table64, s = table.astype(np.int64), slices.astype(np.int64)
    for k in range(offsets.size):
        crc = np.int64(0xFFFF)
        i, end = offsets[k], offsets[k] + sizes[k]
        while i + 8 <= end:  # eight bytes per step (slicing-by-8)
            crc = (s[0, ((crc >> 8) ^ np.int64(words[i])) & 0xFF] ^ s[1, (crc ^ np.int64(words[i + 1])) & 0xFF]
                   ^ s[2, words[i + 2]] ^ s[3, words[i + 3]] ^ s[4, words[i + 4]] ^ s[5, words[i + 5]]
                   ^ s[6, words[i + 6]] ^ s[7, words[i + 7]])
            i += 8
        while i < end:
            crc = ((crc << 8) & 0xFFFF) ^ table64[((crc >> 8) ^ np.int64(words[i])) & 0xFF]
            i += 1
        out[k] = crc
    return out


def crc16_ccitt_many(buf: bytes, offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """:func:`crc16_ccitt` of ``buf[o:o + n]`` for every offset and size, compiled (one call per day)."""
    return _crc16_many(np.frombuffer(buf, np.uint8), np.asarray(offsets, np.int64),
                       np.asarray(sizes, np.int64), _CRC16_TABLE, _CRC16_SLICES)


class PendingSamples:
    """Samples an emulator has taken but not yet sent (for models that batch samples)."""

    def __init__(self) -> None:
        self.acc = np.zeros((0, 3))
        self.gyr = np.zeros((0, 3))
        self.mag = np.zeros((0, 3))
        self.time = np.zeros(0)

    def push(self, acc: np.ndarray, gyr: np.ndarray, mag: np.ndarray, time_s: np.ndarray) -> None:
        n = np.asarray(time_s).reshape(-1).shape[0]
        self.acc = np.vstack([self.acc, np.asarray(acc, dtype=np.float64).reshape(n, 3)])
        self.gyr = np.vstack([self.gyr, np.asarray(gyr, dtype=np.float64).reshape(n, 3)])
        mag = np.full((n, 3), np.nan) if mag is None else np.asarray(mag, dtype=np.float64).reshape(n, 3)
        self.mag = np.vstack([self.mag, mag])
        self.time = np.concatenate([self.time, np.asarray(time_s, dtype=np.float64).reshape(n)])

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        out = (self.acc[:n], self.gyr[:n], self.mag[:n], self.time[:n])
        self.acc, self.gyr, self.mag, self.time = self.acc[n:], self.gyr[n:], self.mag[n:], self.time[n:]
        return out

    def __len__(self) -> int:
        return int(self.time.shape[0])


class BatteryLevelService:
    """Mixin for models exposing the standard Battery Level characteristic (0x2A19)."""

    key: str

    @property
    def battery_uuid(self) -> str | None:
        return BATTERY_LEVEL_UUID

    def decode_battery(self, data: bytes) -> int:
        return battery_level(self.key, data)


def battery_level(model: str, data: bytes) -> int:
    """Percent from a Battery Level characteristic (0x2A19: one byte, 0-100); ValueError naming the model."""
    if len(data) != 1 or data[0] > 100:
        raise ValueError(f"{model}: battery level value {bytes(data).hex()} is not one byte 0-100")
    return int(data[0])


def sample_block(acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray | None,
                 sensor_time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An encoder's input as float64 arrays: acc, gyr, mag (n, 3; NaN when None) and times (n,)."""
    t = np.asarray(sensor_time_s, dtype=np.float64).reshape(-1)
    n = t.shape[0]
    acc = np.asarray(acc_mps2, dtype=np.float64).reshape(n, 3)
    gyr = np.asarray(gyr_radps, dtype=np.float64).reshape(n, 3)
    mag = np.full((n, 3), np.nan) if mag_ut is None else np.asarray(mag_ut, dtype=np.float64).reshape(n, 3)
    return acc, gyr, mag, t


def packed_payloads(payloads: Sequence[bytes]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """All payloads back to back, with each one's offset and length (int64 arrays).

    A sequence that already stores them so (the recording reader's) is used as it is.
    """
    buffer = getattr(payloads, "buffer", None)
    if buffer is not None:
        return buffer, payloads.offsets, payloads.lengths  # type: ignore[attr-defined]
    items = [bytes(p) for p in payloads]
    lengths = np.fromiter((len(p) for p in items), np.int64, len(items))
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if items else lengths
    return b"".join(items), offsets, lengths


class IndexedUuids(Sequence[str]):
    """Each notification's characteristic UUID, stored as an index into a short list of UUIDs (as a
    recording stores them): no string per notification. Indexing gives the UUID."""

    def __init__(self, names: Sequence[str], index: np.ndarray) -> None:
        self.names = [str(n) for n in names]
        self.index = np.asarray(index, np.int64)

    def __len__(self) -> int:
        return int(self.index.size)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.names[k] for k in self.index[i].tolist()]
        return self.names[int(self.index[i])]

    def __iter__(self) -> Iterator[str]:
        names = self.names
        return (names[k] for k in self.index.tolist())


def uuid_codes(uuids: Sequence[str], codes: dict[str, int], other: int) -> np.ndarray:
    """``codes[uuid.lower()]`` (``other`` for a UUID not in ``codes``) of each notification, int8;
    an :class:`IndexedUuids` is mapped through its short list."""
    if isinstance(uuids, IndexedUuids):
        table = np.array([codes.get(n.lower(), other) for n in uuids.names] or [other], np.int8)
        return table[uuids.index]
    lookup = {u: codes.get(str(u).lower(), other) for u in set(uuids)}
    return np.fromiter((lookup[u] for u in uuids), np.int8, len(uuids))
