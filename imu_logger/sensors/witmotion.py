"""WitMotion WT901BLECL / BWT901BLECL (BLE 5.0 protocol): host side and device emulator.

Stream: notifications on FFE4 carry a byte stream of frames ``55 61`` + 9 × int16 LE (acc X Y Z,
gyro X Y Z, angle X Y Z); in the 28-byte variant (an assumption: no vendor parser knows it) 8 bytes
of chip time follow, laid out like registers 0x30-0x33 (YY MM DD hh mm ss ms-LE). Frames may be
split across notifications and several may share one. Register replies ``55 71 RegL RegH`` +
8 × int16 (20 bytes) are interleaved in the same stream. Full protocol and sources:
firmware_notes/witmotion.md.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from imu_logger.sensors._bytes import DEG, check_inputs, empty_stream, length_mismatch, quantise, sample_block
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import (
    CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)
from imu_logger.sensors.plausibility import with_gravity_check

# WitMotion uses the base ...00805f9a34fb (not the SIG ...9b34fb): their UUIDs are vendor 128-bit UUIDs.
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

HEADER = 0x55
FLAG_DATA = 0x61
FLAG_REGISTER = 0x71
FRAME_LEN = 20
FRAME_LEN_WITH_TIME = 28
ACC_FULL_SCALE_G = 16.0
GYR_FULL_SCALE_DPS = 2000.0
ANGLE_FULL_SCALE_DEG = 180.0

UNLOCK = bytes.fromhex("ffaa6988b5")
SAVE = bytes.fromhex("ffaa000000")
REG_RATE = 0x03
REG_READ = 0x27
REG_BATTERY = 0x64
#: return-rate register codes (Hz -> code)
RATE_CODES = {0.2: 0x01, 0.5: 0x02, 1.0: 0x03, 2.0: 0x04, 5.0: 0x05, 10.0: 0x06, 20.0: 0x07,
              50.0: 0x08, 100.0: 0x09, 200.0: 0x0B}
FACTORY_RATE_HZ = 10.0
#: battery register (0.01 V units) -> percent: (threshold, percent), the level when the value is strictly
#: above the threshold. The Android SDK's table (WITMOTION/WitBluetooth_BWT901BLE5_0,
#: Android_Java/wit-example-ble5/WitSDK/src/main/java/com/wit/witsdk/Device/DeviceModel.java,
#: GetBatteryPercent); its iOS SDK compares with >= and reads one step higher at each threshold
BATTERY_TABLE = ((396, 100), (393, 90), (387, 75), (382, 60), (379, 50), (377, 40), (373, 30),
                 (370, 20), (368, 15), (350, 10), (340, 5))
BATTERY_REQUEST = bytes([0xFF, 0xAA, REG_READ, REG_BATTERY, 0x00])

#: no vendor parser reads a 28-byte 55 61 frame (all take 20 bytes); its chip time is read with the
#: layout of the chip-time registers 0x30-0x33, which is an assumption until a real unit confirms it
CHIP_TIME_ASSUMPTION = ("witmotion: 28-byte 55 61 frames: chip time read as registers 0x30-0x33 "
                        "(YY MM DD hh mm ss ms), an assumption no vendor parser confirms")

_ACC_LSB_MPS2 = ACC_FULL_SCALE_G * GRAVITY_MPS2 / 32768.0
_GYR_LSB_RADPS = GYR_FULL_SCALE_DPS * DEG / 32768.0
_ANGLE_LSB_DEG = ANGLE_FULL_SCALE_DEG / 32768.0
_TIME_EPOCH = np.datetime64("2000-01-01T00:00:00", "ms")


def battery_percent(raw_centivolt: int) -> int:
    """Battery percent from the power register (0.01 V units), by the vendor's Android table."""
    for threshold, percent in BATTERY_TABLE:
        if raw_centivolt > threshold:
            return percent
    return 0


def battery_raw_for_percent(percent: int) -> int:
    """The smallest power-register value the vendor table maps to at most ``percent``."""
    for threshold, pct in BATTERY_TABLE:
        if percent >= pct:
            return threshold + 1
    return 330


