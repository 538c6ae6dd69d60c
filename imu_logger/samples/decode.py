"""Decode a recording into per-sensor sample tables on one time base, with every gap listed.

``time_s`` is seconds from the session start on the host's monotonic clock. Gaps are never filled:
missing samples are absent rows, and each gap is a row of the gaps table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger.recording import generic
from imu_logger.recording.reader import Recording
from imu_logger.recording.writer import SensorInfo
from imu_logger.sensors import get_model
from imu_logger.sensors._bytes import IndexedUuids
from imu_logger.sensors.base import DecodedStream
from imu_logger.samples.timebase import (ClockFit, Gap, fit_clock, gaps_from_counter, gaps_from_sensor_time,
                                 sample_clock_from_receive_times)

GAP_COLUMNS = ("placement", "connection", "start_s", "end_s", "missing_samples", "source")


@dataclass
class SensorSamples:
    """Decoded samples of one sensor and what is known about their timing."""

    placement: str
    model: str
    rate_hz: float
    data: pd.DataFrame  # time_s, acc_*_mps2, gyr_*_radps, [mag_*_ut if the sensor sent any], connection
    gaps: pd.DataFrame  # GAP_COLUMNS
    clocks: dict[int, ClockFit] = field(default_factory=dict)
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # decoder notes: stop events, implausible scale

    @property
    def missing_samples(self) -> int:
        return int(self.gaps["missing_samples"].sum()) if len(self.gaps) else 0


def _decode_connection(model_key: str, uuids: list[str], payloads: Sequence[bytes],
                       char_index: np.ndarray, host_s: np.ndarray, rate_hz: float) -> DecodedStream:
    if model_key == generic.MODEL_KEY:
        rows, index, bad = generic.unpack_rows(payloads)
        return DecodedStream(acc_mps2=rows[:, 1:4], gyr_radps=rows[:, 4:7], mag_ut=rows[:, 7:10],
                             host_time_s=host_s[index] if index.size else np.zeros(0),
                             notification_index=index, sensor_time_s=rows[:, 0], corrupt=bad)
    model = get_model(model_key)
    return model.decode(IndexedUuids(uuids, char_index), payloads, host_s, rate_hz=rate_hz)


def _time_connection(stream: DecodedStream, rate_hz: float, imported: bool
                     ) -> tuple[np.ndarray, list[Gap], ClockFit | None]:
    """Host time of every sample of one connection, the gaps inside it, and the clock fit."""
    if imported:
        return stream.sensor_time_s, gaps_from_sensor_time(stream.sensor_time_s, rate_hz), None
    if stream.sensor_time_s is not None:
        # integer ns, where the model has them, stay exact until here: seconds from the first sample
        sensor_s = (stream.sensor_time_s if stream.sensor_time_ns is None
                    else (stream.sensor_time_ns - stream.sensor_time_ns[0]) * 1e-9)
        gaps = (gaps_from_counter(stream.counter) if stream.counter is not None
                else gaps_from_sensor_time(sensor_s, rate_hz))
    elif stream.counter is not None:
        sensor_s = (stream.counter - stream.counter[0]) / rate_hz
        gaps = gaps_from_counter(stream.counter)
    else:
        note = stream.notification_index
        starts = np.flatnonzero(np.r_[True, note[1:] != note[:-1]])
        per_note = np.diff(np.r_[starts, note.size])
        counter_last, gaps, rate = sample_clock_from_receive_times(
            stream.host_time_s[starts], per_note, rate_hz)
        counter = np.repeat(counter_last - per_note + 1, per_note) + (
            np.arange(note.size) - np.repeat(starts, per_note))
        sensor_s = counter / rate
    last = np.flatnonzero(np.r_[stream.notification_index[1:] != stream.notification_index[:-1], True])
    fit = fit_clock(sensor_s[last], stream.host_time_s[last])
    return fit.to_host(sensor_s), gaps, fit


@dataclass
class ConnectionSamples:
    """The decoded samples of one connection of one sensor (``columns`` None: none decoded)."""

    connection: int
    columns: dict[str, np.ndarray] | None  # time_s float64, acc/gyr[/mag] float32, connection int32
    gap_rows: list[tuple]  # GAP_COLUMNS
    clock: ClockFit | None
    corrupt: list[tuple[int, str]]
    notes: list[tuple[int, str]]


def decode_connection(info: SensorInfo, connection: int, payloads: Sequence[bytes], char_index: np.ndarray,
                      host_mono_ns: np.ndarray, start_mono_ns: int, offset: int, prev_end_s: float | None
                      ) -> ConnectionSamples:
    """Decode the notifications of one connection (``offset``: the sensor's number of its first one;
    ``prev_end_s``: the last sample time of the sensor's previous connection, None for its first)."""
    placement, rate_hz = info.placement, info.rate_hz
    host_s = host_mono_ns * 1e-9 - start_mono_ns * 1e-9
    stream = _decode_connection(info.model, info.notify_uuids, payloads, char_index, host_s, rate_hz)
    corrupt = [(offset + i, reason) for i, reason in stream.corrupt]
    notes = [(offset + i, text) for i, text in stream.notes]
    if len(stream) == 0:
        return ConnectionSamples(int(connection), None, [], None, corrupt, notes)
    t, gaps, fit = _time_connection(stream, rate_hz, info.model == generic.MODEL_KEY)
    gap_rows = [(placement, int(connection), float(t[g.index - 1]), float(t[g.index]), g.missing, g.source)
                for g in gaps]
    if prev_end_s is not None:  # every reconnect is a gap, even one too short to cost a sample
        missing = max(int(round((t[0] - prev_end_s) * rate_hz)) - 1, 0)
        gap_rows.append((placement, int(connection), prev_end_s, max(float(t[0]), prev_end_s),
                         missing, "disconnect"))
    # each of the stream's arrays is let go as soon as it is used: a connection may hold a day
    stream.host_time_s = stream.notification_index = stream.sensor_time_s = stream.counter = None
    stream.sensor_time_ns = None
    columns = {TIME: np.asarray(t, np.float64)}
    del t
    for names, field_name in ((ACC, "acc_mps2"), (GYR, "gyr_radps"), (MAG, "mag_ut")):
        values = getattr(stream, field_name)
        setattr(stream, field_name, None)
        if names is MAG and (values is None or not np.isfinite(values).any()):
            continue  # no magnetometer data from this sensor: no mag columns
        # float32 resolves 1e-7 of full scale, far below any sensor's quantisation; halves memory
        columns.update({n: np.ascontiguousarray(values[:, k], np.float32) for k, n in enumerate(names)})
        del values
    columns["connection"] = np.full(len(columns[TIME]), connection, np.int32)
    return ConnectionSamples(int(connection), columns, gap_rows, fit, corrupt, notes)


def decode_sensor(rec: Recording, placement: str) -> SensorSamples:
    """Decode one sensor of a recording (all its connections) into a :class:`SensorSamples`."""
    info = rec.sensors[placement]
    log = rec.raw[placement]
    frames, gap_rows, clocks, corrupt, notes = [], [], {}, [], []
    prev_end_s: float | None = None  # last sample time of the previous connection
    for connection in np.unique(log.connection):
        idx = np.flatnonzero(log.connection == connection)
        part = decode_connection(info, int(connection), log.payloads.select(idx), log.char_index[idx],
                                 log.host_mono_ns[idx], rec.start_mono_ns, int(idx[0]), prev_end_s)
        corrupt += part.corrupt
        notes += part.notes
        if part.columns is None:
            continue
        if part.clock is not None:
            clocks[part.connection] = part.clock
        gap_rows += part.gap_rows
        prev_end_s = float(part.columns[TIME][-1])
        frames.append(pd.DataFrame(part.columns, copy=False))
    data = (frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True) if frames
            else empty_samples())
    gaps_df = pd.DataFrame(gap_rows, columns=list(GAP_COLUMNS))
    return SensorSamples(placement, info.model, info.rate_hz, data, gaps_df, clocks, corrupt, notes)


def empty_samples() -> pd.DataFrame:
    """The sample table of a sensor that sent no samples."""
    return pd.DataFrame(columns=[TIME, *ACC, *GYR, "connection"], dtype=float)


def decode_recording(rec: Recording) -> dict[str, SensorSamples]:
    """Decode every sensor of a recording, keyed by placement."""
    return {placement: decode_sensor(rec, placement) for placement in rec.sensors}
