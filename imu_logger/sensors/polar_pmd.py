"""Polar Verity Sense over the Polar Measurement Data (PMD) service: host side and device emulator.

Control point (FB005C81) takes ``[op, type, settings TLVs]`` and answers ``F0 op type status more
params``; the start answer carries the sample factor as TLV ``05 01 <float32>``. Data (FB005C82)
frames are ``type, uint64 ns timestamp of the last sample, frame type`` then samples; bit 7 of the
frame type marks delta compression: a reference sample, then blocks ``[bit width, count, packed
signed deltas]``. Acc (mG), gyro (°/s) and mag (G) arrive as separate frames; the decoder pairs acc
and gyro by sensor time. Sources and rules: firmware_notes/polar_verity.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from imu_logger.sensors._bytes import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, DEG, PendingSamples, BatteryLevelService, check_inputs, empty_stream,
    length_mismatch, quantise,
)
from imu_logger.sensors.base import (
    GRAVITY_MPS2, CharacteristicSpec, DecodedStream, DeviceEmulator, GattWrite, SensorModel, ServiceSpec,
)

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CP = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

ACC, GYRO, MAG, SDK_MODE = 2, 5, 6, 9
OP_GET_SETTINGS, OP_START, OP_STOP = 0x01, 0x02, 0x03
RESPONSE = 0xF0
FEATURES_READ = 0x0F
STATUS_SUCCESS, STATUS_INVALID_OP, STATUS_INVALID_TYPE, STATUS_NOT_SUPPORTED = 0, 1, 2, 3
STATUS_INVALID_LENGTH, STATUS_INVALID_PARAMETER, STATUS_ALREADY_IN_STATE = 4, 5, 6
STATUS_INVALID_RESOLUTION, STATUS_INVALID_SAMPLE_RATE, STATUS_INVALID_RANGE = 7, 8, 9
SET_SAMPLE_RATE, SET_RESOLUTION, SET_RANGE, SET_CHANNELS, SET_FACTOR = 0, 1, 2, 4, 5
_FIELD_SIZE = {SET_SAMPLE_RATE: 2, SET_RESOLUTION: 2, SET_RANGE: 2, 3: 4, SET_CHANNELS: 1, SET_FACTOR: 4}
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
#: frame type byte the Verity Sense sends per measurement in SDK mode (compressed)
FRAME_TYPE = {ACC: DELTA_BIT | 1, GYRO: DELTA_BIT | 0, MAG: DELTA_BIT | 0}
#: factor units -> SI: acc mG, gyro °/s, mag G
_TO_SI = {ACC: GRAVITY_MPS2 / 1000.0, GYRO: DEG, MAG: UT_PER_GAUSS}
MTU = 232
NAME = {ACC: "acc", GYRO: "gyro", MAG: "mag"}


def nominal_factor(kind: int) -> float:
    """Sample factor (output unit per LSB) for the ranges start_commands selects, as float32."""
    full_scale = {ACC: ACC_RANGE_G * 1000.0, GYRO: float(GYR_RANGE_DPS), MAG: float(MAG_RANGE_GAUSS)}[kind]
    return float(np.float32(full_scale / 32768.0))


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


def data_frame(kind: int, t_last_ns: int, raw: np.ndarray) -> bytes:
    """A compressed PMD data frame of int16 raw samples (n, 3)."""
    return (bytes([kind]) + int(t_last_ns).to_bytes(8, "little") + bytes([FRAME_TYPE[kind]])
            + delta_encode(raw))


# --- host side ---------------------------------------------------------------------------------


@dataclass
class _Frames:
    """Decoded frames of one measurement type, in receive order."""

    t_last_ns: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)

    def add(self, index: int, t_last_ns: int, values: np.ndarray) -> None:
        self.index.append(index)
        self.t_last_ns.append(t_last_ns)
        self.samples.append(values)

    def _spacing(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample counts, last-sample times (s) and the spacing implied by each frame's predecessor."""
        counts = np.array([s.shape[0] for s in self.samples])
        t_last = np.array(self.t_last_ns, dtype=np.float64) * 1e-9
        per = np.full(counts.shape, np.nan)
        per[1:] = np.diff(t_last) / counts[1:]
        return counts, t_last, per

    def typical_period(self) -> float:
        """Median sample spacing over consecutive frames (0 if unknown). A lost frame inflates it."""
        if not self.samples:
            return 0.0
        per = self._spacing()[2]
        good = per[np.isfinite(per) & (per > 0)]
        return float(np.median(good)) if good.size else 0.0

    def times_and_values(self, typical: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample times (s), notification index per sample, and (n, 3) values.

        A frame's spacing comes from its predecessor's timestamp when that agrees with ``typical``
        within 25 %; otherwise (first frame, a lost frame before it) ``typical`` is used.
        """
        if not self.samples:
            return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros((0, 3))
        counts, t_last, per = self._spacing()
        per = np.where(np.isfinite(per) & (per > 0) & (np.abs(per - typical) <= 0.25 * typical), per, typical)
        back = np.concatenate([np.arange(c - 1, -1, -1) for c in counts])
        times = np.repeat(t_last, counts) - back * np.repeat(per, counts)
        return times, np.repeat(np.array(self.index, dtype=np.int64), counts), np.vstack(self.samples)


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

    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes],
               host_time_s: np.ndarray) -> DecodedStream:
        host = check_inputs(self.key, uuids, payloads, host_time_s)
        if host is None:
            return empty_stream(True, True, False, length_mismatch(self.key, len(payloads)))
        corrupt: list[tuple[int, str]] = []
        notes: list[tuple[int, str]] = []
        factor = {k: None for k in (ACC, GYRO, MAG)}
        frames = {k: _Frames() for k in (ACC, GYRO, MAG)}
        pending: list[tuple[int, int, int, bytes]] = []  # (notification, kind, timestamp, compressed body)
        for i, (u, p) in enumerate(zip(uuids, payloads)):
            u, p = str(u).lower(), bytes(p)
            if u == PMD_CP:
                why = _control_point_notification(p, factor)
            elif u == PMD_DATA:
                why = _data_frame(p, i, frames, factor, notes, pending)
            else:
                why = f"notification from unexpected characteristic {u}"
            if why:
                corrupt.append((i, f"polar_verity: {why}"))
        bodies = delta_decode_many([body for _, _, _, body in pending])
        for (i, kind, t_last, _), raw in zip(pending, bodies):
            if isinstance(raw, str):
                corrupt.append((i, f"polar_verity: {raw}"))
            elif np.abs(raw).max() > 32768:
                corrupt.append((i, "polar_verity: sample outside the 16-bit range"))
            else:
                frames[kind].add(i, t_last, raw * factor[kind] * _TO_SI[kind])
        return _pair(frames, host, corrupt, notes)

    def new_device(self, rate_hz: float | None = None) -> PolarDevice:
        return PolarDevice(self.nominal_rate(rate_hz))


def _control_point_notification(p: bytes, factor: dict[int, float | None]) -> str | None:
    """Apply a control-point notification (factor from a start answer); the reason if it is malformed."""
    if len(p) < 4 or p[0] != RESPONSE:
        return f"control point notification {p.hex()} is not a response (F0 ...)"
    op, kind, status = p[1], p[2], p[3]
    if op == OP_START and status == STATUS_SUCCESS and kind in factor:
        settings = parse_settings(p[5:]) if len(p) > 5 else {}
        if settings is None:
            return "start response with malformed settings"
        if SET_FACTOR in settings:
            factor[kind] = float(np.frombuffer(settings[SET_FACTOR][0].to_bytes(4, "little"), "<f4")[0])
    return None


def _data_frame(p: bytes, i: int, frames: dict[int, _Frames], factor: dict[int, float | None],
                notes: list[tuple[int, str]], pending: list[tuple[int, int, int, bytes]]) -> str | None:
    """Check one data frame's header; queue a compressed body (decoded in bulk) or decode a raw one.

    Returns the reason when the frame is malformed. Frames keep receive order per measurement
    type because compressed and raw frames of one type never mix in a stream.
    """
    if len(p) < HEADER_LEN + 6:
        return f"{len(p)}-byte data frame, shorter than header and one sample"
    kind = p[0] & 0x3F
    if kind not in frames:
        return f"measurement type {kind} is not acc, gyro or mag"
    ftype = p[9]
    if ftype & DELTA_BIT and ftype != FRAME_TYPE[kind]:
        return f"unsupported compressed frame type 0x{ftype:02x} for {NAME[kind]}"
    if not ftype & DELTA_BIT and not (kind == ACC and ftype == 1 and (len(p) - HEADER_LEN) % 6 == 0):
        return f"unsupported raw frame type 0x{ftype:02x} for {NAME[kind]}"
    if factor[kind] is None:
        factor[kind] = nominal_factor(kind)
        notes.append((i, f"polar_verity: no start response with the {NAME[kind]} factor; assumed {factor[kind]:.6g}"))
    t_last = int.from_bytes(p[1:9], "little")
    if ftype & DELTA_BIT:
        pending.append((i, kind, t_last, p[HEADER_LEN:]))
    else:
        raw = np.frombuffer(p, dtype="<i2", offset=HEADER_LEN).reshape(-1, 3).astype(np.int64)
        frames[kind].add(i, t_last, raw * factor[kind] * _TO_SI[kind])
    return None


def _pair(frames: dict[int, _Frames], host: np.ndarray, corrupt: list[tuple[int, str]],
          notes: list[tuple[int, str]]) -> DecodedStream:
    """One row per acc sample that has a gyro sample within half a sample period; mag where one is as close."""
    # acc and gyro run at one configured rate: the smaller typical spacing of the two is the true one
    # (a stream that lost every other frame sees twice the spacing between the frames it kept)
    spacing = [p for p in (frames[ACC].typical_period(), frames[GYRO].typical_period()) if p > 0]
    shared = min(spacing) if spacing else 0.0
    ta, ia, acc = frames[ACC].times_and_values(shared)
    tg, ig, gyr = frames[GYRO].times_and_values(shared)
    tm, im, mag = frames[MAG].times_and_values(frames[MAG].typical_period())
    corrupt.sort()
    if ta.size == 0 or tg.size == 0:
        for t, idx, name in ((ta, ia, "acc"), (tg, ig, "gyro")):
            for k in np.unique(idx):
                notes.append((int(k), f"polar_verity: {int(np.count_nonzero(idx == k))} {name} samples unpaired (no {'gyro' if name == 'acc' else 'acc'} stream)"))
        notes.sort()
        return empty_stream(True, True, False, corrupt) if not notes else _with_notes(corrupt, notes)
    period = float(np.median(np.diff(np.sort(ta)))) if ta.size > 1 else 1.0
    tol = 0.5 * period
    j = _nearest(tg, ta)
    back = _nearest(ta, tg)
    paired = (back[j] == np.arange(ta.size)) & (np.abs(tg[j] - ta) <= tol)
    a_idx, g_idx = np.flatnonzero(paired), j[paired]
    for name, idx_all, used in (("acc", ia, a_idx), ("gyro", ig, g_idx)):
        lost = np.ones(idx_all.size, dtype=bool)
        lost[used] = False
        for k in np.unique(idx_all[lost]):
            n = int(np.count_nonzero(idx_all[lost] == k))
            notes.append((int(k), f"polar_verity: {n} {name} samples without a partner within {tol * 1e3:.1f} ms, dropped"))
    notes.sort()
    rows_t = ta[a_idx]
    row_mag = np.full((a_idx.size, 3), np.nan)
    if tm.size and rows_t.size:
        r = _nearest(rows_t, tm)
        close = np.abs(rows_t[r] - tm) <= tol
        row_mag[r[close]] = mag[close]
    note_idx = np.maximum(ia[a_idx], ig[g_idx])
    return DecodedStream(acc_mps2=acc[a_idx], gyr_radps=gyr[g_idx], mag_ut=row_mag, host_time_s=host[note_idx],
                         notification_index=note_idx, sensor_time_s=rows_t, counter=None,
                         corrupt=corrupt, notes=notes)


def _with_notes(corrupt: list[tuple[int, str]], notes: list[tuple[int, str]]) -> DecodedStream:
    out = empty_stream(True, True, False, corrupt)
    out.notes = notes
    return out


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
        self.active: dict[int, dict[str, float]] = {}
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
        full = {ACC: rng * 1000.0, GYRO: float(rng), MAG: float(rng)}[kind]
        f = np.float32(full / 32768.0)
        self.active[kind] = {"rate": float(rate), "factor": float(f), "range": float(rng)}
        if kind == ACC:
            self.rate_hz = float(rate)
        self.streaming = ACC in self.active or GYRO in self.active
        self._pending[kind] = PendingSamples()
        return self._answer(OP_START, kind, STATUS_SUCCESS,
                            bytes([SET_FACTOR, 1]) + np.asarray([f], dtype="<f4").tobytes())

    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        if not self.streaming:
            return []
        t = np.asarray(sensor_time_s, dtype=np.float64).reshape(-1)
        n = t.shape[0]
        values = {ACC: np.asarray(acc_mps2, dtype=np.float64).reshape(n, 3),
                  GYRO: np.asarray(gyr_radps, dtype=np.float64).reshape(n, 3),
                  MAG: np.zeros((n, 3)) if mag_ut is None else np.nan_to_num(np.asarray(mag_ut, dtype=np.float64).reshape(n, 3))}
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
        lsb = cfg["factor"] * _TO_SI[kind]
        limit = cfg["range"] * (1000.0 if kind == ACC else 1.0) * _TO_SI[kind]
        while len(self._pending[kind]) >= per_frame:
            vals, _, _, times = self._pending[kind].take(per_frame)
            raw = quantise(np.clip(vals, -limit, limit), lsb)
            frame = data_frame(kind, int(round(times[-1] * 1e9)), raw)
            cut = raw.shape[0]
            while len(frame) > self.max_frame and cut > 2:  # too many wide deltas: fewer samples per frame
                cut -= 1
                frame = data_frame(kind, int(round(times[cut - 1] * 1e9)), raw[:cut])
            if cut < raw.shape[0]:
                out.append((PMD_DATA, frame))
                frame = data_frame(kind, int(round(times[-1] * 1e9)), raw[cut:])
            out.append((PMD_DATA, frame))
        return out