class WitMotion(SensorModel):
    """WitMotion WT901BLECL: 20-byte combined frames, no counter, no sensor clock (chip time optional)."""

    key = "witmotion"
    display_name = "WitMotion WT901BLECL"
    name_prefix = "WT901BLE"
    rates_hz = (100.0, 50.0, 200.0, 20.0, 10.0)
    acc_range_mps2 = ACC_FULL_SCALE_G * GRAVITY_MPS2
    gyr_range_radps = GYR_FULL_SCALE_DPS * DEG
    has_sensor_time = False
    has_counter = False
    min_mtu = 23

    def services(self) -> tuple[ServiceSpec, ...]:
        return (ServiceSpec(SERVICE_UUID, (
            CharacteristicSpec(NOTIFY_UUID, ("notify",), description="data stream (55 61 / 55 71 frames)"),
            CharacteristicSpec(WRITE_UUID, ("write", "write-without-response"),
                               description="commands FF AA reg lo hi"),
        )),)

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (NOTIFY_UUID,)

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        code = RATE_CODES[self.nominal_rate(rate_hz)]
        # Settings need the unlock first; the save makes the rate survive a power cycle.
        return [GattWrite(WRITE_UUID, UNLOCK), GattWrite(WRITE_UUID, bytes([0xFF, 0xAA, REG_RATE, code, 0x00])),
                GattWrite(WRITE_UUID, SAVE)]

    def stop_commands(self) -> list[GattWrite]:
        # The device streams whenever notifications are enabled; the host stops by unsubscribing.
        return []

    @property
    def battery_uuid(self) -> str | None:
        # No readable battery characteristic: the level comes back in-stream (see battery_request_commands).
        return None

    def battery_request_commands(self) -> list[GattWrite]:
        """The register read that makes the device send its power register as a 55 71 frame."""
        return [GattWrite(WRITE_UUID, BATTERY_REQUEST)]

    def decode_battery(self, data: bytes) -> int:
        """Percent from a ``55 71 64 00`` register reply (the notification answering the request)."""
        frame = _find_register_frame(bytes(data), REG_BATTERY)
        if frame is None:
            raise ValueError("witmotion: no battery register reply (55 71 64 00 ...) in the notification")
        return battery_percent(int.from_bytes(frame[4:6], "little", signed=True))

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(False, False, False, length_mismatch(self.key, len(payloads)))
        return with_gravity_check(self.key, _decode_stream(uuids, payloads, host))

    def new_device(self, rate_hz: float | None = None) -> WitMotionDevice:
        return WitMotionDevice(FACTORY_RATE_HZ if rate_hz is None else self.nominal_rate(rate_hz))


def _find_register_frame(data: bytes, register: int) -> bytes | None:
    marker = bytes([HEADER, FLAG_REGISTER, register, 0x00])
    at = data.find(marker)
    if at < 0 or at + FRAME_LEN > len(data):
        return None
    return data[at:at + FRAME_LEN]


def _decode_stream(uuids: Sequence[str], payloads: Sequence[bytes], host: np.ndarray) -> DecodedStream:
    """Reassemble the FFE4 byte stream, resynchronising on 55 61 / 55 71 headers."""
    corrupt: list[tuple[int, str]] = []
    keep = [i for i, u in enumerate(uuids) if str(u).lower() == NOTIFY_UUID]
    for i, u in enumerate(uuids):
        if str(u).lower() != NOTIFY_UUID:
            corrupt.append((i, f"witmotion: notification from unexpected characteristic {u}"))
    chunks = [bytes(payloads[i]) for i in keep]
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    buf = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    owner = np.repeat(np.asarray(keep, dtype=np.int64), lengths)  # notification index of each byte
    starts = _frame_starts(buf)
    frame_len = _stream_frame_length(buf, starts)
    data_at, claimed, tail = _walk_frames(buf, starts, frame_len)

    # Bytes no frame claims are garbage: name the notifications that carried them. A frame cut off
    # by the end of the input is incomplete, not corrupt.
    stray = np.ones(buf.shape[0], dtype=bool)
    stray[claimed] = False
    stray[tail:] = False
    if stray.any():
        for idx in np.unique(owner[stray]):
            corrupt.append((int(idx), "witmotion: bytes outside any 55 61 / 55 71 frame (lost sync)"))

    if data_at.size == 0:
        corrupt.sort()
        return empty_stream(False, frame_len == FRAME_LEN_WITH_TIME, False, corrupt)
    rows = buf[data_at[:, None] + np.arange(frame_len)]
    values = rows[:, 2:20].copy().view("<i2").astype(np.float64)
    acc = values[:, 0:3] * _ACC_LSB_MPS2
    gyr = values[:, 3:6] * _GYR_LSB_RADPS
    # A frame belongs to the notification that completed it.
    last = owner[data_at + frame_len - 1]
    sensor_time = None
    if frame_len == FRAME_LEN_WITH_TIME:
        sensor_time, bad = _chip_time(rows[:, 20:28])
        for idx in np.unique(last[bad]):
            corrupt.append((int(idx), "witmotion: chip time field is not a valid date"))
        ok = ~bad
        acc, gyr, last, sensor_time = acc[ok], gyr[ok], last[ok], sensor_time[ok]
    corrupt.sort()
    notes = [] if sensor_time is None or last.size == 0 else [(int(last[0]), CHIP_TIME_ASSUMPTION)]
    return DecodedStream(acc_mps2=acc, gyr_radps=gyr, mag_ut=None, host_time_s=host[last],
                         notification_index=last, sensor_time_s=sensor_time, counter=None,
                         corrupt=corrupt, notes=notes)


