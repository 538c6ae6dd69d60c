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

import numpy as np

from imu_logger.sensors._bytes import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, DEG, PendingSamples, battery_level, check_inputs, crc16_ccitt,
    empty_stream, length_mismatch, quantise, sample_block, unwrap_with_host,
)
from imu_logger.sensors.base import (
    GRAVITY_MPS2, CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)


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


class OpenNrf(SensorModel):
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

    @property
    def battery_uuid(self) -> str | None:
        return BATTERY_LEVEL_UUID

    def decode_battery(self, data: bytes) -> int:
        return battery_level(self.key, data)

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes],
               host_time_s: np.ndarray) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(True, True, True, length_mismatch(self.key, len(payloads)))
        corrupt: list[tuple[int, str]] = []
        notes: list[tuple[int, str]] = []
        idx, seq, t_us, period, count, blocks, scales = [], [], [], [], [], [], []
        for i, (u, p) in enumerate(zip(uuids, payloads)):
            p = bytes(p)
            if str(u).lower() == CONTROL_UUID and len(p) == 2 and p[0] & 0x80:
                continue  # a command reply, if the host subscribed to them: not sample data
            if str(u).lower() != DATA_UUID:
                corrupt.append((i, f"open_nrf: notification from unexpected characteristic {u}"))
                continue
            why = _check_packet(p)
            if why is not None:
                corrupt.append((i, f"open_nrf: {why}"))
                continue
            _, flags, first, t_first, per, n, acc_g, gyr_dps = HEADER.unpack_from(p)
            if flags & FLAG_OVERFLOW:
                notes.append((i, "open_nrf: sensor FIFO overflowed, samples lost before this packet"))
            stride = 9 if flags & FLAG_MAG else 6
            blocks.append(np.frombuffer(p, dtype="<i2", count=n * stride, offset=HEADER_LEN).reshape(n, stride))
            idx.append(i), seq.append(first), t_us.append(t_first), period.append(per), count.append(n)
            scales.append((acc_g, gyr_dps))
        if not idx:
            return empty_stream(True, True, True, corrupt)
        host_p = host[np.asarray(idx)]
        per_s = np.asarray(period, dtype=np.float64) * 1e-6
        seq_u = unwrap_with_host(np.asarray(seq), SEQ_MODULUS, float(np.median(per_s)), host_p)
        t_u = unwrap_with_host(np.asarray(t_us), TIME_MODULUS, 1e-6, host_p)
        n_arr = np.asarray(count)
        within = np.arange(n_arr.sum()) - np.repeat(np.cumsum(n_arr) - n_arr, n_arr)
        raw = np.vstack([b[:, :6] for b in blocks]).astype(np.float64)
        scale = np.repeat(np.asarray(scales, dtype=np.float64), n_arr, axis=0)
        si = np.full((raw.shape[0], 9), np.nan)
        si[:, 0:3] = raw[:, 0:3] * (scale[:, 0:1] * GRAVITY_MPS2 / 32768.0)
        si[:, 3:6] = raw[:, 3:6] * (scale[:, 1:2] * DEG / 32768.0)
        has_mag = np.repeat(np.asarray([b.shape[1] == 9 for b in blocks]), n_arr)
        if has_mag.any():
            si[has_mag, 6:9] = np.vstack([b[:, 6:9] for b in blocks if b.shape[1] == 9]) * MAG_LSB_UT
        return DecodedStream(
            acc_mps2=si[:, 0:3], gyr_radps=si[:, 3:6], mag_ut=si[:, 6:9],
            host_time_s=np.repeat(host_p, n_arr), notification_index=np.repeat(np.asarray(idx, dtype=np.int64), n_arr),
            sensor_time_s=np.repeat(t_u * 1e-6, n_arr) + within * np.repeat(per_s, n_arr),
            counter=np.repeat(seq_u, n_arr) + within, corrupt=corrupt, notes=notes)

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
