"""Nordic Thingy:52 (firmware v2.x) motion service raw data: host side and device emulator.

Raw data (EF680406) is 9 × int16 LE: accelerometer Q6.10 in g, gyroscope Q11.5 in °/s, compass
Q12.4 in µT; no timestamp and no counter. The rate is the motion processing frequency in the
9-byte configuration characteristic (EF680401). Sources: firmware_notes/thingy52.md.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from imu_logger.sensors._bytes import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, DEG, BatteryLevelService, check_inputs, empty_stream, length_mismatch,
)
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import (
    CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)
from imu_logger.sensors.plausibility import with_gravity_check


def tms_uuid(short: int) -> str:
    """A Thingy motion-service UUID from its 16-bit short form (base EF68xxxx-9B35-4933-...)."""
    return f"ef68{short:04x}-9b35-4933-9b10-52ffa9740042"


MOTION_SERVICE = tms_uuid(0x0400)
CONFIG = tms_uuid(0x0401)
RAW = tms_uuid(0x0406)

RAW_LEN = 18
CONFIG_LEN = 9
#: fractional bits of the Q formats (acc Q6.10 g, gyro Q11.5 °/s, compass Q12.4 µT)
ACC_FRAC_BITS, GYR_FRAC_BITS, CMP_FRAC_BITS = 10, 5, 4
ACC_INT_BITS, GYR_INT_BITS, CMP_INT_BITS = 6, 11, 12
MOTION_FREQ_MIN_HZ, MOTION_FREQ_MAX_HZ = 5, 200
#: firmware defaults: pedometer 1000 ms, temperature 500 ms, compass 500 ms, motion 10 Hz, wake-on-motion on
DEFAULT_CONFIG = (1000, 500, 500, 10, 1)
#: MPU-9250 full scales as the firmware's motion driver configures them (see the note)
ACC_FULL_SCALE_G = 2.0
GYR_FULL_SCALE_DPS = 2000.0
GYR_FORMAT_LIMIT_DPS = float(1 << (GYR_INT_BITS - 1))  # -1024 °/s; +1023 °/s on the positive side

_FRAC = np.array([ACC_FRAC_BITS] * 3 + [GYR_FRAC_BITS] * 3 + [CMP_FRAC_BITS] * 3)
_INT = np.array([ACC_INT_BITS] * 3 + [GYR_INT_BITS] * 3 + [CMP_INT_BITS] * 3)


def config_payload(motion_freq_hz: int, base: tuple[int, int, int, int, int] = DEFAULT_CONFIG) -> bytes:
    """The 9-byte configuration (pedo ms, temp ms, compass ms, motion Hz as uint16, wake-on-motion)."""
    pedo, temp, compass, _, wom = base
    return (pedo.to_bytes(2, "little") + temp.to_bytes(2, "little") + compass.to_bytes(2, "little")
            + int(motion_freq_hz).to_bytes(2, "little") + bytes([wom]))


class Thingy52(BatteryLevelService, SensorModel):
    """Thingy:52 raw motion: one 18-byte notification per sample, no sensor clock or counter."""

    key = "thingy52"
    display_name = "Nordic Thingy:52"
    name_prefix = "Thingy"
    rates_hz = (100.0, 50.0, 200.0, 20.0, 10.0)
    acc_range_mps2 = ACC_FULL_SCALE_G * GRAVITY_MPS2
    # The Q11.5 format, not the sensor, limits the rate: the firmware clamps to [-1024, 1023] °/s.
    gyr_range_radps = GYR_FORMAT_LIMIT_DPS * DEG
    has_sensor_time = False
    has_counter = False
    min_mtu = 23

    def services(self) -> tuple[ServiceSpec, ...]:
        return (
            ServiceSpec(MOTION_SERVICE, (
                CharacteristicSpec(CONFIG, ("read", "write"), config_payload(DEFAULT_CONFIG[3]),
                                   "motion configuration, 9 bytes"),
                CharacteristicSpec(RAW, ("notify",), description="raw acc/gyro/compass, 9 x int16"),
            )),
            ServiceSpec(BATTERY_SERVICE_UUID, (
                CharacteristicSpec(BATTERY_LEVEL_UUID, ("read", "notify"), bytes([100]), "battery level %"),
            )),
        )

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (RAW,)

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        # Raw data streams while its notifications are enabled: the only write is the rate.
        return [GattWrite(CONFIG, config_payload(int(self.nominal_rate(rate_hz))))]

    def stop_commands(self) -> list[GattWrite]:
        return []  # streaming stops when the host disables notifications on EF680406

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(True, False, False, length_mismatch(self.key, len(payloads)))
        corrupt: list[tuple[int, str]] = []
        good: list[int] = []
        chunks: list[bytes] = []
        for i, (u, p) in enumerate(zip(uuids, payloads)):
            if str(u).lower() != RAW:
                corrupt.append((i, f"thingy52: notification from unexpected characteristic {u}"))
            elif len(p) != RAW_LEN:
                corrupt.append((i, f"thingy52: {len(p)}-byte raw notification, expected 18"))
            else:
                good.append(i)
                chunks.append(bytes(p))
        if not good:
            return empty_stream(True, False, False, corrupt)
        raw = np.frombuffer(b"".join(chunks), dtype="<i2").reshape(-1, 9).astype(np.float64)
        si = raw / (2.0 ** _FRAC)
        idx = np.asarray(good, dtype=np.int64)
        stream = DecodedStream(acc_mps2=si[:, 0:3] * GRAVITY_MPS2, gyr_radps=si[:, 3:6] * DEG,
                               mag_ut=si[:, 6:9], host_time_s=host[idx], notification_index=idx,
                               sensor_time_s=None, counter=None, corrupt=corrupt)
        return with_gravity_check(self.key, stream)

    def new_device(self, rate_hz: float | None = None) -> Thingy52Device:
        return Thingy52Device(DEFAULT_CONFIG[3] if rate_hz is None else self.nominal_rate(rate_hz))


def encode_raw(acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               acc_full_scale_g: float = ACC_FULL_SCALE_G,
               gyr_full_scale_dps: float = GYR_FULL_SCALE_DPS) -> np.ndarray:
    """(n, 9) int16 raw values exactly as the firmware forms them from the sensor readings.

    The sensor clips at its full scale; the firmware takes the 16Q16 reading, clamps its integer
    part to the Q format's range and shifts right by the integer bits (rounding toward -inf).
    """
    n = np.asarray(acc_mps2).reshape(-1, 3).shape[0]
    acc_g = np.clip(np.asarray(acc_mps2, dtype=np.float64).reshape(n, 3) / GRAVITY_MPS2,
                    -acc_full_scale_g, acc_full_scale_g)
    gyr_dps = np.clip(np.degrees(np.asarray(gyr_radps, dtype=np.float64).reshape(n, 3)),
                      -gyr_full_scale_dps, gyr_full_scale_dps)
    mag = np.nan_to_num(np.asarray(mag_ut, dtype=np.float64).reshape(n, 3)) if mag_ut is not None \
        else np.zeros((n, 3))
    q16 = np.floor(np.hstack([acc_g, gyr_dps, mag]) * 65536.0).astype(np.int64)
    upper = (1 << (_INT - 1)) - 1
    lower = -(1 << (_INT - 1))
    integer = q16 >> 16
    q16 = np.where(integer >= upper, upper << 16, q16)
    q16 = np.where(integer < lower, lower << 16, q16)
    return (q16 >> _INT).astype("<i2")


class Thingy52Device(DeviceEmulator):
    """Device side: raw notifications at the configured motion frequency while subscribed."""

    def __init__(self, rate_hz: float = float(DEFAULT_CONFIG[3])) -> None:
        self.rate_hz = float(rate_hz)
        self.streaming = True  # gated by the host's subscription to EF680406
        self.battery_percent = 100
        self._config = list(DEFAULT_CONFIG)
        self._config[3] = int(rate_hz)

    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        data = bytes(data)
        if uuid.lower() != CONFIG or len(data) != CONFIG_LEN:
            return []
        freq = int.from_bytes(data[6:8], "little")
        if not MOTION_FREQ_MIN_HZ <= freq <= MOTION_FREQ_MAX_HZ:
            return []  # the firmware rejects an out-of-range configuration
        self._config = [int.from_bytes(data[k:k + 2], "little") for k in (0, 2, 4, 6)] + [data[8]]
        self.rate_hz = float(freq)
        return []

    def read(self, uuid: str) -> bytes | None:
        uuid = uuid.lower()
        if uuid == CONFIG:
            return config_payload(self._config[3], tuple(self._config))  # type: ignore[arg-type]
        if uuid == BATTERY_LEVEL_UUID:
            return bytes([self.battery_percent])
        return None

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        raw = encode_raw(acc_mps2, gyr_radps, mag_ut)
        return [(RAW, row.tobytes()) for row in raw]