def _frame_starts(buf: np.ndarray) -> np.ndarray:
    """Positions of every 55 61 or 55 71 pair in the stream."""
    if buf.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    head = buf[:-1] == HEADER
    flag = (buf[1:] == FLAG_DATA) | (buf[1:] == FLAG_REGISTER)
    return np.flatnonzero(head & flag).astype(np.int64)


def _stream_frame_length(buf: np.ndarray, starts: np.ndarray) -> int:
    """20 or 28: the data-frame length this device sends (one configuration per connection)."""
    data = starts[buf[starts + 1] == FLAG_DATA] if starts.size else starts
    room = np.diff(np.append(data, buf.shape[0]))  # bytes from each data header to the next (or the end)
    n28 = int(np.count_nonzero(room == FRAME_LEN_WITH_TIME))
    n20 = int(np.count_nonzero(room == FRAME_LEN))
    return FRAME_LEN_WITH_TIME if n28 > n20 else FRAME_LEN


def _walk_frames(buf: np.ndarray, starts: np.ndarray,
                 frame_len: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Greedy walk: take a frame at each header that does not overlap the previous one.

    Returns the start of every complete data frame, the indices of all bytes claimed by frames,
    and the start of a frame the input ends in the middle of (len(buf) if none).
    """
    n = buf.shape[0]
    flags = buf[starts + 1] if starts.size else np.zeros(0, dtype=np.uint8)
    lengths = np.where(flags == FLAG_DATA, frame_len, FRAME_LEN)
    taken: list[int] = []
    end = 0
    tail = n
    for s, length in zip(starts.tolist(), lengths.tolist()):
        if s < end:
            continue
        if s + length > n:
            tail = s
            break
        taken.append(s)
        end = s + length
    if tail == n and n > end and buf[n - 1] == HEADER:
        tail = n - 1  # a lone header byte: the next notification would have completed it
    taken_arr = np.asarray(taken, dtype=np.int64)
    taken_len = np.where(buf[taken_arr + 1] == FLAG_DATA, frame_len, FRAME_LEN) if taken else taken_arr
    claimed = _claimed_bytes(taken_arr, taken_len)
    data_at = taken_arr[buf[taken_arr + 1] == FLAG_DATA] if taken else taken_arr
    return data_at, claimed, tail


def _claimed_bytes(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + length) for every frame."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.int64)
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total) + offsets


def _chip_time(fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970 from YY MM DD hh mm ss msL msH rows, and a mask of invalid rows."""
    yy, mo, dd, hh, mi, ss = (fields[:, k].astype(np.int64) for k in range(6))
    ms = fields[:, 6].astype(np.int64) | (fields[:, 7].astype(np.int64) << 8)
    bad = (mo < 1) | (mo > 12) | (dd < 1) | (dd > 31) | (hh > 23) | (mi > 59) | (ss > 59) | (ms > 999)
    months = (yy * 12 + np.clip(mo, 1, 12) - 1).astype("timedelta64[M]")
    month_start = (np.datetime64("2000-01", "M") + months).astype("datetime64[D]")
    next_month = (np.datetime64("2000-01", "M") + months + np.timedelta64(1, "M")).astype("datetime64[D]")
    days_in_month = (next_month - month_start).astype(np.int64)
    bad |= dd > days_in_month
    day = month_start + (np.clip(dd, 1, 31) - 1).astype("timedelta64[D]")
    ms_total = (day.astype("datetime64[ms]") - np.datetime64("1970-01-01T00:00:00", "ms")).astype(np.int64)
    ms_total = ms_total + ((hh * 60 + mi) * 60 + ss) * 1000 + ms
    return ms_total / 1000.0, bad


class WitMotionDevice(DeviceEmulator):
    """Device side: streams 55 61 frames as soon as notifications are on; unlock-gated settings."""

    def __init__(self, rate_hz: float = FACTORY_RATE_HZ, chip_time: bool = False) -> None:
        self.rate_hz = rate_hz
        self.streaming = True
        self.chip_time = chip_time
        self.unlocked = False
        self.battery_percent = 100
        self._yaw_deg = 0.0
        self._last_time: float | None = None

    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        data = bytes(data)
        if uuid.lower() != WRITE_UUID or len(data) != 5 or data[:2] != b"\xff\xaa":
            return []  # the module ignores anything that is not an FF AA command
        reg, lo, hi = data[2], data[3], data[4]
        if data == UNLOCK:
            self.unlocked = True
        elif reg == REG_READ:
            return [(NOTIFY_UUID, self._register_reply(lo | (hi << 8)))]
        elif reg == 0x00 and self.unlocked:
            self.unlocked = False  # a save ends the unlocked window
        elif reg == REG_RATE and self.unlocked:
            by_code = {c: r for r, c in RATE_CODES.items()}
            if lo in by_code:
                self.rate_hz = by_code[lo]
        return []

    def _register_reply(self, start: int) -> bytes:
        regs = [0] * 8
        if start == REG_BATTERY:
            regs[0] = battery_raw_for_percent(self.battery_percent)
        elif start == REG_RATE:
            regs[0] = RATE_CODES.get(self.rate_hz, 0x06)
        body = np.asarray(regs, dtype="<i2").tobytes()
        return bytes([HEADER, FLAG_REGISTER, start & 0xFF, start >> 8]) + body

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        acc, gyr, _, t = sample_block(acc_mps2, gyr_radps, None, sensor_time_s)
        n = t.shape[0]
        angles = self._angles(acc, gyr, t)
        raw = np.hstack([quantise(acc, _ACC_LSB_MPS2), quantise(gyr, _GYR_LSB_RADPS),
                         quantise(angles, _ANGLE_LSB_DEG)]).astype("<i2")
        frames = np.empty((n, FRAME_LEN), dtype=np.uint8)
        frames[:, 0], frames[:, 1] = HEADER, FLAG_DATA
        frames[:, 2:] = raw.view(np.uint8).reshape(n, 18)
        if not self.chip_time:
            return [(NOTIFY_UUID, row.tobytes()) for row in frames]
        # The ATT payload is 20 bytes at the default MTU: a 28-byte frame goes out as 20 + 8.
        out: list[tuple[str, bytes]] = []
        for k in range(n):
            out.append((NOTIFY_UUID, frames[k].tobytes()))
            out.append((NOTIFY_UUID, _chip_time_bytes(t[k])))
        return out

    def _angles(self, acc: np.ndarray, gyr: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Roll and pitch from gravity, yaw by integrating the z rate (the module's fusion, roughly)."""
        roll = np.degrees(np.arctan2(acc[:, 1], acc[:, 2]))
        pitch = np.degrees(np.arctan2(-acc[:, 0], np.hypot(acc[:, 1], acc[:, 2])))
        prev = t[0] if self._last_time is None else self._last_time
        dt = np.diff(np.concatenate(([prev], t)))
        yaw = self._yaw_deg + np.cumsum(np.degrees(gyr[:, 2]) * dt)
        yaw = (yaw + 180.0) % 360.0 - 180.0
        if t.size:
            self._yaw_deg, self._last_time = float(yaw[-1]), float(t[-1])
        return np.column_stack([roll, pitch, yaw])


def _chip_time_bytes(seconds_since_1970: float) -> bytes:
    """YY MM DD hh mm ss msL msH of the device clock (years from 2000)."""
    stamp = np.datetime64(int(round(seconds_since_1970 * 1000.0)), "ms")
    day = stamp.astype("datetime64[D]")
    month = stamp.astype("datetime64[M]")
    year = stamp.astype("datetime64[Y]").astype(np.int64) + 1970
    ms_of_day = int((stamp - day.astype("datetime64[ms]")).astype(np.int64))
    mo = int(month.astype(np.int64) % 12) + 1
    dd = int((day - month.astype("datetime64[D]")).astype(np.int64)) + 1
    hh, rem = divmod(ms_of_day, 3_600_000)
    mi, rem = divmod(rem, 60_000)
    ss, ms = divmod(rem, 1000)
    return bytes([int(year - 2000) & 0xFF, mo, dd, hh, mi, ss, ms & 0xFF, ms >> 8])
