"""Movella (Xsens) DOT, "rate quantities" real-time streaming: host side and device emulator.

Payload mode 21 (rate quantities) arrives on the medium-payload characteristic 0x2003: uint32
timestamp in µs, acceleration 3 × float32 m/s², angular velocity 3 × float32 °/s, then zero
padding to the characteristic's 40 bytes. Sources and settings: firmware_notes/movella_dot.md.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from imu_logger.sensors._bytes import DEG, check_inputs, empty_stream, length_mismatch, unwrap_with_host
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import (
    CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)
from imu_logger.sensors.plausibility import with_gravity_check


def dot_uuid(short: int) -> str:
    """A Movella DOT attribute UUID from its 16-bit short form (base 1517xxxx-4947-11e9-...)."""
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


CONFIG_SERVICE = dot_uuid(0x1000)
DEVICE_INFO = dot_uuid(0x1001)
DEVICE_CONTROL = dot_uuid(0x1002)
DEVICE_REPORT = dot_uuid(0x1004)
MEASUREMENT_SERVICE = dot_uuid(0x2000)
CONTROL = dot_uuid(0x2001)
LONG_PAYLOAD = dot_uuid(0x2002)
MEDIUM_PAYLOAD = dot_uuid(0x2003)
SHORT_PAYLOAD = dot_uuid(0x2004)
BATTERY_SERVICE = dot_uuid(0x3000)
BATTERY = dot_uuid(0x3001)

MODE_RATE_QUANTITIES = 21
CONTROL_TYPE_MEASUREMENT = 1
MEDIUM_LEN = 40
RATE_QUANTITIES_LEN = 28
DEVICE_CONTROL_LEN = 32
VISIT_OUTPUT_RATE = 0x10
OUTPUT_RATE_OFFSET = 24
DEFAULT_RATE_HZ = 60.0
STREAMING_RATES_HZ = (60.0, 30.0, 20.0, 15.0, 12.0, 10.0, 4.0, 1.0)
TIMESTAMP_MODULUS = 2 ** 32  # µs: wraps every 71.58 min
ACC_FULL_SCALE_G = 16.0
GYR_FULL_SCALE_DPS = 2000.0

_RECORD = np.dtype([("t", "<u4"), ("acc", "<f4", 3), ("gyr", "<f4", 3)])
_ACC_LIMIT = ACC_FULL_SCALE_G * GRAVITY_MPS2
# A value beyond twice the sensor's range cannot come from the sensor: a flipped exponent bit.
_PLAUSIBLE_ACC = 2 * _ACC_LIMIT
_PLAUSIBLE_GYR_DPS = 2 * GYR_FULL_SCALE_DPS


def device_control_payload(rate_hz: float) -> bytes:
    """The 32-byte Device Control write that sets the output rate (visit bit b4 only)."""
    out = bytearray(DEVICE_CONTROL_LEN)
    out[0] = VISIT_OUTPUT_RATE
    out[OUTPUT_RATE_OFFSET:OUTPUT_RATE_OFFSET + 2] = int(rate_hz).to_bytes(2, "little")
    return bytes(out)


class MovellaDot(SensorModel):
    """Movella DOT streaming payload mode 21 at up to 60 Hz, with its µs sensor clock."""

    key = "movella_dot"
    display_name = "Movella DOT"
    name_prefix = "Movella DOT"
    legacy_name_prefixes = ("Xsens Dot",)  # firmware 2.0-2.4 (DOT BLE service specification, table 4)
    rates_hz = STREAMING_RATES_HZ
    acc_range_mps2 = _ACC_LIMIT
    gyr_range_radps = GYR_FULL_SCALE_DPS * DEG
    has_sensor_time = True
    has_counter = False
    min_mtu = 43  # a 40-byte medium-payload notification needs ATT MTU >= 43

    def services(self) -> tuple[ServiceSpec, ...]:
        return (
            ServiceSpec(CONFIG_SERVICE, (
                CharacteristicSpec(DEVICE_INFO, ("read",), description="device info, 34 bytes"),
                CharacteristicSpec(DEVICE_CONTROL, ("read", "write"), description="device control, 32 bytes"),
                CharacteristicSpec(DEVICE_REPORT, ("notify",), description="device report, 36 bytes"),
            )),
            ServiceSpec(MEASUREMENT_SERVICE, (
                CharacteristicSpec(CONTROL, ("read", "write"), bytes([1, 0, MODE_RATE_QUANTITIES]),
                                   "measurement control: type, action, payload mode"),
                CharacteristicSpec(LONG_PAYLOAD, ("notify",), description="long payload, 63 bytes"),
                CharacteristicSpec(MEDIUM_PAYLOAD, ("notify",), description="medium payload, 40 bytes"),
                CharacteristicSpec(SHORT_PAYLOAD, ("notify",), description="short payload, 20 bytes"),
            )),
            ServiceSpec(BATTERY_SERVICE, (
                CharacteristicSpec(BATTERY, ("read", "notify"), bytes([100, 0]),
                                   "battery level %, charging status"),
            )),
        )

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (MEDIUM_PAYLOAD,)

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        rate = self.nominal_rate(rate_hz)
        # The rate can only change while not measuring, so it goes first.
        return [GattWrite(DEVICE_CONTROL, device_control_payload(rate)),
                GattWrite(CONTROL, bytes([CONTROL_TYPE_MEASUREMENT, 1, MODE_RATE_QUANTITIES]))]

    def stop_commands(self) -> list[GattWrite]:
        return [GattWrite(CONTROL, bytes([CONTROL_TYPE_MEASUREMENT, 0, MODE_RATE_QUANTITIES]))]

    @property
    def battery_uuid(self) -> str | None:
        return BATTERY

    def decode_battery(self, data: bytes) -> int:
        if len(data) < 1 or data[0] > 100:
            raise ValueError(f"movella_dot: battery characteristic value {bytes(data).hex()} is not 0-100 %")
        return int(data[0])

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(False, True, False, length_mismatch(self.key, len(payloads)))
        corrupt: list[tuple[int, str]] = []
        good: list[int] = []
        chunks: list[bytes] = []
        for i, (u, p) in enumerate(zip(uuids, payloads)):
            p = bytes(p)
            if str(u).lower() != MEDIUM_PAYLOAD:
                corrupt.append((i, f"movella_dot: notification from unexpected characteristic {u}"))
            elif len(p) not in (RATE_QUANTITIES_LEN, MEDIUM_LEN):
                corrupt.append((i, f"movella_dot: {len(p)}-byte payload, expected 40 (rate quantities)"))
            elif any(p[RATE_QUANTITIES_LEN:]):
                corrupt.append((i, "movella_dot: non-zero padding after the 28-byte rate quantities"))
            else:
                good.append(i)
                chunks.append(p[:RATE_QUANTITIES_LEN])
        rec = np.frombuffer(b"".join(chunks), dtype=_RECORD)
        with np.errstate(invalid="ignore"):  # a signalling-NaN bit pattern warns when widened; listed below
            acc = rec["acc"].astype(np.float64)
            gyr_dps = rec["gyr"].astype(np.float64)
        finite = np.isfinite(acc).all(axis=1) & np.isfinite(gyr_dps).all(axis=1)
        plausible = finite & (np.abs(np.nan_to_num(acc)) <= _PLAUSIBLE_ACC).all(axis=1) & \
            (np.abs(np.nan_to_num(gyr_dps)) <= _PLAUSIBLE_GYR_DPS).all(axis=1)
        idx = np.asarray(good, dtype=np.int64)
        for i in idx[~plausible]:
            corrupt.append((int(i), "movella_dot: acceleration or angular velocity not finite or beyond twice the range"))
        idx, acc, gyr_dps, ticks = idx[plausible], acc[plausible], gyr_dps[plausible], rec["t"][plausible]
        corrupt.sort()
        if idx.size == 0:
            return empty_stream(False, True, False, corrupt)
        micros = unwrap_with_host(ticks.astype(np.int64), TIMESTAMP_MODULUS, 1e-6, host[idx])
        stream = DecodedStream(acc_mps2=acc, gyr_radps=gyr_dps * DEG, mag_ut=None, host_time_s=host[idx],
                               notification_index=idx, sensor_time_s=micros * 1e-6, counter=None,
                               corrupt=corrupt)
        return with_gravity_check(self.key, stream)

    def new_device(self, rate_hz: float | None = None) -> MovellaDotDevice:
        return MovellaDotDevice(DEFAULT_RATE_HZ if rate_hz is None else self.nominal_rate(rate_hz))


class MovellaDotDevice(DeviceEmulator):
    """Device side: Device Control sets the rate while idle; Control starts and stops mode 21."""

    def __init__(self, rate_hz: float = DEFAULT_RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self.streaming = False
        self.payload_mode = MODE_RATE_QUANTITIES
        self.battery_percent = 100
        self.charging = False

    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        uuid, data = uuid.lower(), bytes(data)
        if uuid == DEVICE_CONTROL and len(data) == DEVICE_CONTROL_LEN:
            rate = int.from_bytes(data[OUTPUT_RATE_OFFSET:OUTPUT_RATE_OFFSET + 2], "little")
            # The rate cannot change while measuring; 120 Hz is for recording only.
            if data[0] & VISIT_OUTPUT_RATE and not self.streaming and float(rate) in STREAMING_RATES_HZ:
                self.rate_hz = float(rate)
        elif uuid == CONTROL and len(data) == 3 and data[0] == CONTROL_TYPE_MEASUREMENT:
            if data[1] == 1 and data[2] == MODE_RATE_QUANTITIES:
                self.streaming, self.payload_mode = True, data[2]
            elif data[1] == 0:
                self.streaming = False
        return []

    def read(self, uuid: str) -> bytes | None:
        uuid = uuid.lower()
        if uuid == BATTERY:
            return bytes([self.battery_percent, int(self.charging)])
        if uuid == CONTROL:
            return bytes([CONTROL_TYPE_MEASUREMENT, int(self.streaming), self.payload_mode])
        if uuid == DEVICE_CONTROL:
            out = bytearray(DEVICE_CONTROL_LEN)
            tag = b"Movella DOT"
            out[7], out[8:8 + len(tag)] = len(tag), tag
            out[OUTPUT_RATE_OFFSET:OUTPUT_RATE_OFFSET + 2] = int(self.rate_hz).to_bytes(2, "little")
            return bytes(out)
        return None

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        t = np.asarray(sensor_time_s, dtype=np.float64).reshape(-1)
        n = t.shape[0]
        rec = np.zeros(n, dtype=_RECORD)
        rec["t"] = (np.rint(t * 1e6).astype(np.int64) % TIMESTAMP_MODULUS).astype(np.uint32)
        rec["acc"] = np.clip(np.asarray(acc_mps2, dtype=np.float64).reshape(n, 3), -_ACC_LIMIT, _ACC_LIMIT)
        gyr_dps = np.degrees(np.asarray(gyr_radps, dtype=np.float64).reshape(n, 3))
        rec["gyr"] = np.clip(gyr_dps, -GYR_FULL_SCALE_DPS, GYR_FULL_SCALE_DPS)
        pad = bytes(MEDIUM_LEN - RATE_QUANTITIES_LEN)  # the characteristic is 40 bytes, trailing zeros
        return [(MEDIUM_PAYLOAD, r.tobytes() + pad) for r in rec]
