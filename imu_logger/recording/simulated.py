"""Write a simulated day as a recording, through each sensor model's exact bytes, faster than real time.

Each sensor's error-laden signal goes through its model's device emulator (quantisation, range, clock
and counters of the model) and the resulting notifications get host receive times of true time plus
a BLE-like latency. A sample the simulator dropped takes its whole notification with it, as a lost
radio packet would; the recording's gap detection must then find it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger.errors import UserError
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo
from imu_logger.sensors import get_model
from imu_logger.sensors.base import SensorModel
from gait_sim import Simulation
from gait_sim.chunked import ChunkedSimulation, SignalChunk

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


class PlacementEncoder:
    """One sensor's notifications, fed its samples in time order, one block of rows after another.

    The device emulator, the BLE in-order delivery and the samples still waiting in the emulator carry
    over from one block to the next, so blocks of whole seconds give the notifications of one block
    holding every sample. ``rng`` draws each notification's latency.
    """

    def __init__(self, model: SensorModel, fs_hz: float, rng: np.random.Generator,
                 latency_mean_s: float = 0.008) -> None:
        check_rate(model, fs_hz)
        self.model, self.fs, self.rng, self.latency_mean_s = model, fs_hz, rng, latency_mean_s
        self.device = model.new_device(fs_hz)
        self._start: list[tuple[str, bytes]] = []
        for write in model.start_commands(fs_hz):  # the host hears the answers it subscribed to (Polar's factors)
            self._start += [r for r in self.device.on_write(write.uuid, write.data) if r[0] in model.notify_uuids]
        self._state: list[tuple[str, bytes]] = []  # notifications that set how later ones decode (Polar)
        self._sent = 0  # samples carried by the notifications so far
        self._keep_pending = np.zeros(0, bool)  # keep flags of the samples taken but not yet sent
        self._host_s = -np.inf  # receive time of the last notification
        self._lost = False  # whether the last notification was lost

    def encode(self, acc: np.ndarray, gyr: np.ndarray, mag: np.ndarray, sensor_t: np.ndarray, keep: np.ndarray
               ) -> tuple[list[tuple[str, bytes]], np.ndarray, np.ndarray]:
        """Notifications of the next rows (float64 (n, 3) each, sensor clock s, keep mask), their true host
        receive times (s) and which were delivered."""
        notes, self._start = self._start, []
        block = max(int(BLOCK_S * self.fs), 1)
        for i in range(0, acc.shape[0], block):
            s = slice(i, i + block)
            notes += self.device.encode(acc[s], gyr[s], mag[s], sensor_t[s])
        # which samples each notification carries, from the model's own decoder
        given = self._state + notes
        decoded = self.model.decode([u for u, _ in given], [d for _, d in given], np.zeros(len(given)))
        per_note = np.bincount(decoded.notification_index, minlength=len(given))[len(self._state):]
        self._state += [r for r in notes if self.model.sets_decoding_state(*r)]
        last_sample = np.maximum(self._sent + np.cumsum(per_note) - 1, 0)  # sample numbers of the day
        first_sample = last_sample - per_note + 1
        latency = self.rng.exponential(self.latency_mean_s, len(notes))
        host = np.maximum.accumulate(np.r_[self._host_s, last_sample / self.fs + latency])[1:]  # BLE delivers in order
        keep = np.concatenate([self._keep_pending, keep])  # from sample self._sent on
        dropped_before = np.concatenate([[0], np.cumsum(~keep)])
        lost = (dropped_before[last_sample - self._sent + 1] - dropped_before[first_sample - self._sent]) > 0
        lost &= per_note > 0
        empty = np.flatnonzero(per_note == 0)  # e.g. a gyro frame paired into the acc rows: as the one before
        lost[empty] = np.r_[self._lost, lost][empty]
        sent = int(per_note.sum())
        self._sent += sent
        self._keep_pending = keep[sent:]
        if len(notes):
            self._host_s, self._lost = float(host[-1]), bool(lost[-1])
        return notes, host, ~lost


def encode_placement(sim: Simulation, placement: str, model: SensorModel, rng: np.random.Generator,
                     latency_mean_s: float = 0.008) -> tuple[list[tuple[str, bytes]], np.ndarray, np.ndarray]:
    """Notifications of one sensor, their true host receive times (s), and which were delivered."""
    acc, gyr, mag, sensor_t, kept = _full_signal(sim, placement)
    return PlacementEncoder(model, sim.config.fs_hz, rng, latency_mean_s).encode(acc, gyr, mag, sensor_t, kept)


class _SimulatedWriter:
    """The recording file of a simulation: one raw channel per placement, batches of BATCH_S."""

    def __init__(self, out: Path, config, models: dict[str, str], seed: int, subject_id: str) -> None:
        self.rng = np.random.default_rng(seed)
        self.start_wall = time.time_ns()
        self.writer = RecordingWriter(out, SessionInfo(self.start_wall, 0, subject_id, "simulated",
                                                       extra={"simulation_seed": str(config.seed),
                                                              "simulation_mounting": config.mounting}),
                                      fsync=False)
        self.fs = config.fs_hz
        self.models = {p: get_model(k) for p, k in models.items()}
        for model in self.models.values():
            check_rate(model, self.fs)
        self.encoders: dict[str, PlacementEncoder] = {}
        self.delivered = dict.fromkeys(models, 0)

    def add(self, placement: str) -> None:
        model = self.models[placement]
        self.encoders[placement] = PlacementEncoder(model, self.fs, self.rng)
        self.writer.add_sensor(SensorInfo(placement, model.key, f"sim:{placement}", self.fs,
                                          list(model.notify_uuids), name=f"simulated {model.display_name}"))
        self.writer.write_event("connect", 0, self.start_wall, placement, connection=1, address=f"sim:{placement}")

    def write(self, placement: str, notes: list[tuple[str, bytes]], host_s: np.ndarray, keep: np.ndarray) -> None:
        index = {u: i for i, u in enumerate(self.models[placement].notify_uuids)}
        idx = np.flatnonzero(keep)
        if not idx.size:
            return
        mono = np.rint(host_s[idx] * 1e9).astype(np.int64)
        chars = np.array([index[notes[i][0]] for i in idx], np.uint8)
        first = np.floor(host_s[idx[0]] / BATCH_S) * BATCH_S  # the batches of a whole day's times from 0
        edges = np.searchsorted(host_s[idx], np.arange(first, host_s[-1] + BATCH_S, BATCH_S))
        for a, b in zip(edges[:-1], np.r_[edges[1:-1], idx.size]):
            if b > a:
                self.writer.write_batch(placement, RawBatch(1, mono[a:b], mono[a:b] + self.start_wall,
                                                            chars[a:b], [notes[i][1] for i in idx[a:b]]))
        self.delivered[placement] += int(idx.size)

    def close(self, duration_s: float) -> dict[str, int]:
        self.writer.close({"duration_s": f"{duration_s:.3f}"})
        return self.delivered


def write_simulated_recording(sim: Simulation, out: Path, models: dict[str, str], seed: int = 0,
                              subject_id: str = "simulated") -> dict[str, int]:
    """Write the recording; returns the number of notifications delivered per placement."""
    w = _SimulatedWriter(out, sim.config, {p: models[p] for p in sim.signals}, seed, subject_id)
    for placement in sim.signals:
        w.add(placement)
        acc, gyr, mag, sensor_t, kept = _full_signal(sim, placement)
        w.write(placement, *w.encoders[placement].encode(acc, gyr, mag, sensor_t, kept))
    return w.close(float(sim.time_s[-1]))


def write_chunked_recording(sim: ChunkedSimulation, out: Path, models: dict[str, str], seed: int = 0,
                            subject_id: str = "simulated",
                            on_chunk: Callable[[SignalChunk], None] | None = None) -> dict[str, int]:
    """Write the recording of a chunked simulation, one chunk at a time (memory bounded by a chunk);
    ``on_chunk`` sees each chunk after it is written (e.g. to stream the truth angles). Returns the
    notifications delivered per placement.

    The notifications are those of :func:`write_simulated_recording` on ``simulate(sim.config)`` bit
    for bit; with more than one chunk their latencies (and so host receive times) are other draws of
    the same distribution, since the whole writer draws one placement's latencies after another's.
    """
    placements = sim.config.placements
    w = _SimulatedWriter(out, sim.config, {p: models[p] for p in placements}, seed, subject_id)
    for placement in placements:
        w.add(placement)
    for chunk in sim.chunks():
        for placement in placements:
            signal = [chunk.acc[placement], chunk.gyr[placement], chunk.mag[placement]]
            acc, gyr, mag = (np.asarray(x, np.float64) for x in signal)
            w.write(placement, *w.encoders[placement].encode(acc, gyr, mag, chunk.sensor_time_s[placement],
                                                             chunk.keep[placement]))
        if on_chunk is not None:
            on_chunk(chunk)
    return w.close(sim.t_end_s)
