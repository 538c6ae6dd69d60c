"""Write a simulated day as a recording, through each sensor model's exact bytes, faster than real time.

Each sensor's error-laden signal goes through its model's device emulator (quantisation, range, clock
and counters of the model) and the resulting notifications get host receive times of true time plus
a BLE-like latency. A sample the simulator dropped takes its whole notification with it, as a lost
radio packet would; the recording's gap detection must then find it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger.errors import UserError
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo
from imu_logger.sensors import get_model
from imu_logger.sensors.base import SensorModel
from gait_sim import Simulation

BATCH_S = 0.5  # as the live recorder writes
BLOCK_S = 1.0  # samples handed to the emulator at a time


def check_rate(model: SensorModel, fs_hz: float) -> None:
    """A UserError unless the model streams at exactly ``fs_hz``."""
    if not any(abs(r - fs_hz) < 1e-9 for r in model.rates_hz):
        rates = ", ".join(f"{r:g}" for r in sorted(model.rates_hz))
        raise UserError(f"{model.key} does not stream at {fs_hz:g} Hz (its rates: {rates} Hz): "
                        "choose --fs accordingly or another --model")


def _full_signal(sim: Simulation, placement: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]:
    """acc, gyr, mag, sensor clock for every sample, and the mask of samples the simulator kept."""
    t = sim.time_s
    kept_df = sim.signals[placement]
    kept = np.isin(t, kept_df[TIME].to_numpy())
    clean = sim.clean_signals[placement]
    arrays = []
    for cols in (ACC, GYR, MAG):
        full = clean[list(cols)].to_numpy(np.float64).copy()  # dropped rows: never sent, any value
        full[kept] = kept_df[list(cols)].to_numpy(np.float64)
        arrays.append(full)
    clock = sim.sensor_time_s[placement].astype(np.float64)
    slope, offset = np.polyfit(t[kept], clock, 1)  # the simulated clock is offset + (1 + drift) t
    sensor_t = offset + slope * t
    sensor_t[kept] = clock
    return arrays[0], arrays[1], arrays[2], sensor_t, kept


def encode_placement(sim: Simulation, placement: str, model: SensorModel, rng: np.random.Generator,
                     latency_mean_s: float = 0.008) -> tuple[list[tuple[str, bytes]], np.ndarray, np.ndarray]:
    """Notifications of one sensor, their true host receive times (s), and which were delivered."""
    fs = sim.config.fs_hz
    check_rate(model, fs)
    acc, gyr, mag, sensor_t, kept = _full_signal(sim, placement)
    device = model.new_device(fs)
    notes: list[tuple[str, bytes]] = []
    for write in model.start_commands(fs):  # the host hears the answers it subscribed to (Polar's factors)
        notes += [r for r in device.on_write(write.uuid, write.data) if r[0] in model.notify_uuids]
    block = max(int(BLOCK_S * fs), 1)
    for i in range(0, acc.shape[0], block):
        s = slice(i, i + block)
        notes += device.encode(acc[s], gyr[s], mag[s], sensor_t[s])
    # which samples each notification carries, from the model's own decoder
    decoded = model.decode([u for u, _ in notes], [d for _, d in notes], np.zeros(len(notes)))
    per_note = np.bincount(decoded.notification_index, minlength=len(notes))
    last_sample = np.maximum(np.cumsum(per_note) - 1, 0)
    first_sample = last_sample - per_note + 1
    t = sim.time_s
    latency = rng.exponential(latency_mean_s, len(notes))
    host = np.maximum.accumulate(t[last_sample] + latency)  # BLE delivers in order
    dropped_before = np.concatenate([[0], np.cumsum(~kept)])
    lost = (dropped_before[last_sample + 1] - dropped_before[first_sample]) > 0
    lost &= per_note > 0
    empty = np.flatnonzero(per_note == 0)  # e.g. a gyro frame paired into the acc rows
    lost[empty] = lost[np.maximum(empty - 1, 0)]
    return notes, host, ~lost


def write_simulated_recording(sim: Simulation, out: Path, models: dict[str, str], seed: int = 0,
                              subject_id: str = "simulated") -> dict[str, int]:
    """Write the recording; returns the number of notifications delivered per placement."""
    rng = np.random.default_rng(seed)
    start_wall = time.time_ns()
    writer = RecordingWriter(out, SessionInfo(start_wall, 0, subject_id, "simulated",
                                              extra={"simulation_seed": str(sim.config.seed),
                                                     "simulation_mounting": sim.config.mounting}),
                             fsync=False)
    delivered = {}
    for placement in sim.signals:
        model = get_model(models[placement])
        notes, host_s, keep = encode_placement(sim, placement, model, rng)
        writer.add_sensor(SensorInfo(placement, model.key, f"sim:{placement}", sim.config.fs_hz,
                                     list(model.notify_uuids), name=f"simulated {model.display_name}"))
        writer.write_event("connect", 0, start_wall, placement, connection=1, address=f"sim:{placement}")
        index = {u: i for i, u in enumerate(model.notify_uuids)}
        idx = np.flatnonzero(keep)
        mono = np.rint(host_s[idx] * 1e9).astype(np.int64)
        chars = np.array([index[notes[i][0]] for i in idx], np.uint8)
        edges = np.searchsorted(host_s[idx], np.arange(0.0, host_s[-1] + BATCH_S, BATCH_S))
        for a, b in zip(edges[:-1], np.r_[edges[1:-1], idx.size]):
            if b > a:
                writer.write_batch(placement, RawBatch(1, mono[a:b], mono[a:b] + start_wall,
                                                       chars[a:b], [notes[i][1] for i in idx[a:b]]))
        delivered[placement] = int(idx.size)
    writer.close({"duration_s": f"{sim.time_s[-1]:.3f}"})
    return delivered
