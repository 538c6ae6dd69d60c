"""Run a simulation: day plan → kinematics → ideal signals → sensor errors, and the truth tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from analysis.columns import ACC, BOUT_COLUMNS, GYR, LOWER_BACK_COLUMNS, MAG, STRIDE_COLUMNS, TIME
from analysis.conventions import GRAVITY_MPS2

from . import ankle as ankle_mod
from . import errors as errors_mod
from . import foot as foot_mod
from . import pelvis as pelvis_mod
from .config import SimConfig
from .imu import Mount, generate_side
from .scenario import SIDES, Period, plan_day

ANGLE_NAMES = ("dorsiflexion_deg", "eversion_deg", "internal_rotation_deg")
STRIDE_GRID = 301  # points per stride for the continuous-time ankle metrics
TIBIAL_WINDOW_S = 0.06  # peak tibial acceleration: within this time after initial contact


@dataclass
class Simulation:
    """A simulated recording and its exact truth. Times are seconds of the true (host) time base.

    * ``signals[placement]``: time_s, acc_*_mps2, gyr_*_radps, mag_*_ut in the sensor frame, errors
      applied, dropped samples removed; ``sensor_time_s[placement]`` is the sensor clock of those rows.
    * ``clean_signals[placement]``: the same without any error, every sample.
    * ``orientations[placement]`` / ``segment_orientations[placement]``: (n, 4) scalar-first
      quaternions [w, x, y, z] mapping sensor (segment) vectors to the world frame (z up), one per
      sample of ``time_s``; ``segment_orientations`` has all four segments even without a sensor.
    * ``mounting[placement]``: R_segment_sensor (3, 3); ``mounting_position_m``: sensor position in
      the segment frame relative to the ankle joint centre.
    * ``truth_strides``: STRIDE_COLUMNS plus heel_off_s, foot_flat_start_s, foot_flat_end_s (the
      stance starting the stride), heading_change_deg. ``stance_phases``: every interval during which
      a foot is flat and still (side, start_s, end_s). ``truth_angles``: time_s and
      left_/right_ dorsiflexion_deg, eversion_deg, internal_rotation_deg. ``neutral_periods``: quiet
      standing (start_s, end_s), ankle angles exactly 0.
    """

    config: SimConfig
    time_s: np.ndarray
    signals: dict[str, pd.DataFrame]
    clean_signals: dict[str, pd.DataFrame]
    sensor_time_s: dict[str, np.ndarray]
    gyro_bias_radps: dict[str, np.ndarray]
    orientations: dict[str, np.ndarray]
    segment_orientations: dict[str, np.ndarray]
    mounting: dict[str, np.ndarray]
    mounting_position_m: dict[str, np.ndarray]
    truth_strides: pd.DataFrame
    truth_bouts: pd.DataFrame
    truth_angles: pd.DataFrame
    stance_phases: pd.DataFrame
    neutral_periods: pd.DataFrame
    periods: list[Period]


def _mounts(cfg: SimConfig, rng: np.random.Generator) -> dict[str, Mount]:
    s = cfg.subject
    nominal = {"shin": np.array([s.shin_sensor_forward_m, 0.0, s.shin_sensor_height_m]),
               "foot": np.array([s.foot_sensor_forward_m, 0.0, s.foot_sensor_height_m])}
    mounts = {}
    for placement in ("left_shin", "left_foot", "right_shin", "right_foot"):
        seg = placement.split("_")[1]
        rot, pos = np.eye(3), nominal[seg].copy()
        if cfg.mounting == "random":
            rot = Rotation.random(rng=rng).as_matrix()
            pos = pos + rng.normal(0.0, cfg.mounting_offset_sd_m, 3)
        mounts[placement] = Mount(rot, pos)
    return mounts


def _frame(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, mag: np.ndarray) -> pd.DataFrame:
    cols = {TIME: t}
    for names, arr in ((ACC, acc), (GYR, gyr), (MAG, mag)):
        for k, name in enumerate(names):
            cols[name] = arr[:, k]
    return pd.DataFrame(cols, copy=False)


def simulate(config: SimConfig) -> Simulation:
    """Simulate the configured recording (deterministic for a given config and seed)."""
    config.validate()
    seeds = np.random.SeedSequence(config.seed).spawn(3 + len(config.placements))
    periods = plan_day(config, np.random.default_rng(seeds[0]))
    mounts = _mounts(config, np.random.default_rng(seeds[1]))
    if pelvis_mod.PLACEMENT in config.placements:  # its own stream: the leg sensors' mounting is unchanged
        rng = np.random.default_rng(seeds[2])
        mounts[pelvis_mod.PLACEMENT] = Mount(Rotation.random(rng=rng).as_matrix() if config.mounting == "random"
                                             else np.eye(3), np.zeros(3))
    n = int(round(config.minutes * 60.0 * config.fs_hz))
    t = np.arange(n) / config.fs_hz
    inc = np.radians(config.earth_inclination_deg)
    field = config.earth_field_ut * np.array([np.cos(inc), 0.0, -np.sin(inc)])

    feet = {side: foot_mod.build(periods, side, config.subject) for side in SIDES}
    ankles = {side: ankle_mod.build(periods, side) for side in SIDES}
    clean_signals, orient, seg_orient, angles = {}, {}, {}, {}
    for side in SIDES:
        wanted = {p.split("_")[1]: mounts[p] for p in config.placements if p.startswith(side)}
        out = generate_side(t, feet[side], ankles[side], side, wanted, field, config.dtype,
                            1.0 / config.fs_hz if config.sample_average else None)
        angles[side] = out.angles_deg
        for seg in ("shin", "foot"):
            seg_orient[f"{side}_{seg}"] = out.segment_quat[seg]
        for seg in wanted:
            p = f"{side}_{seg}"
            clean_signals[p] = _frame(t, out.acc.pop(seg), out.gyr.pop(seg), out.mag.pop(seg))
            orient[p] = out.sensor_quat[seg]
        del out
    lower_back = None
    if pelvis_mod.PLACEMENT in config.placements:
        lower_back = pelvis_mod.generate(t, periods, config, mounts[pelvis_mod.PLACEMENT].rotation, field)
        clean_signals[pelvis_mod.PLACEMENT] = lower_back.signals
        orient[pelvis_mod.PLACEMENT] = lower_back.sensor_quat
        seg_orient[pelvis_mod.PLACEMENT] = lower_back.segment_quat

    signals, sensor_time, biases = {}, {}, {}
    for k, p in enumerate(config.placements):
        clean = clean_signals[p]
        c = errors_mod.apply(*(clean[list(cols)].to_numpy() for cols in (ACC, GYR, MAG)), t, config.errors,
                             np.random.default_rng(seeds[3 + k]))
        keep = c.keep
        signals[p] = _frame(t[keep], c.acc[keep], c.gyr[keep], c.mag[keep])
        sensor_time[p] = c.sensor_time_s[keep]
        biases[p] = c.gyr_bias_radps
        del c

    truth_angles = pd.DataFrame({TIME: t, **{f"{side}_{name}": angles[side][:, j]
                                             for side in SIDES for j, name in enumerate(ANGLE_NAMES)}}, copy=False)
    strides = _truth_strides(periods, ankles, clean_signals, config)
    if lower_back is not None:
        truth_angles = pd.concat([truth_angles, lower_back.angles.drop(columns=TIME)], axis=1)
        strides = pelvis_mod.truth_strides(strides, periods, config)
    bouts = _truth_bouts(periods, strides)
    stance = _stance_phases(feet, t[-1] if n else 0.0)
    neutral = pd.DataFrame([(p.start_s, p.end_s) for p in periods if p.activity == "standing"],
                           columns=["start_s", "end_s"])
    return Simulation(config, t, signals, clean_signals, sensor_time, biases, orient, seg_orient,
                      {p: mounts[p].rotation for p in config.placements},
                      {p: mounts[p].position_m for p in config.placements},
                      strides, bouts, truth_angles, stance, neutral, periods)


def _truth_strides(periods: list[Period], ankles: dict[str, ankle_mod.AnkleTable],
                   clean: dict[str, pd.DataFrame], cfg: SimConfig) -> pd.DataFrame:
    rows = []
    for p in periods:
        w = p.walk
        if w is None:
            continue
        T = w.stride_time_s
        for side in SIDES:
            c = w.contacts[side]
            k = np.arange(1, len(c.ic_s) - 1)  # contact 0 is the standing start: strides start at contact 1
            if len(k) == 0:
                continue
            length = np.linalg.norm(c.heel_xy[k + 1] - c.heel_xy[k], axis=1)
            rows.append(pd.DataFrame({
                "side": side, "bout_id": w.bout_id, "start_s": c.ic_s[k], "toe_off_s": c.ic_s[k] + w.stance_fraction * T,
                "end_s": c.ic_s[k + 1], "stride_time_s": c.ic_s[k + 1] - c.ic_s[k], "stance_fraction": w.stance_fraction,
                "stride_length_m": length, "speed_mps": length / T,
                "heel_off_s": c.ic_s[k] + w.heel_off_fraction * T,
                "foot_flat_start_s": c.ic_s[k] + w.foot_flat_fraction * T,
                "foot_flat_end_s": c.ic_s[k] + w.heel_off_fraction * T,
                "heading_change_deg": np.degrees(np.angle(np.exp(1j * (c.heading[k + 1] - c.heading[k])))),
            }))
    # the lower back's columns are its own truth (gait_sim.pelvis.truth_strides), added when it is worn
    cols = [c for c in STRIDE_COLUMNS if c not in LOWER_BACK_COLUMNS] + [
        "heel_off_s", "foot_flat_start_s", "foot_flat_end_s", "heading_change_deg"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    df = pd.concat(rows, ignore_index=True).sort_values(["side", "start_s"], ignore_index=True)
    df["stride_id"] = df.groupby("side").cumcount()
    for side in SIDES:
        sel = np.flatnonzero(df["side"].to_numpy() == side)
        if len(sel) == 0:
            continue
        metrics = _ankle_metrics(ankles[side], df.iloc[sel])
        for name, vals in metrics.items():
            df.loc[sel, name] = vals
        shin = clean.get(f"{side}_shin")
        df.loc[sel, "peak_tibial_accel_g"] = (_peak_after(shin, df["start_s"].to_numpy()[sel], cfg.fs_hz)
                                              if shin is not None else np.nan)
    # heel-to-heel length is ill-defined for a sensor far from the heel when the foot turns on the spot
    df["quality"] = np.where(df["bout_id"].map({p.bout_id: p.activity for p in periods}) == "turn", "spot_turn", "")
    return df[cols]


def _ankle_metrics(tab: ankle_mod.AnkleTable, strides: pd.DataFrame) -> dict[str, np.ndarray]:
    """Stride ankle metrics from the continuous curves (fine grid), conventions of strides.csv."""
    start, end = strides["start_s"].to_numpy(), strides["end_s"].to_numpy()
    to, ho = strides["toe_off_s"].to_numpy(), strides["heel_off_s"].to_numpy()
    u = np.linspace(0.0, 1.0, STRIDE_GRID)
    tt = start[:, None] + (end - start)[:, None] * u
    flat = tt.ravel()
    ang, dang, _ = ankle_mod.evaluate(tab, tab.index(flat), flat)
    df = ang[:, 0].reshape(tt.shape)
    ev = ang[:, 1].reshape(tt.shape)
    dev = dang[:, 1].reshape(tt.shape)
    stance = tt <= to[:, None]
    pushoff = tt >= ho[:, None]
    peak_ev = np.where(stance, ev, -np.inf).max(axis=1)
    i_peak = np.where(stance, ev, -np.inf).argmax(axis=1)
    before_peak = np.arange(STRIDE_GRID)[None, :] <= i_peak[:, None]
    return {
        "peak_dorsiflexion_deg": np.where(stance, df, -np.inf).max(axis=1),
        "peak_plantarflexion_deg": np.where(pushoff, df, np.inf).min(axis=1),
        "sagittal_range_deg": df.max(axis=1) - df.min(axis=1),
        "peak_eversion_deg": peak_ev,
        "eversion_excursion_deg": peak_ev - ev[:, 0],
        "peak_pronation_velocity_dps": np.where(before_peak, dev, -np.inf).max(axis=1),
    }


def _peak_after(shin: pd.DataFrame, t0: np.ndarray, fs: float) -> np.ndarray:
    """Largest specific-force magnitude (g) of the shin sensor within TIBIAL_WINDOW_S after each time."""
    norm = np.linalg.norm(shin[list(ACC)].to_numpy(np.float64), axis=1) / GRAVITY_MPS2
    i0 = np.ceil(t0 * fs - 1e-9).astype(int)
    win = np.arange(int(np.floor(TIBIAL_WINDOW_S * fs)) + 1)
    idx = np.clip(i0[:, None] + win, 0, len(norm) - 1)
    return norm[idx].max(axis=1)


def _truth_bouts(periods: list[Period], strides: pd.DataFrame) -> pd.DataFrame:
    counts = strides.groupby(["bout_id", "side"]).size() if len(strides) else pd.Series(dtype=int)
    rows = [(p.bout_id, p.start_s, p.end_s, p.activity, int(counts.get((p.bout_id, "left"), 0)),
             int(counts.get((p.bout_id, "right"), 0))) for p in periods]
    return pd.DataFrame(rows, columns=list(BOUT_COLUMNS))


def _stance_phases(feet: dict[str, foot_mod.Segments], t_end: float) -> pd.DataFrame:
    rows = []
    for side, seg in feet.items():
        ends = np.append(seg.start[1:], max(t_end, seg.start[-1]))
        sel = seg.still
        rows.append(pd.DataFrame({"side": side, "start_s": seg.start[sel], "end_s": ends[sel]}))
    return pd.concat(rows, ignore_index=True)


def write_truth(sim: Simulation, directory: str | Path) -> None:
    """Write truth_strides.csv, truth_bouts.csv, truth_angles.parquet (and the foot-flat intervals)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    sim.truth_strides.to_csv(d / "truth_strides.csv", index=False)
    sim.truth_bouts.to_csv(d / "truth_bouts.csv", index=False)
    sim.stance_phases.to_csv(d / "truth_stance_phases.csv", index=False)
    sim.truth_angles.to_parquet(d / "truth_angles.parquet", index=False)
