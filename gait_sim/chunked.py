"""A simulation streamed in time chunks: the day of :func:`gait_sim.simulate`, in bounded memory.

The plan (periods, mounting, foot and ankle tables) and the truth tables that need no signal are built
once, as ``simulate`` builds them; the signals are then generated chunk by chunk. Every chunk equals
the matching rows of ``simulate``'s output bit for bit:

* a chunk is a whole multiple of ``imu.CHUNK`` samples, so each sample is computed in the same
  vectorised block (and the same still-pose grouping) as in the whole run;
* each sensor's error draws come from the same random stream at the same positions: the stream is
  cloned where ``errors.apply`` starts each kind of noise, after drawing past the earlier kinds once
  (a few seconds for a week; memory stays one block).

Memory grows with a chunk (about 0.1 GB per 100 000 samples of four sensors) and, slowly, with the
day's plan (per stride and per second of bias drift: ~10 MB per day), not with the samples. The
lower-back sensor is not streamed (its truth needs the whole signal): ``simulate`` it whole.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.columns import TIME
from analysis.conventions import GRAVITY_MPS2
from analysis.errors import UserError

from . import ankle as ankle_mod
from . import foot as foot_mod
from . import pelvis as pelvis_mod
from .config import SensorErrors, SimConfig
from .imu import CHUNK, Mount, generate_side
from .scenario import SIDES, plan_day
from .simulate import (ANGLE_NAMES, TIBIAL_WINDOW_S, _mounts, _stance_phases, _truth_bouts,
                       _truth_strides)

_ADVANCE_ROWS = 1_000_000  # rows of noise drawn at a time when moving a stream past a kind of noise


def chunk_samples(fs_hz: float, chunk_s: float = 3600.0) -> int:
    """Samples per chunk: about ``chunk_s`` of data, a whole multiple of ``imu.CHUNK`` (at least one)."""
    return max(1, int(round(chunk_s * fs_hz / CHUNK))) * CHUNK


@dataclass
class SignalChunk:
    """Samples ``lo`` .. ``lo + len(time_s) - 1`` of every sensor.

    ``acc``/``gyr``/``mag`` hold every row (errors applied; a dropped row keeps its clean value, never
    sent); ``keep`` marks the rows the simulator did not drop; ``sensor_time_s`` is each sensor's
    clock at every row. ``truth_angles`` are the rows of ``Simulation.truth_angles``.
    """

    lo: int
    time_s: np.ndarray
    acc: dict[str, np.ndarray]
    gyr: dict[str, np.ndarray]
    mag: dict[str, np.ndarray]
    keep: dict[str, np.ndarray]
    sensor_time_s: dict[str, np.ndarray]
    truth_angles: pd.DataFrame


def _clone(rng: np.random.Generator) -> np.random.Generator:
    return copy.deepcopy(rng)


def _advance_normal(rng: np.random.Generator, rows: int) -> None:
    """Draw (and drop) ``rows`` x 3 float32 normals, as ``errors._noise`` draws them."""
    for done in range(0, rows, _ADVANCE_ROWS):
        rng.standard_normal((min(_ADVANCE_ROWS, rows - done), 3), dtype=np.float32)


class SensorErrorStream:
    """``errors.apply`` of one sensor, one chunk at a time, with the same draws in the same order."""

    def __init__(self, n: int, t_end_s: float, e: SensorErrors, rng: np.random.Generator) -> None:
        self.n, self.e = n, e
        self.knots = self.walk = None
        if e.gyr_bias_drift_radps_per_sqrt_s > 0 and n > 1:
            self.knots = np.arange(0.0, t_end_s + 2.0)  # errors.apply: seconds from the first sample
            steps = rng.standard_normal((len(self.knots), 3)) * e.gyr_bias_drift_radps_per_sqrt_s
            self.walk = np.cumsum(steps, axis=0) - steps[0]
        self.gyr_bias = rng.normal(0.0, e.gyr_bias_radps, 3) if e.gyr_bias_radps > 0 else None
        self.acc_bias = rng.normal(0.0, e.acc_bias_mps2, 3) if e.acc_bias_mps2 > 0 else np.zeros(3)
        self.noise: dict[str, np.random.Generator | None] = {}
        for kind, sd in (("acc", e.acc_noise_mps2), ("gyr", e.gyr_noise_radps), ("mag", e.mag_noise_ut)):
            self.noise[kind] = _clone(rng) if sd > 0 else None
            if sd > 0:
                _advance_normal(rng, n)
        self.gap_start = self.gap_end = np.zeros(0, np.int64)
        if e.drop_fraction > 0 and n > 0:  # the draws of errors._gaps, kept as intervals
            n_gaps = rng.poisson(n * e.drop_fraction / e.drop_gap_mean_samples)
            self.gap_start = rng.integers(0, n, n_gaps)
            self.gap_end = np.minimum(self.gap_start + rng.geometric(1.0 / e.drop_gap_mean_samples, n_gaps), n)
        self.clock_offset_s = rng.uniform(0.0, e.clock_offset_max_s) if e.clock_offset_max_s > 0 else 0.0
        self.clock_drift = rng.normal(0.0, e.clock_drift_ppm) * 1e-6 if e.clock_drift_ppm > 0 else 0.0

    def _noise(self, kind: str, rows: int, sd: float, dtype) -> np.ndarray | float:
        gen = self.noise[kind]
        return gen.standard_normal((rows, 3), dtype=np.float32).astype(dtype) * sd if gen is not None else 0.0

    def keep(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo`` .. ``hi - 1`` the simulator did not drop."""
        sel = (self.gap_start < hi) & (self.gap_end > lo)
        cover = np.zeros(hi - lo + 1, np.int32)
        np.add.at(cover, np.maximum(self.gap_start[sel], lo) - lo, 1)
        np.add.at(cover, np.minimum(self.gap_end[sel], hi) - lo, -1)
        return np.cumsum(cover[:-1]) == 0

    def apply(self, lo: int, acc: np.ndarray, gyr: np.ndarray, mag: np.ndarray, t: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """acc, gyr, mag with errors, the keep mask and the sensor clock of rows ``lo`` .. (t: true s)."""
        e, dt, m = self.e, acc.dtype, len(t)
        drift = (np.column_stack([np.interp(t, self.knots, self.walk[:, k]) for k in range(3)])
                 if self.walk is not None else np.zeros((m, 3)))
        gyr_bias = self.gyr_bias + drift if self.gyr_bias is not None else drift
        out_acc = np.clip(acc + self.acc_bias.astype(dt) + self._noise("acc", m, e.acc_noise_mps2, dt),
                          -e.acc_range_mps2, e.acc_range_mps2).astype(dt, copy=False)
        out_gyr = np.clip(gyr + gyr_bias.astype(dt) + self._noise("gyr", m, e.gyr_noise_radps, dt),
                          -e.gyr_range_radps, e.gyr_range_radps).astype(dt, copy=False)
        out_mag = (mag + self._noise("mag", m, e.mag_noise_ut, dt)).astype(dt, copy=False)
        return (out_acc, out_gyr, out_mag, self.keep(lo, lo + m),
                self.clock_offset_s + t * (1.0 + self.clock_drift))


class _TibialPeaks:
    """Peak tibial acceleration of each truth stride (``simulate._peak_after``), from chunks of the
    clean shin signal."""

    def __init__(self, start_s: np.ndarray, fs_hz: float, n: int) -> None:
        self.i0 = np.ceil(start_s * fs_hz - 1e-9).astype(int)
        self.win = np.arange(int(np.floor(TIBIAL_WINDOW_S * fs_hz)) + 1)
        self.n = n
        self.peak = np.full(len(start_s), -np.inf)

    def add(self, lo: int, shin_acc: np.ndarray) -> None:
        hi = lo + len(shin_acc)
        first, last = np.clip(self.i0, 0, self.n - 1), np.clip(self.i0 + self.win[-1], 0, self.n - 1)
        sel = np.flatnonzero((last >= lo) & (first < hi))
        if not len(sel):
            return
        norm = np.linalg.norm(shin_acc.astype(np.float64), axis=1) / GRAVITY_MPS2
        idx = np.clip(self.i0[sel, None] + self.win, 0, self.n - 1)
        inside = (idx >= lo) & (idx < hi)
        vals = np.where(inside, norm[np.clip(idx - lo, 0, len(norm) - 1)], -np.inf).max(axis=1)
        self.peak[sel] = np.maximum(self.peak[sel], vals)


class ChunkedSimulation:
    """The recording of ``simulate(config)``, its truth tables up front and its signals in chunks.

    Attributes as :class:`gait_sim.Simulation` where they need no signal: ``config``, ``n_samples``,
    ``periods``, ``mounting``, ``mounting_position_m``, ``truth_bouts``, ``stance_phases``,
    ``neutral_periods``; ``truth_strides`` is complete once :meth:`chunks` has run to the end.
    """

    def __init__(self, config: SimConfig, chunk_s: float = 3600.0) -> None:
        config.validate()
        if pelvis_mod.PLACEMENT in config.placements:
            raise UserError("simulation: the lower_back sensor cannot be simulated in chunks; "
                            "simulate it whole (gait_sim.simulate)")
        self.config = config
        seeds = np.random.SeedSequence(config.seed).spawn(3 + len(config.placements))
        self.periods = plan_day(config, np.random.default_rng(seeds[0]))
        self.mounts: dict[str, Mount] = _mounts(config, np.random.default_rng(seeds[1]))
        self.n_samples = int(round(config.minutes * 60.0 * config.fs_hz))
        self.chunk = chunk_samples(config.fs_hz, chunk_s)
        self.t_end_s = (self.n_samples - 1) / config.fs_hz if self.n_samples else 0.0
        self._feet = {side: foot_mod.build(self.periods, side, config.subject) for side in SIDES}
        self._ankles = {side: ankle_mod.build(self.periods, side) for side in SIDES}
        self._seeds = seeds
        self.mounting = {p: self.mounts[p].rotation for p in config.placements}
        self.mounting_position_m = {p: self.mounts[p].position_m for p in config.placements}
        self.truth_strides = _truth_strides(self.periods, self._ankles, {}, config)  # tibial peaks: in chunks
        self.truth_bouts = _truth_bouts(self.periods, self.truth_strides)
        self.stance_phases = _stance_phases(self._feet, self.t_end_s)
        self.neutral_periods = pd.DataFrame([(p.start_s, p.end_s) for p in self.periods if p.activity == "standing"],
                                            columns=["start_s", "end_s"])

    def chunks(self) -> Iterator[SignalChunk]:
        """The signal chunks in time order; afterwards ``truth_strides`` has its tibial peaks."""
        cfg, n = self.config, self.n_samples
        inc = np.radians(cfg.earth_inclination_deg)
        field = cfg.earth_field_ut * np.array([np.cos(inc), 0.0, -np.sin(inc)])
        errors = {p: SensorErrorStream(n, self.t_end_s, cfg.errors, np.random.default_rng(self._seeds[3 + k]))
                  for k, p in enumerate(cfg.placements)}
        strides = self.truth_strides
        peaks = {side: _TibialPeaks(strides.loc[strides["side"] == side, "start_s"].to_numpy(), cfg.fs_hz, n)
                 for side in SIDES if f"{side}_shin" in cfg.placements}
        for lo in range(0, n, self.chunk):
            t = np.arange(lo, min(lo + self.chunk, n)) / cfg.fs_hz
            chunk = SignalChunk(lo, t, {}, {}, {}, {}, {}, pd.DataFrame({TIME: t}))
            for side in SIDES:
                wanted = {p.split("_")[1]: self.mounts[p] for p in cfg.placements if p.startswith(side)}
                out = generate_side(t, self._feet[side], self._ankles[side], side, wanted, field, cfg.dtype,
                                    1.0 / cfg.fs_hz if cfg.sample_average else None)
                for j, name in enumerate(ANGLE_NAMES):
                    chunk.truth_angles[f"{side}_{name}"] = out.angles_deg[:, j]
                for seg in wanted:
                    p = f"{side}_{seg}"
                    clean = (out.acc.pop(seg), out.gyr.pop(seg), out.mag.pop(seg))
                    if seg == "shin":
                        peaks[side].add(lo, clean[0])
                    acc, gyr, mag, keep, clock = errors[p].apply(lo, *clean, t)
                    for dirty, ideal in zip((acc, gyr, mag), clean):
                        dirty[~keep] = ideal[~keep]  # never sent: the writer takes the clean value there
                    chunk.acc[p], chunk.gyr[p], chunk.mag[p] = acc, gyr, mag
                    chunk.keep[p], chunk.sensor_time_s[p] = keep, clock
                del out
            yield chunk
        for side, acc in peaks.items():
            strides.loc[strides["side"] == side, "peak_tibial_accel_g"] = acc.peak


class TruthWriter:
    """The files of :func:`gait_sim.write_truth` for a chunked simulation: truth_angles.parquet is written
    chunk by chunk (:meth:`add`), the tables of strides, bouts and stance phases at :meth:`close`."""

    def __init__(self, sim: ChunkedSimulation, directory: str | Path) -> None:
        self.sim, self.dir = sim, Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._angles: pq.ParquetWriter | None = None

    def add(self, chunk: SignalChunk) -> None:
        table = pa.Table.from_pandas(chunk.truth_angles, preserve_index=False)
        if self._angles is None:
            self._angles = pq.ParquetWriter(self.dir / "truth_angles.parquet", table.schema)
        self._angles.write_table(table)

    def close(self) -> None:
        if self._angles is not None:
            self._angles.close()
        self.sim.truth_strides.to_csv(self.dir / "truth_strides.csv", index=False)
        self.sim.truth_bouts.to_csv(self.dir / "truth_bouts.csv", index=False)
        self.sim.stance_phases.to_csv(self.dir / "truth_stance_phases.csv", index=False)
