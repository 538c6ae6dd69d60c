"""Polar Verity Sense over the Polar Measurement Data (PMD) service: host side and device emulator.

Control point (FB005C81) takes ``[op, type, settings TLVs]`` and answers ``F0 op type status more
params``; a start answer may carry the sample factor as TLV ``05 01 <float32>`` (real Verity Sense
answers often carry none: the factor is then 1.0, as in Polar's SDK). The device also sends
``01 <types...>`` on its own when it stops measurements. Data (FB005C82) frames are ``type, uint64 ns
timestamp of the last sample, frame type`` then samples; bit 7 of the frame type marks delta
compression: a reference sample, then blocks ``[bit width, count, packed signed deltas]``. Each
(measurement, frame type) has its own unit and factor rule (:data:`LAYOUTS`). Acc (mG), gyro (°/s)
and mag (G) arrive as separate frames; the decoder pairs acc and gyro by sensor time, in integer
nanoseconds. Sources and rules: firmware_notes/polar_verity.md.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from imu_logger.sensors._bytes import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, DEG, PendingSamples, BatteryLevelService, check_inputs, empty_stream,
    length_mismatch, quantise,
)
from analysis.conventions import GRAVITY_MPS2
from imu_logger.sensors.base import (
    CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)
from imu_logger.sensors.plausibility import with_gravity_check

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CP = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

ACC, GYRO, MAG, SDK_MODE = 2, 5, 6, 9
#: PMD measurement type ids (PmdMeasurementType.kt); the low 6 bits of a data frame's first byte
MEASUREMENT_NAME = {0: "ecg", 1: "ppg", ACC: "acc", 3: "ppi", GYRO: "gyro", MAG: "mag", 7: "skin temperature",
                    SDK_MODE: "sdk mode", 10: "location", 11: "pressure", 12: "temperature",
                    13: "offline recording", 14: "offline hr"}
OP_GET_SETTINGS, OP_START, OP_STOP = 0x01, 0x02, 0x03
RESPONSE = 0xF0
#: first byte of a message the device sends on its own: "online measurement stopped", then the types
DEVICE_STOPPED = 0x01
FEATURES_READ = 0x0F
STATUS_SUCCESS, STATUS_INVALID_OP, STATUS_INVALID_TYPE, STATUS_NOT_SUPPORTED = 0, 1, 2, 3
STATUS_INVALID_LENGTH, STATUS_INVALID_PARAMETER, STATUS_ALREADY_IN_STATE = 4, 5, 6
STATUS_INVALID_RESOLUTION, STATUS_INVALID_SAMPLE_RATE, STATUS_INVALID_RANGE = 7, 8, 9
SET_SAMPLE_RATE, SET_RESOLUTION, SET_RANGE, SET_CHANNELS, SET_FACTOR = 0, 1, 2, 4, 5
#: value size in bytes of each setting type (PmdSetting.kt; 3 = range in milli-units, 6 = security)
_FIELD_SIZE = {SET_SAMPLE_RATE: 2, SET_RESOLUTION: 2, SET_RANGE: 2, 3: 4, SET_CHANNELS: 1, SET_FACTOR: 4, 6: 16}
DELTA_BIT = 0x80
HEADER_LEN = 10
#: SDK-mode capabilities of the Verity Sense (sample rates Hz, ranges)
ACC_RATES = (26, 52, 104, 208, 416)
ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (250, 500, 1000, 2000)
MAG_RATES = (10, 20, 50, 100)
MAG_RANGE_GAUSS = 50
RESOLUTION_BITS = 16
ACC_RANGE_G, GYR_RANGE_DPS, MAG_RATE_HZ = 16, 2000, 20
UT_PER_GAUSS = 100.0
#: output unit -> SI: acc mG, gyro °/s, mag G
_TO_SI = {ACC: GRAVITY_MPS2 / 1000.0, GYRO: DEG, MAG: UT_PER_GAUSS}
#: ATT MTU: Polar's Android SDK requests 512 (ConnectionHandler.POLAR_PREFERRED_MTU); 232 is what its
#: API documents as the default of Polar devices, and the most the emulator assumes
MTU = 232
NAME = {ACC: "acc", GYRO: "gyro", MAG: "mag"}


@dataclass(frozen=True)
class Layout:
    """How one (measurement, frame type) is laid out and scaled, as Polar's Android SDK parses it.

    ``compressed``: delta-compressed body, ``channels`` values per sample on the wire (``used`` of
    them are x, y, z), ``bits`` per reference/raw value, ``floats``: values are float32 bit patterns
    (deltas added to the bits),
    ``factor``: the start answer's factor applies (raw frames ignore it), ``unit_per_factor``:
    output units per (raw × factor), e.g. 1000 mG per G for acc type 0 compressed.
    """

    compressed: bool
    channels: int
    bits: int
    floats: bool = False
    factor: bool = True
    unit_per_factor: float = 1.0
    used: int = 3


#: Sources: AccData.kt, GyrData.kt, MagData.kt in the SDK's Android pmd/model directory
LAYOUTS: dict[tuple[int, int], Layout] = {
    (ACC, 0x00): Layout(False, 3, 8, factor=False),  # raw frames: mG, no factor applied
    (ACC, 0x01): Layout(False, 3, 16, factor=False),
    (ACC, 0x02): Layout(False, 3, 24, factor=False),
    (ACC, DELTA_BIT | 0): Layout(True, 3, 16, unit_per_factor=1000.0),  # factor in G per LSB
    (ACC, DELTA_BIT | 1): Layout(True, 3, 16),  # factor in mG per LSB, usually absent (1.0)
    (GYRO, DELTA_BIT | 0): Layout(True, 3, 16),
    (GYRO, DELTA_BIT | 1): Layout(True, 3, 32, floats=True),
    (MAG, DELTA_BIT | 0): Layout(True, 3, 16),
    (MAG, DELTA_BIT | 1): Layout(True, 4, 16, unit_per_factor=1e-3),  # mG; 4th channel: calibration status
}
#: frame type the emulator sends per measurement in SDK mode
FRAME_TYPE = {ACC: DELTA_BIT | 0, GYRO: DELTA_BIT | 0, MAG: DELTA_BIT | 0}
#: acc frame type outside SDK mode: factor-less, in mG (the real answers in polar-ble-sdk #331, #443)
ACC_FRAME_TYPE_MG = DELTA_BIT | 1


def full_scale_factor(range_value: float) -> float:
    """Factor (unit per LSB, float32) of a 16-bit sample spanning ±``range_value`` (acc G, gyro °/s, mag G)."""
    return float(np.float32(range_value / 32768.0))


def settings_tlv(rate_hz: int, range_value: int) -> bytes:
    """Start settings: sample rate, 16-bit resolution, range, 3 channels (each TLV count 1)."""
    return (bytes([SET_SAMPLE_RATE, 1]) + rate_hz.to_bytes(2, "little")
            + bytes([SET_RESOLUTION, 1]) + RESOLUTION_BITS.to_bytes(2, "little")
            + bytes([SET_RANGE, 1]) + range_value.to_bytes(2, "little")
            + bytes([SET_CHANNELS, 1, 3]))


def parse_settings(data: bytes) -> dict[int, list[int]] | None:
    """Settings TLVs -> {setting type: values}; None when malformed."""
    out: dict[int, list[int]] = {}
    k = 0
    while k < len(data):
        if k + 2 > len(data) or data[k] not in _FIELD_SIZE:
            return None
        kind, count = data[k], data[k + 1]
        size = _FIELD_SIZE[kind]
        k += 2
        if k + count * size > len(data):
            return None
        out[kind] = [int.from_bytes(data[k + i * size:k + (i + 1) * size], "little") for i in range(count)]
        k += count * size
    return out


def start_answer_factor(params: bytes) -> tuple[float | None, str | None]:
    """The factor a start answer's parameters carry (None when they carry none) and why it is unusable.

    As in the SDK, parameters of one byte or less carry no settings. A factor field with no value,
    a malformed TLV, or a factor that is not a positive finite number is a reason, never a scale.
    """
    if len(params) <= 1:
        return None, None
    settings = parse_settings(params)
    if settings is None:
        return None, f"start answer parameters {params.hex()} are malformed"
    if SET_FACTOR not in settings:
        return None, None
    if not settings[SET_FACTOR]:
        return None, "start answer has a factor field with no value"
    value = struct.unpack("<f", settings[SET_FACTOR][0].to_bytes(4, "little"))[0]
    if not (math.isfinite(value) and value > 0.0):
        return None, f"start answer factor {value!r} is not a positive finite number"
    return value, None


# --- delta compression -----------------------------------------------------------------------


def delta_decode(content: bytes, channels: int = 3, resolution: int = RESOLUTION_BITS) -> np.ndarray | None:
    """(n, channels) int64 samples of one delta-compressed frame body, or None when malformed."""
    out = delta_decode_many([content], channels, resolution)[0]
    return None if isinstance(out, str) else out


def _walk_blocks(content: bytes, channels: int, ref_bytes: int) -> tuple[list[int], list[tuple[int, int, int]]] | str:
    """Reference values and (byte offset, bit width, count) of every delta block, or the reason it is malformed."""
    if len(content) < channels * ref_bytes:
        return "delta-compressed body shorter than its reference sample"
    ref = [int.from_bytes(content[c * ref_bytes:(c + 1) * ref_bytes], "little", signed=True) for c in range(channels)]
    blocks = []
    k = channels * ref_bytes
    while k < len(content):
        if k + 2 > len(content):
            return "delta block header cut off"
        width, count = content[k], content[k + 1]
        nbytes = (width * count * channels + 7) // 8
        if not 1 <= width <= 32 or count == 0:
            return f"delta block with bit width {width} and count {count}"
        if k + 2 + nbytes > len(content):
            return "delta block shorter than its bit width x count"
        blocks.append((k + 2, width, count))
        k += 2 + nbytes
    return ref, blocks


def delta_decode_many(contents: Sequence[bytes], channels: int = 3,
                      resolution: int = RESOLUTION_BITS) -> list[np.ndarray | str]:
    """Decode many frame bodies at once (vectorised over every delta of every frame).

    Deltas are two's-complement values of the block's bit width, packed least-significant bit
    first, channel by channel, sample by sample; each sample is the previous one plus its delta.
    """
    ref_bytes = (resolution + 7) // 8
    walked = [_walk_blocks(bytes(c), channels, ref_bytes) for c in contents]
    ok = [w for w in walked if not isinstance(w, str)]
    out: list[np.ndarray | str] = []
    if not ok:
        return [w if isinstance(w, str) else np.zeros((0, channels), dtype=np.int64) for w in walked]
    good_contents = [bytes(c) for c, w in zip(contents, walked) if not isinstance(w, str)]
    base = np.concatenate(([0], np.cumsum([len(c) for c in good_contents])[:-1]))
    bits = np.unpackbits(np.frombuffer(b"".join(good_contents), dtype=np.uint8), bitorder="little")
    # One entry per delta value: its first bit in the joined stream and its width.
    b_start, b_width, b_values, rows_per_frame = [], [], [], []
    for (ref, blocks), b0 in zip(ok, base.tolist()):
        rows_per_frame.append(1 + sum(count for _, _, count in blocks))
        for off, width, count in blocks:
            b_start.append((b0 + off) * 8)
            b_width.append(width)
            b_values.append(count * channels)
    if b_start:
        m = np.asarray(b_values)
        width = np.repeat(np.asarray(b_width, dtype=np.int64), m)
        within = np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m)
        start = np.repeat(np.asarray(b_start, dtype=np.int64), m) + within * width
        vals = np.empty(start.size, dtype=np.int64)
        for w in np.unique(width).tolist():
            sel = width == w
            picked = bits[start[sel, None] + np.arange(w)].astype(np.int64)
            v = picked @ (np.int64(1) << np.arange(w, dtype=np.int64))
            vals[sel] = np.where(v >= (1 << (w - 1)), v - (1 << w), v)
        deltas = vals.reshape(-1, channels)
    else:
        deltas = np.zeros((0, channels), dtype=np.int64)
    # Rows: the reference sample of each frame followed by that frame's deltas; a running sum per frame.
    n_rows = np.asarray(rows_per_frame)
    first = np.concatenate(([0], np.cumsum(n_rows)[:-1]))
    table = np.empty((int(n_rows.sum()), channels), dtype=np.int64)
    is_ref = np.zeros(table.shape[0], dtype=bool)
    is_ref[first] = True
    table[first] = np.asarray([ref for ref, _ in ok], dtype=np.int64)
    table[~is_ref] = deltas
    total = np.cumsum(table, axis=0)
    offset = np.repeat(total[first] - table[first], n_rows, axis=0)
    samples = total - offset
    pieces = np.split(samples, np.cumsum(n_rows)[:-1])
    it = iter(pieces)
    for w in walked:
        out.append(w if isinstance(w, str) else next(it))
    return out


def delta_encode(samples: np.ndarray, resolution: int = RESOLUTION_BITS, block: int = 16) -> bytes:
    """Reference sample, then blocks of up to ``block`` samples at the narrowest bit width that fits."""
    samples = np.asarray(samples, dtype=np.int64)
    n, channels = samples.shape
    ref_bytes = (resolution + 7) // 8
    out = bytearray(b"".join(int(v).to_bytes(ref_bytes, "little", signed=True) for v in samples[0]))
    deltas = np.diff(samples, axis=0)
    for start in range(0, n - 1, block):
        chunk = deltas[start:start + block]
        peak = int(max(chunk.max(), -chunk.min() - 1, 0))
        width = max(1, peak.bit_length() + 1)  # two's complement width holding every delta
        vals = chunk.reshape(-1) & ((1 << width) - 1)
        bits = ((vals[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes([width, chunk.shape[0]]) + np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


def data_frame(kind: int, t_last_ns: int, raw: np.ndarray, frame_type: int | None = None) -> bytes:
    """A compressed PMD data frame of int16 raw samples (n, 3); frame type as the emulator sends by default."""
    ftype = FRAME_TYPE[kind] if frame_type is None else frame_type
    return bytes([kind]) + int(t_last_ns).to_bytes(8, "little") + bytes([ftype]) + delta_encode(raw)


# --- host side ---------------------------------------------------------------------------------


@dataclass
class _Frames:
    """Decoded frames of one measurement type, in receive order; times in integer nanoseconds."""

    t_last_ns: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)

    def add(self, index: int, t_last_ns: int, values: np.ndarray) -> None:
        self.index.append(index)
        self.t_last_ns.append(t_last_ns)
        self.samples.append(values)

    def _spacing(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample counts, last-sample times (int64 ns) and the spacing (ns) implied by each frame's predecessor."""
        counts = np.array([s.shape[0] for s in self.samples], dtype=np.int64)
        t_last = np.array(self.t_last_ns, dtype=np.int64)
        per = np.full(counts.shape, np.nan)
        per[1:] = np.diff(t_last).astype(np.float64) / counts[1:]
        return counts, t_last, per

    def typical_period_ns(self) -> float:
        """Median sample spacing over consecutive frames (0 if unknown). A lost frame inflates it."""
        if len(self.samples) < 2:
            return 0.0
        per = self._spacing()[2]
        good = per[np.isfinite(per) & (per > 0)]
        return float(np.median(good)) if good.size else 0.0

    def times_and_values(self, typical_ns: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample times (int64 ns), notification index per sample, and (n, 3) values.

        A frame whose predecessor's timestamp gives a spacing within 25 % of ``typical_ns`` is
        spaced from that timestamp forward, as Polar's SDK does (``PmdTimeStampUtils``); any other
        frame (the first, one after a lost frame) is spaced ``typical_ns`` back from its own
        timestamp. The last sample always carries the frame's timestamp.
        """
        if not self.samples:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 3))
        counts, t_last, per = self._spacing()
        from_prev = np.isfinite(per) & (per > 0) & (np.abs(per - typical_ns) <= 0.25 * typical_ns)
        per = np.where(from_prev, per, typical_ns)
        prev = np.r_[np.int64(0), t_last[:-1]]
        starts = np.cumsum(counts) - counts
        k = np.arange(int(counts.sum())) - np.repeat(starts, counts)
        n, p, use = np.repeat(counts, counts), np.repeat(per, counts), np.repeat(from_prev, counts)
        offset = np.where(use, (k + 1) * p, -(n - 1 - k) * p)
        offset = np.clip(np.rint(offset), -2.0 ** 62, 2.0 ** 62).astype(np.int64)  # a fuzzed frame may claim anything
        times = np.where(use, np.repeat(prev, counts), np.repeat(t_last, counts)) + offset
        times[starts + counts - 1] = t_last
        return times, np.repeat(np.array(self.index, dtype=np.int64), counts), np.vstack(self.samples)


@dataclass
class _Pending:
    """A data frame whose samples are decoded in bulk with the others of its layout."""

    index: int
    kind: int
    layout: Layout
    t_last_ns: int
    body: bytes
    factor: float


class PolarVeritySense(BatteryLevelService, SensorModel):
    """Polar Verity Sense in SDK mode: acc + gyro (same rate) and mag, delta-compressed PMD frames."""

    key = "polar_verity"
    display_name = "Polar Verity Sense"
    name_prefix = "Polar Sense"
    rates_hz = (104.0, 52.0, 208.0, 26.0)
    acc_range_mps2 = ACC_RANGE_G * GRAVITY_MPS2
    gyr_range_radps = GYR_RANGE_DPS * DEG
    has_sensor_time = True
    has_counter = False
    min_mtu = MTU  # frames of tens of samples: the default 23-byte MTU cannot carry them

    def services(self) -> tuple[ServiceSpec, ...]:
        return (
            ServiceSpec(PMD_SERVICE, (
                CharacteristicSpec(PMD_CP, ("read", "write", "notify"), description="PMD control point (indicate)"),
                CharacteristicSpec(PMD_DATA, ("notify",), description="PMD data frames"),
            )),
            ServiceSpec(BATTERY_SERVICE_UUID, (
                CharacteristicSpec(BATTERY_LEVEL_UUID, ("read", "notify"), bytes([100]), "battery level %"),
            )),
        )

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        # The control point first: its start answers carry the factors the decoder needs.
        return (PMD_CP, PMD_DATA)

    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        rate = int(self.nominal_rate(rate_hz))
        return [GattWrite(PMD_CP, bytes([OP_START, SDK_MODE])),
                GattWrite(PMD_CP, bytes([OP_START, ACC]) + settings_tlv(rate, ACC_RANGE_G)),
                GattWrite(PMD_CP, bytes([OP_START, GYRO]) + settings_tlv(rate, GYR_RANGE_DPS))]
        # no magnetometer stream: the analysis does not use it, and it costs radio time and battery

    def stop_commands(self) -> list[GattWrite]:
        return [GattWrite(PMD_CP, bytes([OP_STOP, k])) for k in (ACC, GYRO, SDK_MODE)]

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(True, True, False, length_mismatch(self.key, len(payloads)))
        state = _Decoding()
        for i, (u, p) in enumerate(zip(uuids, payloads)):
            u, p = str(u).lower(), bytes(p)
            if u == PMD_CP:
                why = state.control_point(i, p)
            elif u == PMD_DATA:
                why = state.data_frame(i, p)
            else:
                why = f"notification from unexpected characteristic {u}"
            if why:
                state.corrupt.append((i, f"polar_verity: {why}"))
        frames = state.frames()
        # the rate the host asked for spaces a frame with no usable predecessor, as the SDK does
        rate = float(rate_hz) if rate_hz and rate_hz > 0 else self.rates_hz[0]
        return _pair(frames, host, state.corrupt, state.notes, 1e9 / rate, 1e9 / MAG_RATE_HZ)

    def sets_decoding_state(self, uuid: str, payload: bytes) -> bool:
        return str(uuid).lower() == PMD_CP  # start answers carry the factors

    def new_device(self, rate_hz: float | None = None) -> PolarDevice:
        return PolarDevice(self.nominal_rate(rate_hz))


class _Decoding:
    """What the decoder knows while it walks one connection's notifications in order."""

    def __init__(self) -> None:
        self.corrupt: list[tuple[int, str]] = []
        self.notes: list[tuple[int, str]] = []
        #: factor of the latest start answer per measurement; None: the answer carried none (SDK: 1.0)
        self.factor: dict[int, float | None] = {}
        self.pending: list[_Pending] = []
        self._told: set[str] = set()

    def _note_once(self, i: int, key: str, text: str) -> None:
        if key not in self._told:
            self._told.add(key)
            self.notes.append((i, f"polar_verity: {text}"))

    def control_point(self, i: int, p: bytes) -> str | None:
        """Apply one control-point notification; the reason when it is malformed."""
        if p[:1] == bytes([DEVICE_STOPPED]):
            names = ", ".join(MEASUREMENT_NAME.get(b & 0x3F, f"type {b}") for b in p[1:]) or "its measurements"
            self.notes.append((i, f"polar_verity: stop event: the device stopped {names} ({p.hex(' ')})"))
            return None
        if p[:1] != bytes([RESPONSE]) or len(p) < 4:
            return f"control point notification {p.hex()} is neither an answer (F0 op type status) nor a stop (01 ...)"
        op, kind, status = p[1], p[2] & 0x3F, p[3]
        if op != OP_START or status != STATUS_SUCCESS or kind not in NAME:
            return None
        value, why = start_answer_factor(p[5:])
        self.factor[kind] = value
        if why:
            return f"{why}; {NAME[kind]} factor 1.0 used, as the Polar SDK does without one"
        return None

    def data_frame(self, i: int, p: bytes) -> str | None:
        """Check one data frame's header and queue it; the reason when it is malformed."""
        if len(p) < HEADER_LEN + 1:
            return f"{len(p)}-byte data frame, shorter than its header and one sample"
        kind = p[0] & 0x3F
        if kind not in NAME:
            if kind in MEASUREMENT_NAME:
                self._note_once(i, f"type {kind}", f"{MEASUREMENT_NAME[kind]} frames ignored (not an IMU measurement)")
                return None
            return f"measurement type {kind} is not a PMD measurement"
        layout = LAYOUTS.get((kind, p[9]))
        if layout is None:
            return f"unsupported frame type 0x{p[9]:02x} for {NAME[kind]}"
        t_last = int.from_bytes(p[1:9], "little")
        if t_last >= 1 << 63:
            return f"timestamp {t_last} ns is beyond 2^63"
        if kind not in self.factor:
            self._note_once(i, f"factor {kind}", f"no start answer for {NAME[kind]} in this connection: "
                                                 "factor 1.0, as the Polar SDK uses")
        factor = self.factor.get(kind)
        self.pending.append(_Pending(i, kind, layout, t_last, p[HEADER_LEN:], 1.0 if factor is None else factor))
        return None

    def frames(self) -> dict[int, _Frames]:
        """Decode every queued frame (compressed ones in bulk per layout), in receive order per measurement."""
        values: dict[int, np.ndarray] = {}
        groups: dict[Layout, list[_Pending]] = {}
        for f in self.pending:
            groups.setdefault(f.layout, []).append(f)
        for layout, group in groups.items():
            raws = (delta_decode_many([f.body for f in group], layout.channels, layout.bits) if layout.compressed
                    else [_raw_samples(f.body, layout) for f in group])
            for f, raw in zip(group, raws):
                why = raw if isinstance(raw, str) else _check_raw(raw, layout)
                if why:
                    self.corrupt.append((f.index, f"polar_verity: {why}"))
                    continue
                v = _as_floats(raw) if layout.floats else raw[:, :layout.used].astype(np.float64)
                scale = (f.factor if layout.factor else 1.0) * layout.unit_per_factor * _TO_SI[f.kind]
                values[f.index] = v[:, :layout.used] * scale
        frames = {k: _Frames() for k in NAME}
        for f in self.pending:  # receive order
            if f.index in values:
                frames[f.kind].add(f.index, f.t_last_ns, values[f.index])
        self.corrupt.sort()
        return frames


def _raw_samples(body: bytes, layout: Layout) -> np.ndarray | str:
    """(n, channels) int64 samples of an uncompressed frame body, or the reason it is malformed."""
    size = layout.bits // 8
    if not body or len(body) % (size * layout.channels):
        return f"{len(body)}-byte raw body is not whole {layout.channels} x {size}-byte samples"
    b = np.frombuffer(body, np.uint8).reshape(-1, size).astype(np.int64)
    v = b @ (np.int64(1) << (8 * np.arange(size, dtype=np.int64)))
    v = np.where(v >= 1 << (layout.bits - 1), v - (1 << layout.bits), v)
    return v.reshape(-1, layout.channels)


def _check_raw(raw: np.ndarray, layout: Layout) -> str | None:
    """Why decoded integer samples cannot be real (a delta sum beyond the resolution), or None."""
    if layout.floats:
        return None if np.isfinite(_as_floats(raw)).all() else "float sample is not a finite number"
    half = 1 << (layout.bits - 1)
    if raw.max() >= half or raw.min() < -half:
        return f"sample outside the {layout.bits}-bit range"
    return None


def _as_floats(raw: np.ndarray) -> np.ndarray:
    """float64 of IEEE-754 float32 bit patterns; delta sums wrap at 32 bits as the SDK's Int does."""
    return raw.astype(np.int64).astype(np.uint32).view(np.float32).astype(np.float64)


def _pair(frames: dict[int, _Frames], host: np.ndarray, corrupt: list[tuple[int, str]],
          notes: list[tuple[int, str]], nominal_ns: float, mag_nominal_ns: float) -> DecodedStream:
    """One row per acc sample that has a gyro sample within half a sample period; mag where one is as close."""
    # acc and gyro run at one configured rate: the smaller typical spacing of the two is the true one
    # (a stream that lost every other frame sees twice the spacing between the frames it kept)
    spacing = [p for p in (frames[ACC].typical_period_ns(), frames[GYRO].typical_period_ns()) if p > 0]
    shared = min(spacing) if spacing else nominal_ns
    ta, ia, acc = frames[ACC].times_and_values(shared)
    tg, ig, gyr = frames[GYRO].times_and_values(shared)
    tm, im, mag = frames[MAG].times_and_values(frames[MAG].typical_period_ns() or mag_nominal_ns)
    if ta.size == 0 or tg.size == 0:
        for idx, name in ((ia, "acc"), (ig, "gyro")):
            for k in np.unique(idx):
                notes.append((int(k), f"polar_verity: {int(np.count_nonzero(idx == k))} {name} samples unpaired "
                                      f"(no {'gyro' if name == 'acc' else 'acc'} stream)"))
        notes.sort()
        out = empty_stream(True, True, False, corrupt)
        out.notes, out.sensor_time_ns = notes, np.zeros(0, dtype=np.int64)
        return out
    # tolerances in float ns: exact to well under a microsecond, and no int64 overflow on fuzzed times
    fa, fg = ta.astype(np.float64), tg.astype(np.float64)
    period = float(np.median(np.diff(np.sort(fa)))) if fa.size > 1 else shared
    tol = 0.5 * period
    j = _nearest(fg, fa)
    back = _nearest(fa, fg)
    paired = (back[j] == np.arange(fa.size)) & (np.abs(fg[j] - fa) <= tol)
    a_idx, g_idx = np.flatnonzero(paired), j[paired]
    for name, idx_all, used in (("acc", ia, a_idx), ("gyro", ig, g_idx)):
        lost = np.ones(idx_all.size, dtype=bool)
        lost[used] = False
        for k in np.unique(idx_all[lost]):
            n = int(np.count_nonzero(idx_all[lost] == k))
            notes.append((int(k), f"polar_verity: {n} {name} samples without a partner within "
                                  f"{tol * 1e-6:.1f} ms, dropped"))
    rows_t = ta[a_idx]
    row_mag = np.full((a_idx.size, 3), np.nan)
    if tm.size and rows_t.size:
        r = _nearest(fa[a_idx], tm.astype(np.float64))
        close = np.abs(fa[a_idx][r] - tm.astype(np.float64)) <= tol
        row_mag[r[close]] = mag[close]
    note_idx = np.maximum(ia[a_idx], ig[g_idx])
    notes.sort()
    stream = DecodedStream(acc_mps2=acc[a_idx], gyr_radps=gyr[g_idx], mag_ut=row_mag, host_time_s=host[note_idx],
                           notification_index=note_idx, sensor_time_s=rows_t * 1e-9, counter=None,
                           corrupt=corrupt, notes=notes, sensor_time_ns=rows_t)
    return with_gravity_check("polar_verity", stream)


def _nearest(sorted_or_not: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Index into ``sorted_or_not`` of the element nearest each query value."""
    order = np.argsort(sorted_or_not, kind="stable")
    s = sorted_or_not[order]
    pos = np.clip(np.searchsorted(s, query), 1, max(s.size - 1, 1))
    left = np.clip(pos - 1, 0, s.size - 1)
    right = np.clip(pos, 0, s.size - 1)
    pick = np.where(np.abs(s[left] - query) <= np.abs(s[right] - query), left, right)
    return order[pick]


# --- device side -------------------------------------------------------------------------------


class PolarDevice(DeviceEmulator):
    """Device side: PMD control point state machine and delta-compressed frames per measurement."""

    def __init__(self, rate_hz: float = 52.0, mtu: int = MTU) -> None:
        self.rate_hz = float(rate_hz)
        self.streaming = False
        self.battery_percent = 100
        self.sdk_mode = False
        self.max_frame = mtu - 3
        self.active: dict[int, dict[str, float]] = {}  # per measurement: rate, LSB and limit in SI, frame type
        self._pending = {k: PendingSamples() for k in (ACC, GYRO, MAG)}
        self._next_mag_t: float | None = None

    def read(self, uuid: str) -> bytes | None:
        uuid = uuid.lower()
        if uuid == PMD_CP:  # features: PPG, ACC, PPI, GYRO, MAG; SDK mode
            return bytes([FEATURES_READ, 0x02 | 0x04 | 0x08 | 0x20 | 0x40, 0x02])
        if uuid == BATTERY_LEVEL_UUID:
            return bytes([self.battery_percent])
        return None

    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        data = bytes(data)
        if uuid.lower() != PMD_CP or len(data) < 2:
            return [(PMD_CP, bytes([RESPONSE, data[0] if data else 0, 0, STATUS_INVALID_LENGTH]))] \
                if uuid.lower() == PMD_CP else []
        op, kind = data[0], data[1]
        if op == OP_GET_SETTINGS:
            return [self._answer(op, kind, STATUS_SUCCESS, self._capabilities(kind))] \
                if kind in (ACC, GYRO, MAG) else [self._answer(op, kind, STATUS_INVALID_TYPE)]
        if op == OP_START:
            return [self._start(kind, data[2:])]
        if op == OP_STOP:
            if kind == SDK_MODE:
                self.sdk_mode = False
                self.active.clear()
            elif kind not in self.active:
                return [self._answer(op, kind, STATUS_ALREADY_IN_STATE)]
            self.active.pop(kind, None)
            self._pending = {k: PendingSamples() for k in (ACC, GYRO, MAG)}
            self.streaming = ACC in self.active or GYRO in self.active
            return [self._answer(op, kind, STATUS_SUCCESS, b"")]
        return [self._answer(op, kind, STATUS_INVALID_OP)]

    @staticmethod
    def _answer(op: int, kind: int, status: int, params: bytes | None = None) -> tuple[str, bytes]:
        body = bytes([RESPONSE, op, kind, status])
        if status == STATUS_SUCCESS and params is not None:
            body += bytes([0]) + params  # "more" = 0: the answer fits one notification
        return PMD_CP, body

    def _capabilities(self, kind: int) -> bytes:
        rates = MAG_RATES if kind == MAG else (ACC_RATES if self.sdk_mode else (52,))
        ranges = {ACC: ACC_RANGES_G, GYRO: GYR_RANGES_DPS, MAG: (MAG_RANGE_GAUSS,)}[kind]
        return (bytes([SET_SAMPLE_RATE, len(rates)]) + b"".join(r.to_bytes(2, "little") for r in rates)
                + bytes([SET_RESOLUTION, 1]) + RESOLUTION_BITS.to_bytes(2, "little")
                + bytes([SET_RANGE, len(ranges)]) + b"".join(r.to_bytes(2, "little") for r in ranges)
                + bytes([SET_CHANNELS, 1, 3]))

    def _start(self, kind: int, tlv: bytes) -> tuple[str, bytes]:
        if kind == SDK_MODE:
            if self.sdk_mode:
                return self._answer(OP_START, kind, STATUS_ALREADY_IN_STATE)
            self.sdk_mode, self.streaming = True, False
            self.active.clear()  # entering SDK mode closes running streams
            return self._answer(OP_START, kind, STATUS_SUCCESS, b"")
        if kind not in (ACC, GYRO, MAG):
            return self._answer(OP_START, kind, STATUS_INVALID_TYPE)
        if kind in self.active:
            return self._answer(OP_START, kind, STATUS_ALREADY_IN_STATE)
        settings = parse_settings(tlv)
        if settings is None or any(len(v) != 1 for v in settings.values()):
            return self._answer(OP_START, kind, STATUS_INVALID_PARAMETER)
        rate = settings.get(SET_SAMPLE_RATE, [0])[0]
        rng = settings.get(SET_RANGE, [0])[0]
        rates = MAG_RATES if kind == MAG else (ACC_RATES if self.sdk_mode else (52,))
        ranges = {ACC: ACC_RANGES_G, GYRO: GYR_RANGES_DPS, MAG: (MAG_RANGE_GAUSS,)}[kind]
        if settings.get(SET_RESOLUTION, [RESOLUTION_BITS])[0] != RESOLUTION_BITS:
            return self._answer(OP_START, kind, STATUS_INVALID_RESOLUTION)
        if rate not in rates:
            return self._answer(OP_START, kind, STATUS_INVALID_SAMPLE_RATE)
        if rng not in ranges:
            return self._answer(OP_START, kind, STATUS_INVALID_RANGE)
        if kind == ACC and not self.sdk_mode:
            # outside SDK mode the Verity answers with no factor and sends mG (polar-ble-sdk #331, #443)
            frame, factor = ACC_FRAME_TYPE_MG, None
        else:
            frame, factor = FRAME_TYPE[kind], full_scale_factor(rng)
        unit_per_lsb = LAYOUTS[(kind, frame)].unit_per_factor * (1.0 if factor is None else factor)
        limit_units = min(rng * (1000.0 if kind == ACC else 1.0), 32767 * unit_per_lsb)
        self.active[kind] = {"rate": float(rate), "lsb_si": unit_per_lsb * _TO_SI[kind],
                             "limit_si": limit_units * _TO_SI[kind], "frame": frame}
        if kind == ACC:
            self.rate_hz = float(rate)
        self.streaming = ACC in self.active or GYRO in self.active
        self._pending[kind] = PendingSamples()
        params = b"" if factor is None else bytes([SET_FACTOR, 1]) + struct.pack("<f", factor)
        return self._answer(OP_START, kind, STATUS_SUCCESS, params)

    def device_stop(self) -> list[tuple[str, bytes]]:
        """The device ends its measurements on its own (low battery, charger): ``01`` + the types it stopped."""
        kinds = sorted(self.active)
        self.active.clear()
        self.streaming = False
        self._pending = {k: PendingSamples() for k in (ACC, GYRO, MAG)}
        return [(PMD_CP, bytes([DEVICE_STOPPED, *kinds]))] if kinds else []

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        t = np.asarray(sensor_time_s, dtype=np.float64).reshape(-1)
        n = t.shape[0]
        values = {ACC: np.asarray(acc_mps2, dtype=np.float64).reshape(n, 3),
                  GYRO: np.asarray(gyr_radps, dtype=np.float64).reshape(n, 3),
                  MAG: (np.zeros((n, 3)) if mag_ut is None
                        else np.nan_to_num(np.asarray(mag_ut, dtype=np.float64).reshape(n, 3)))}
        out: list[tuple[str, bytes]] = []
        for kind in (ACC, GYRO, MAG):
            if kind not in self.active:
                continue
            sel = self._mag_instants(t) if kind == MAG else np.arange(n)
            self._pending[kind].push(values[kind][sel], np.zeros((sel.size, 3)), None, t[sel])
            out += self._frames(kind)
        return out

    def _mag_instants(self, t: np.ndarray) -> np.ndarray:
        """Inputs the magnetometer samples at its own rate (it runs slower than acc/gyro)."""
        period = 1.0 / self.active[MAG]["rate"]
        picks = []
        for k, tk in enumerate(t.tolist()):
            if self._next_mag_t is None or tk >= self._next_mag_t - 1e-9:
                picks.append(k)
                self._next_mag_t = (tk if self._next_mag_t is None else self._next_mag_t) + period
        return np.asarray(picks, dtype=np.int64)

    def _frames(self, kind: int) -> list[tuple[str, bytes]]:
        """Whole frames from the pending samples: as many samples as fit the MTU, one sample period apart."""
        out: list[tuple[str, bytes]] = []
        cfg = self.active[kind]
        per_frame = int(min(36, max(2, cfg["rate"] * 0.35)))  # ~0.35 s of samples per frame
        while len(self._pending[kind]) >= per_frame:
            vals, _, _, times = self._pending[kind].take(per_frame)
            raw = quantise(np.clip(vals, -cfg["limit_si"], cfg["limit_si"]), cfg["lsb_si"])
            t_ns = np.rint(times * 1e9).astype(np.int64)
            frame = data_frame(kind, t_ns[-1], raw, cfg["frame"])
            cut = raw.shape[0]
            while len(frame) > self.max_frame and cut > 2:  # too many wide deltas: fewer samples per frame
                cut -= 1
                frame = data_frame(kind, t_ns[cut - 1], raw[:cut], cfg["frame"])
            if cut < raw.shape[0]:
                out.append((PMD_DATA, frame))
                frame = data_frame(kind, t_ns[-1], raw[cut:], cfg["frame"])
            out.append((PMD_DATA, frame))
        return out
