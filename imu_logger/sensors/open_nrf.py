"""Our own open packet format for a home-built nRF52840 IMU sensor: host side and reference emulator.

Packet (little-endian), specified fully in firmware_notes/open_nrf.md:

    0  u8   version (1)
    1  u8   flags: b0 FIFO overflow before this packet, b1 magnetometer present, b2-b7 zero
    2  u32  sequence number of the first sample (counts samples; +n per packet)
    6  u32  device clock at the first sample, µs (wraps every 2^32 µs = 71.6 min)
    10 u16  sample period, µs
    12 u8   n, samples in this packet (>= 1)
    13 u8   accelerometer full scale, g (2, 4, 8, 16)
    14 u16  gyroscope full scale, °/s (125, 250, 500, 1000, 2000)
    16      n × (acc x y z, gyro x y z[, mag x y z]) int16; acc/gyro LSB = full scale / 32768, mag 1/16 µT
    end-2 u16 CRC-16/CCITT-FALSE of every byte before it
"""

from __future__ import annotations

import struct
from typing import Sequence

import numba
import numpy as np

from imu_logger.sensors._bytes import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, DEG, PendingSamples, BatteryLevelService, check_inputs, crc16_ccitt,
    crc16_ccitt_many,
    empty_stream, length_mismatch, packed_payloads, quantise, sample_block, unwrap_with_host, uuid_codes,
)
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import (
    CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)
from imu_logger.sensors.plausibility import with_gravity_check


def onrf_uuid(short: int) -> str:
    """An attribute UUID of the open format (our own 128-bit base d7a4xxxx-3b1e-4c6f-a2e8-91f05c7b3e64)."""
    return f"d7a4{short:04x}-3b1e-4c6f-a2e8-91f05c7b3e64"


SERVICE_UUID = onrf_uuid(0x0001)
DATA_UUID = onrf_uuid(0x0002)
CONTROL_UUID = onrf_uuid(0x0003)

VERSION = 1
FLAG_OVERFLOW = 0x01
FLAG_MAG = 0x02
HEADER = struct.Struct("<BBIIHBBH")
HEADER_LEN = HEADER.size  # 16
CRC_LEN = 2
MAG_LSB_UT = 1.0 / 16.0
ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (125, 250, 500, 1000, 2000)
OP_START, OP_STOP = 0x01, 0x02
STATUS_OK, STATUS_BAD_LENGTH, STATUS_BAD_PARAMETER, STATUS_UNKNOWN_OP = 0, 1, 2, 3
START = struct.Struct("<BHBHB")  # op, rate Hz, acc range g, gyro range dps, options (b0 mag)
RATES_HZ = (100.0, 50.0, 200.0, 400.0)
SEQ_MODULUS = 2 ** 32
TIME_MODULUS = 2 ** 32
#: samples per packet of the reference firmware; 16 + 8 × 12 + 2 = 114 bytes fit an ATT MTU of 117
SAMPLES_PER_PACKET = 8
DEFAULT_ACC_RANGE_G = 16
DEFAULT_GYR_RANGE_DPS = 2000


def build_packet(first_seq: int, t_first_us: int, period_us: int, acc_range_g: int, gyr_range_dps: int,
                 raw: np.ndarray, overflow: bool = False) -> bytes:
    """One packet from (n, 6) or (n, 9) int16 raw samples (the last 3 columns magnetometer)."""
    raw = np.asarray(raw, dtype="<i2")
    flags = (FLAG_OVERFLOW if overflow else 0) | (FLAG_MAG if raw.shape[1] == 9 else 0)
    head = HEADER.pack(VERSION, flags, first_seq % SEQ_MODULUS, t_first_us % TIME_MODULUS, period_us,
                       raw.shape[0], acc_range_g, gyr_range_dps)
    body = head + raw.tobytes()
    return body + crc16_ccitt(body).to_bytes(2, "little")


def _check_packet(p: bytes) -> str | None:
    """Why the packet is malformed, or None if it is valid."""
    if len(p) < HEADER_LEN + CRC_LEN:
        return f"{len(p)} bytes, shorter than header and CRC"
    if int.from_bytes(p[-2:], "little") != crc16_ccitt(p[:-2]):
        return "CRC mismatch"
    version, flags, _, _, period, n, acc_g, gyr_dps = HEADER.unpack_from(p)
    if version != VERSION:
        return f"unsupported version {version}"
    if flags & ~(FLAG_OVERFLOW | FLAG_MAG):
        return f"reserved flag bits set (0x{flags:02x})"
    stride = 18 if flags & FLAG_MAG else 12
    if n == 0 or len(p) != HEADER_LEN + n * stride + CRC_LEN:
        return f"length {len(p)} does not match {n} samples"
    if period == 0 or acc_g not in ACC_RANGES_G or gyr_dps not in GYR_RANGES_DPS:
        return "invalid sample period or full-scale field"
    return None


_HEADER_DTYPE = np.dtype([("version", "u1"), ("flags", "u1"), ("seq", "<u4"), ("t_us", "<u4"),
                          ("period_us", "<u2"), ("count", "u1"), ("acc_g", "u1"), ("gyr_dps", "<u2")])


def _byte(buf: bytes, offsets: np.ndarray, k: int) -> np.ndarray:
    """Byte ``k`` of each payload (0 where a payload is shorter)."""
    words = np.frombuffer(buf, np.uint8)
    at = offsets + k
    return np.where(at < words.size, words[np.minimum(at, max(words.size - 1, 0))], 0) if words.size else at * 0


@numba.njit(cache=True)
def _copy_rows(words: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((offsets.size, width), np.uint8)
    for k in range(offsets.size):
        out[k] = words[offsets[k]:offsets[k] + width]
    return out


def _headers(buf: bytes, offsets: np.ndarray) -> np.ndarray:
    """The 16-byte headers at ``offsets``, as a structured array."""
    rows = _copy_rows(np.frombuffer(buf, np.uint8), np.asarray(offsets, np.int64), HEADER_LEN)
    return rows.view(_HEADER_DTYPE)[:, 0]


def _valid_packets(buf: bytes, offsets: np.ndarray, lengths: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Which candidate payloads are whole, valid packets (the checks of :func:`_check_packet`)."""
    ok = candidate & (lengths >= HEADER_LEN + CRC_LEN)
    i = np.flatnonzero(ok)
    words = np.frombuffer(buf, np.uint8)
    end = offsets[i] + lengths[i]
    stored = words[end - 2].astype(np.uint16) | (words[end - 1].astype(np.uint16) << 8)
    ok[i] = crc16_ccitt_many(buf, offsets[i], lengths[i] - CRC_LEN) == stored
    if not ok.any():
        return ok
    i = np.flatnonzero(ok)
    h = _headers(buf, offsets[i])
    stride = np.where(h["flags"] & FLAG_MAG, 18, 12)
    fine = ((h["version"] == VERSION) & ((h["flags"] & (0xFF ^ (FLAG_OVERFLOW | FLAG_MAG))) == 0)
            & (h["count"] > 0) & (lengths[i] == HEADER_LEN + h["count"].astype(np.int64) * stride + CRC_LEN)
            & (h["period_us"] > 0) & np.isin(h["acc_g"], ACC_RANGES_G) & np.isin(h["gyr_dps"], GYR_RANGES_DPS))
    ok[i[~fine]] = False
    return ok


@numba.njit(cache=True)
def _raw_samples(words: np.ndarray, offsets: np.ndarray, counts: np.ndarray, has_mag: np.ndarray, acc: np.ndarray,
                 gyr: np.ndarray, mag: np.ndarray) -> None:
    """The int16 samples of the packets at ``offsets`` into acc, gyr (and mag for packets with one), in
    packet order, unscaled. One pass over the bytes instead of a strided copy per axis."""
    row = 0
    for k in range(offsets.size):
        width = 9 if has_mag[k] else 6
        at = offsets[k] + HEADER_LEN
        for _ in range(counts[k]):
            for c in range(width):
                v = np.int64(words[at]) | (np.int64(words[at + 1]) << 8)
                v = v - 65536 if v >= 32768 else v
                if c < 3:
                    acc[row, c] = v
                elif c < 6:
                    gyr[row, c - 3] = v
                else:
                    mag[row, c - 6] = v
                at += 2
            row += 1


@numba.njit(cache=True)
def _per_sample(count: np.ndarray, host_s: np.ndarray, note: np.ndarray, first_s: np.ndarray, period_s: np.ndarray,
                first_seq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per sample, from per packet: receive time, notification index, sensor time (first + i x period)
    and counter (first + i), i the sample's place in its packet. One pass instead of a repeat each."""
    n = int(count.sum())
    host, index, sensor, counter = np.empty(n), np.empty(n, np.int64), np.empty(n), np.empty(n, np.int64)
    row = 0
    for k in range(count.size):
        for i in range(count[k]):
            host[row], index[row] = host_s[k], note[k]
            sensor[row] = first_s[k] + i * period_s[k]
            counter[row] = first_seq[k] + i
            row += 1
    return host, index, sensor, counter


class OpenNrf(BatteryLevelService, SensorModel):
    """Open nRF52840 format: batched samples, sample sequence numbers, µs clock, overflow flag, CRC."""

    key = "open_nrf"
    display_name = "Open nRF52840 IMU"
    name_prefix = "OpenIMU"
    rates_hz = RATES_HZ
    acc_range_mps2 = DEFAULT_ACC_RANGE_G * GRAVITY_MPS2
    gyr_range_radps = DEFAULT_GYR_RANGE_DPS * DEG
    has_sensor_time = True
    has_counter = True
    min_mtu = HEADER_LEN + SAMPLES_PER_PACKET * 12 + CRC_LEN + 3

    def services(self) -> tuple[ServiceSpec, ...]:
        return (
            ServiceSpec(SERVICE_UUID, (
                CharacteristicSpec(DATA_UUID, ("notify",), description="sample packets"),
                CharacteristicSpec(CONTROL_UUID, ("write", "notify"), description="start/stop; replies [op|0x80, status]"),
            )),
            ServiceSpec(BATTERY_SERVICE_UUID, (
                CharacteristicSpec(BATTERY_LEVEL_UUID, ("read", "notify"), bytes([100]), "battery level %"),
            )),
        )

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (DATA_UUID,)

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        rate = int(self.nominal_rate(rate_hz))
        return [GattWrite(CONTROL_UUID, START.pack(OP_START, rate, DEFAULT_ACC_RANGE_G, DEFAULT_GYR_RANGE_DPS, 0))]

    def stop_commands(self) -> list[GattWrite]:
        return [GattWrite(CONTROL_UUID, bytes([OP_STOP]))]

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(True, True, True, length_mismatch(self.key, len(payloads)))
        buf, offsets, lengths = packed_payloads(payloads)
        kind = uuid_codes(uuids, {DATA_UUID: 0, CONTROL_UUID: 1}, 2)
        reply = (kind == 1) & (lengths == 2) & (_byte(buf, offsets, 0) & 0x80 > 0)
        corrupt = [(int(i), f"open_nrf: notification from unexpected characteristic {uuids[i]}")
                   for i in np.flatnonzero((kind != 0) & ~reply)]
        good = _valid_packets(buf, offsets, lengths, kind == 0)
        for i in np.flatnonzero((kind == 0) & ~good):  # few: say why, one by one
            corrupt.append((int(i), f"open_nrf: {_check_packet(buf[offsets[i]:offsets[i] + lengths[i]])}"))
        corrupt.sort()
        idx = np.flatnonzero(good)
        if idx.size == 0:
            return empty_stream(True, True, True, corrupt)
        head = _headers(buf, offsets[idx])
        n_arr = head["count"].astype(np.int64)
        mag_flag = (head["flags"] & FLAG_MAG) > 0
        notes = [(int(i), "open_nrf: sensor FIFO overflowed, samples lost before this packet")
                 for i in idx[(head["flags"] & FLAG_OVERFLOW) > 0]]
        total = int(n_arr.sum())
        # one contiguous array per sensor: later passes (checks, tables) read each at full speed
        # without a magnetometer, mag is a read-only NaN view: no 24 bytes per sample of memory
        acc, gyr = np.empty((total, 3)), np.empty((total, 3))
        mag = np.full((total, 3), np.nan) if mag_flag.any() else np.broadcast_to(np.nan, (total, 3))
        _raw_samples(np.frombuffer(buf, np.uint8), offsets[idx], n_arr, mag_flag, acc, gyr,
                     mag if mag_flag.any() else np.zeros((0, 3)))
        for out, field, unit in ((acc, "acc_g", GRAVITY_MPS2), (gyr, "gyr_dps", DEG)):
            full_scale = head[field].astype(np.float64)
            if np.all(full_scale == full_scale[0]):  # one setting all day: no per-sample array
                out *= full_scale[0] * unit / 32768.0
            else:
                out *= (np.repeat(full_scale, n_arr) * unit / 32768.0)[:, None]
        if mag_flag.any():
            mag *= MAG_LSB_UT
        host_p = host[idx]
        per_s = head["period_us"].astype(np.float64) * 1e-6
        seq_u = unwrap_with_host(head["seq"].astype(np.int64), SEQ_MODULUS, float(np.median(per_s)), host_p)
        t_u = unwrap_with_host(head["t_us"].astype(np.int64), TIME_MODULUS, 1e-6, host_p)
        host_s, note_index, sensor_s, counter = _per_sample(n_arr, host_p, idx.astype(np.int64), t_u * 1e-6, per_s, seq_u)
        stream = DecodedStream(acc_mps2=acc, gyr_radps=gyr, mag_ut=mag, host_time_s=host_s,
                               notification_index=note_index, sensor_time_s=sensor_s, counter=counter,
                               corrupt=corrupt, notes=notes)
        return with_gravity_check(self.key, stream)

    def new_device(self, rate_hz: float | None = None) -> OpenNrfDevice:
        return OpenNrfDevice(RATES_HZ[0] if rate_hz is None else self.nominal_rate(rate_hz))


class OpenNrfDevice(DeviceEmulator):
    """Reference device: batches SAMPLES_PER_PACKET samples per notification after a START command."""

    def __init__(self, rate_hz: float = RATES_HZ[0], samples_per_packet: int = SAMPLES_PER_PACKET) -> None:
        self.rate_hz = float(rate_hz)
        self.streaming = False
        self.battery_percent = 100
        self.samples_per_packet = samples_per_packet
        self.acc_range_g = DEFAULT_ACC_RANGE_G
        self.gyr_range_dps = DEFAULT_GYR_RANGE_DPS
        self.with_mag = False
        self.next_seq = 0
        self._pending = PendingSamples()
        self._to_lose = 0
        self._overflowed = False

    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        data = bytes(data)
        if uuid.lower() != CONTROL_UUID or not data:
            return []
        op = data[0]
        if op == OP_START:
            if len(data) != START.size:
                return self._reply(op, STATUS_BAD_LENGTH)
            _, rate, acc_g, gyr_dps, options = START.unpack(data)
            if float(rate) not in RATES_HZ or acc_g not in ACC_RANGES_G or gyr_dps not in GYR_RANGES_DPS:
                return self._reply(op, STATUS_BAD_PARAMETER)
            self.rate_hz, self.acc_range_g, self.gyr_range_dps = float(rate), acc_g, gyr_dps
            self.with_mag = bool(options & 1)
            self.streaming = True
            self._pending = PendingSamples()
            return self._reply(op, STATUS_OK)
        if op == OP_STOP:
            if len(data) != 1:
                return self._reply(op, STATUS_BAD_LENGTH)
            self.streaming = False
            self._pending = PendingSamples()
            return self._reply(op, STATUS_OK)
        return self._reply(op, STATUS_UNKNOWN_OP)

    @staticmethod
    def _reply(op: int, status: int) -> list[tuple[str, bytes]]:
        return [(CONTROL_UUID, bytes([op | 0x80, status]))]

    def read(self, uuid: str) -> bytes | None:
        if uuid.lower() == BATTERY_LEVEL_UUID:
            return bytes([self.battery_percent])
        return None

    def lose_samples(self, count: int) -> None:
        """Simulate a sensor FIFO overflow: the next ``count`` samples are lost, then flagged."""
        self._to_lose += count

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        acc, gyr, mag, t = sample_block(acc_mps2, gyr_radps, mag_ut, sensor_time_s)
        n = t.shape[0]
        lost = min(self._to_lose, n)
        if lost:
            self._to_lose -= lost
            self._overflowed = True
            # Samples still queued belong before the gap: they go out in their own packet first.
            acc, gyr, mag, t = acc[lost:], gyr[lost:], mag[lost:], t[lost:]
        out: list[tuple[str, bytes]] = []
        if lost and len(self._pending):
            out.append(self._packet(len(self._pending), overflow=False))
        self._pending.push(acc, gyr, mag, t)
        while len(self._pending) >= self.samples_per_packet:
            out.append(self._packet(self.samples_per_packet, overflow=self._overflowed))
            self._overflowed = False
        return out

    def _packet(self, n: int, overflow: bool) -> tuple[str, bytes]:
        acc, gyr, mag, t = self._pending.take(n)
        columns = [quantise(acc, self.acc_range_g * GRAVITY_MPS2 / 32768.0),
                   quantise(gyr, self.gyr_range_dps * DEG / 32768.0)]
        if self.with_mag:
            columns.append(quantise(mag, MAG_LSB_UT))
        raw = np.hstack(columns)
        t_first = int(np.rint(t[0] * 1e6))
        packet = build_packet(self.next_seq, t_first, int(round(1e6 / self.rate_hz)), self.acc_range_g,
                              self.gyr_range_dps, raw, overflow)
        self.next_seq = (self.next_seq + n) % SEQ_MODULUS
        return DATA_UUID, packet
