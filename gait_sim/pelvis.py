"""Pelvis and trunk of the simulated walker: a lower-back (L5/S1) IMU whose motion follows the legs.

Model (world z up; pelvis segment frame x anterior, y left, z superior, as analysis.conventions'
segments; the sensor sits at the pelvis origin):

* Orientation ``R_pelvis = Rz(heading + rotation) @ Ry(tilt) @ Rx(obliquity)`` (intrinsic ZYX), so the
  analysis's pitch and roll of the pelvis are exactly ``tilt`` and ``obliquity``. Signs: tilt > 0 is
  anterior (the top of the pelvis forward), obliquity > 0 the left side up, rotation > 0 the pelvis
  facing left of the direction of travel (right hip forward). Quiet standing is 0° in all three.
* Walking (per bout, faded in and out with the bout's ankle envelope): tilt = forward lean + a
  step-frequency oscillation; obliquity and rotation oscillate at stride frequency, phased on the
  left leg's contacts (left side up in left mid-stance, left hip forward at left contact).
* Path: a clamped cubic spline through the midpoints of the two feet's latest heel contacts (knots at
  every contact), plus a forward surge at step frequency (fastest at contact) and a lateral sway at
  stride frequency (over the stance foot). Height: the inverted pendulum of Zijlstra & Hof (2003),
  lowest at each contact, whose peak-to-peak excursion ``h`` satisfies ``step / K = 2 sqrt(2 l h - h²)``
  (l = sensor height, K = ``step_length_factor``).
* Heel-strike shock: after every initial contact a smooth vertical displacement dip of
  ``impact_duration_s`` whose acceleration peak brings the sacral specific-force peak near
  ``(1 - attenuation) * tibial_peak_g``.
* Compensation for restricted dorsiflexion: with ``compensation`` c and a bout's dorsiflexion deficit
  d (degrees below the unrestricted keypoint of that bout, 0 if none), the forward lean grows by
  ``c * tilt_per_deficit * mean(d_left, d_right)``, the tilt oscillation by ``c * tilt_range_per_deficit``
  times the same, and each side's tibia-to-sacrum attenuation falls by ``c * attenuation_per_deficit * d``.
* Sitting: a posterior tilt ``sitting_tilt_deg`` ramped in and out over the sitting period's ramps.

Every trajectory is a closed form or spline with exact derivatives (no finite differences).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from analysis.columns import ACC, GYR, MAG, TIME
from analysis.conventions import GRAVITY_MPS2

from .imu import GAUSS_NODES, GAUSS_WEIGHTS
from .pelvis_model import PelvisModel
from .kinematics import axis_rotation, compose_axis, matrices_to_quaternions, smoothstep

if TYPE_CHECKING:
    from .config import SimConfig
    from .scenario import Period

PLACEMENT = "lower_back"
STRIDE_GRID = 301
#: peak sacral acceleration: within this time after initial contact (the analysis uses the same window)
SACRAL_WINDOW_S = 0.10
POSE_RAMP_S = 2.0  # as gait_sim.scenario: sitting down / standing up
#: per-stride truth columns this module adds to truth_strides (units in the names)
TRUTH_COLUMNS = ("pelvic_tilt_range_deg", "pelvic_tilt_stance_mean_deg", "pelvic_obliquity_range_deg",
                 "pelvic_rotation_range_deg", "trunk_lean_deg", "peak_sacral_accel_g", "shock_attenuation_pct")


@dataclass
class LowerBack:
    """The lower-back sensor's clean signals, orientations and the per-time pelvis angles (degrees)."""

    signals: pd.DataFrame
    sensor_quat: np.ndarray
    segment_quat: np.ndarray
    angles: pd.DataFrame  # time_s, pelvic_tilt_deg, pelvic_obliquity_deg, pelvic_rotation_deg


# ---- exact scalar trajectories as (value, first, second derivative) ------------------------------------

def _product(a: tuple, b: tuple) -> tuple:
    return a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + 2 * a[1] * b[1] + a[0] * b[2]


def _sine(t: np.ndarray, omega: float, origin: float, amp: float, phase: float = 0.0) -> tuple:
    th = omega * (t - origin) + phase
    return amp * np.sin(th), amp * omega * np.cos(th), -amp * omega**2 * np.sin(th)


def _envelope(t: np.ndarray, env: tuple[float, float, float, float]) -> tuple:
    """Smoothstep up over env[0]→env[1], down over env[2]→env[3] (the bout's ankle envelope)."""
    d_up, d_dn = max(env[1] - env[0], 1e-9), max(env[3] - env[2], 1e-9)
    up, dup, ddup = smoothstep((t - env[0]) / d_up)
    dn, ddn, dddn = smoothstep((t - env[2]) / d_dn)
    return _product((up, dup / d_up, ddup / d_up**2), (1 - dn, -ddn / d_dn, -dddn / d_dn**2))


@dataclass
class _Bout:
    """What the pelvis needs of one walking bout (or spot turn)."""

    start_s: float
    end_s: float
    env: tuple[float, float, float, float]
    omega: float  # stride angular frequency, rad/s
    origin_left_s: float
    lean_deg: float
    tilt_amp_deg: float
    drop_m: float  # pendulum peak-to-peak excursion h
    contacts_s: dict[str, np.ndarray]  # real initial contacts per side
    shock_mps2: dict[str, float]  # sacral vertical acceleration peak added after that side's contacts
    path_x: CubicSpline
    path_y: CubicSpline
    heading: CubicSpline


def deficits_deg(period: "Period", cfg: "SimConfig") -> dict[str, float]:
    """Dorsiflexion deficit (°, >= 0) of each side in a bout: the unrestricted keypoint minus the bout's."""
    w = period.walk
    scale = w.pitch_contact_rad / np.radians(cfg.gait.foot_pitch_contact_deg)
    return {side: max(0.0, cfg.gait.dorsiflexion_peak_deg * scale - float(w.ankle_values[side][0][3]))
            for side in ("left", "right")}


def _bout(period: "Period", cfg: "SimConfig", model: PelvisModel) -> _Bout:
    w = period.walk
    d = deficits_deg(period, cfg)
    comp = model.compensation
    mean_def = 0.5 * (d["left"] + d["right"])
    T = w.stride_time_s
    # knots: standing start, every contact but the closing one, end: the midpoint of both feet's heels
    events = sorted((t, side, k) for side, c in w.contacts.items() for k, t in enumerate(c.ic_s) if k > 0)
    latest = {side: 0 for side in w.contacts}
    knots_t, knots_xy, knots_h = [w.start_s], [], []

    def centre() -> tuple[np.ndarray, float]:
        heels = [w.contacts[s].heel_xy[latest[s]] for s in ("left", "right")]
        heads = [w.contacts[s].heading[latest[s]] for s in ("left", "right")]
        return 0.5 * (heels[0] + heels[1]), float(np.angle(np.exp(1j * heads[0]) + np.exp(1j * heads[1])))

    xy, h = centre()
    knots_xy.append(xy)
    knots_h.append(h)
    for i, (t, side, k) in enumerate(events):
        latest[side] = k
        xy, h = centre()
        if i < len(events) - 1:
            knots_t.append(t)
        else:
            knots_t.append(w.end_s)
        knots_xy.append(xy)
        knots_h.append(h)
    kt = np.asarray(knots_t)
    kxy = np.asarray(knots_xy)
    kh = np.unwrap(np.asarray(knots_h))
    lengths = [np.linalg.norm(np.diff(c.heel_xy[1:], axis=0), axis=1) for c in w.contacts.values()]
    lengths = np.concatenate(lengths)
    step = 0.5 * float(np.median(lengths)) if len(lengths) else 0.1
    half = step / (2.0 * model.step_length_factor)
    l = model.sensor_height_m
    drop = l - np.sqrt(max(l**2 - half**2, 0.0))
    # the centre of mass is lowest (and accelerating upwards most) at contact
    com_up_mps2 = 0.5 * drop * (2 * 2 * np.pi / T) ** 2
    shock = {}
    for side in ("left", "right"):
        att = np.clip(model.attenuation_pct - comp * model.attenuation_per_deficit * d[side], 0.0, 95.0)
        target = (1 - att / 100.0) * model.tibial_peak_g * GRAVITY_MPS2
        shock[side] = max(0.0, target - GRAVITY_MPS2 - com_up_mps2)
    clamp = ((1, 0.0), (1, 0.0))
    return _Bout(w.start_s, w.end_s, w.envelope_s, 2 * np.pi / T, w.phase_origin_s("left"),
                 model.walking_lean_deg + comp * model.tilt_per_deficit * mean_def,
                 model.tilt_amplitude_deg + comp * model.tilt_range_per_deficit * mean_def, drop,
                 {s: c.ic_s[1:] for s, c in w.contacts.items()}, shock,
                 CubicSpline(kt, kxy[:, 0], bc_type=clamp), CubicSpline(kt, kxy[:, 1], bc_type=clamp),
                 CubicSpline(kt, kh, bc_type=clamp))


def _spline(sp: CubicSpline, t: np.ndarray) -> tuple:
    return sp(t), sp(t, 1), sp(t, 2)


def _angles(b: _Bout, t: np.ndarray) -> dict[str, tuple]:
    """Pelvis angles (radians, with derivatives) relative to the direction of travel, inside a bout."""
    env = _envelope(t, b.env)
    w, o = b.omega, b.origin_left_s
    lean = np.radians(b.lean_deg)
    tilt_osc = _sine(t, 2 * w, o, np.radians(b.tilt_amp_deg))
    tilt = _product(env, (lean + tilt_osc[0], tilt_osc[1], tilt_osc[2]))
    obliquity = _product(env, _sine(t, w, o, np.radians(1.0)))
    rotation = _product(env, _sine(t, w, o, np.radians(1.0), phase=-0.5 * np.pi))
    return {"tilt": tilt, "obliquity": obliquity, "rotation": rotation}


def _groups(idx: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(value, positions) of each distinct value of ``idx``, in one sort (not one pass per value)."""
    order = np.argsort(idx, kind="stable")
    values, first = np.unique(idx[order], return_index=True)
    return list(zip(values.tolist(), np.split(order, first[1:])))


def _scaled(x: tuple, k: float) -> tuple:
    return x[0] * k, x[1] * k, x[2] * k


class _Trajectory:
    """Pelvis pose, angular velocity and acceleration at any times of the day."""

    def __init__(self, periods: list["Period"], cfg: "SimConfig", model: PelvisModel):
        self.model = model
        self.periods = periods
        self.starts = np.array([p.start_s for p in periods])
        self.bouts = {i: _bout(p, cfg, model) for i, p in enumerate(periods) if p.walk is not None}
        # still periods hold the pose where the previous bout ended (or where the first one starts)
        hold_xy, hold_h, self.hold = None, None, {}
        first = next(iter(self.bouts.values()), None)
        if first is not None:
            hold_xy = np.array([first.path_x(first.start_s), first.path_y(first.start_s)])
            hold_h = float(first.heading(first.start_s))
        for i, p in enumerate(periods):
            if i in self.bouts:
                b = self.bouts[i]
                hold_xy = np.array([b.path_x(b.end_s), b.path_y(b.end_s)])
                hold_h = float(b.heading(b.end_s))
            else:
                self.hold[i] = (np.zeros(2) if hold_xy is None else hold_xy, 0.0 if hold_h is None else hold_h)

    def angles_deg(self, t: np.ndarray) -> np.ndarray:
        """(n, 3) tilt, obliquity, rotation in degrees (conventions of the module docstring)."""
        out = np.zeros((len(t), 3))
        idx = np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.periods) - 1)
        for i, sel in _groups(idx):
            ang = self._period_angles(i, t[sel])
            out[sel] = np.degrees(np.column_stack([ang["tilt"][0], ang["obliquity"][0], ang["rotation"][0]]))
        return out

    def _period_angles(self, i: int, t: np.ndarray) -> dict[str, tuple]:
        m = self.model
        if i in self.bouts:
            a = _angles(self.bouts[i], t)
            a["obliquity"] = _scaled(a["obliquity"], m.obliquity_amplitude_deg)
            a["rotation"] = _scaled(a["rotation"], m.rotation_amplitude_deg)
            return a
        zero = (np.zeros_like(t),) * 3
        p = self.periods[i]
        tilt = zero
        if p.activity == "sitting_lying":
            ramp = min(POSE_RAMP_S, 0.5 * (p.end_s - p.start_s))
            env = _envelope(t, (p.start_s, p.start_s + ramp, p.end_s - ramp, p.end_s))
            tilt = _scaled(env, np.radians(m.sitting_tilt_deg))
        return {"tilt": tilt, "obliquity": zero, "rotation": zero}

    def kinematics(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pelvis-to-world rotations (n, 3, 3), body angular velocity (n, 3) rad/s, world acceleration of
        the sensor point (n, 3) m/s²."""
        n = len(t)
        rot, w_body, acc = np.empty((n, 3, 3)), np.empty((n, 3)), np.zeros((n, 3))
        idx = np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.periods) - 1)
        for i, sel in _groups(idx):
            ts = t[sel]
            ang = self._period_angles(i, ts)
            if i in self.bouts:
                b = self.bouts[i]
                head = _spline(b.heading, ts)
                acc[sel] = self._bout_acceleration(b, ts, head)
            else:
                head = (np.full(len(ts), self.hold[i][1]), np.zeros(len(ts)), np.zeros(len(ts)))
            yaw = tuple(h + r for h, r in zip(head, ang["rotation"]))
            z = np.zeros(len(ts))
            w, a = np.column_stack([z, z, yaw[1]]), np.column_stack([z, z, yaw[2]])
            w, a = compose_axis(w, a, "y", *ang["tilt"])
            w, _ = compose_axis(w, a, "x", *ang["obliquity"])
            rot[sel] = axis_rotation("z", yaw[0]) @ axis_rotation("y", ang["tilt"][0]) @ axis_rotation(
                "x", ang["obliquity"][0])
            w_body[sel] = w
        return rot, w_body, acc

    def _bout_acceleration(self, b: _Bout, t: np.ndarray, head: tuple) -> np.ndarray:
        env = _envelope(t, b.env)
        w, o = b.omega, b.origin_left_s
        # forward surge at step frequency (fastest at contact), lateral sway toward the stance foot
        surge = _product(env, _sine(t, 2 * w, o, self.model.surge_m))
        sway = _product(env, _sine(t, w, o, self.model.sway_m))
        psi, dpsi, ddpsi = head
        d = np.column_stack([np.cos(psi), np.sin(psi)])
        nrm = np.column_stack([-np.sin(psi), np.cos(psi)])
        s, ds, dds = (x[:, None] for x in surge)
        lat, dlat, ddlat = (x[:, None] for x in sway)
        dp, ddp = dpsi[:, None], ddpsi[:, None]
        horiz = np.column_stack([b.path_x(t, 2), b.path_y(t, 2)])
        horiz = horiz + (dds - s * dp**2 - 2 * dlat * dp - lat * ddp) * d \
            + (2 * ds * dp + s * ddp + ddlat - lat * dp**2) * nrm
        # pendulum height, lowest at every contact: z = -h (1 + cos(2 w (t - o))) / 2
        bob = _product(env, _sine(t, 2 * w, o, -0.5 * b.drop_m, phase=0.5 * np.pi))
        vert = bob[2] + self._shock(b, t)
        return np.column_stack([horiz, vert])

    def _shock(self, b: _Bout, t: np.ndarray) -> np.ndarray:
        """Vertical acceleration of the displacement dips -D·64u³(1-u)³ after each contact (peak at u = 1/2)."""
        tau = self.model.impact_duration_s
        out = np.zeros(len(t))
        for side, ics in b.contacts_s.items():
            k = np.searchsorted(ics, t, side="right") - 1
            ok = k >= 0
            u = np.where(ok, (t - ics[np.maximum(k, 0)]) / tau, -1.0)
            inside = ok & (u >= 0) & (u <= 1)
            uu = u[inside]
            g2 = 64 * 6 * uu * (1 - uu) * (1 - 5 * uu + 5 * uu**2)  # d²/du² of 64 u³ (1-u)³
            dip = b.shock_mps2[side] * tau**2 / 24.0  # 24 = -g2(1/2): the acceleration peak is shock_mps2
            out[inside] = -dip * g2 / tau**2
        return out


def generate(t: np.ndarray, periods: list["Period"], cfg: "SimConfig", mount_rotation: np.ndarray,
             field_ut: np.ndarray) -> LowerBack:
    """Clean lower-back signals (sensor frame; time_s, acc, gyr, mag), orientations and pelvis angles."""
    traj = _Trajectory(periods, cfg, cfg.pelvis)
    offsets = GAUSS_NODES / cfg.fs_hz if cfg.sample_average else np.zeros(1)
    weights = GAUSS_WEIGHTS if cfg.sample_average else np.ones(1)
    n = len(t)
    acc, gyr = np.zeros((n, 3)), np.zeros((n, 3))
    for dt, wt in zip(offsets, weights):
        rot, w, a = traj.kinematics(t + dt)
        rs = rot @ mount_rotation
        a[:, 2] += GRAVITY_MPS2
        acc += wt * np.einsum("nji,nj->ni", rs, a)
        gyr += wt * (w @ mount_rotation)
    rot, _, _ = traj.kinematics(t)
    rs = rot @ mount_rotation
    mag = np.einsum("nji,j->ni", rs, field_ut)
    cols = {TIME: t}
    for names, arr in ((ACC, acc), (GYR, gyr), (MAG, mag)):
        for k, name in enumerate(names):
            cols[name] = arr[:, k].astype(cfg.dtype)
    ang = traj.angles_deg(t)
    angles = pd.DataFrame({TIME: t, "pelvic_tilt_deg": ang[:, 0], "pelvic_obliquity_deg": ang[:, 1],
                           "pelvic_rotation_deg": ang[:, 2]})
    return LowerBack(pd.DataFrame(cols), matrices_to_quaternions(rs).astype(cfg.dtype),
                     matrices_to_quaternions(rot).astype(cfg.dtype), angles)


def truth_strides(strides: pd.DataFrame, periods: list["Period"], cfg: "SimConfig") -> pd.DataFrame:
    """``strides`` with TRUTH_COLUMNS from the exact pelvis angles and the clean lower-back signal,
    generated at the samples after each contact only (each sample depends on its time alone, so a
    chunked simulation gets the same truth without the whole signal).

    Ranges are max - min over [start_s, end_s] on a fine grid; the tilt's stance mean is over
    [start_s, toe_off_s]; trunk lean is the tilt's mean over the stride. Attenuation is
    ``(1 - peak_sacral / peak_tibial) * 100`` (NaN without the tibial peak).
    """
    out = strides.copy()
    if len(out) == 0:
        for c in TRUTH_COLUMNS:
            out[c] = pd.Series(dtype=float)
        return out
    traj = _Trajectory(periods, cfg, cfg.pelvis)
    start, end, to = (out[c].to_numpy(float) for c in ("start_s", "end_s", "toe_off_s"))
    u = np.linspace(0.0, 1.0, STRIDE_GRID)
    tt = start[:, None] + (end - start)[:, None] * u
    ang = traj.angles_deg(tt.ravel()).reshape(tt.shape + (3,))
    tilt = ang[..., 0]
    stance = tt <= to[:, None]
    out["pelvic_tilt_range_deg"] = np.ptp(tilt, axis=1)
    out["pelvic_tilt_stance_mean_deg"] = np.where(stance, tilt, 0).sum(axis=1) / stance.sum(axis=1)
    out["pelvic_obliquity_range_deg"] = np.ptp(ang[..., 1], axis=1)
    out["pelvic_rotation_range_deg"] = np.ptp(ang[..., 2], axis=1)
    out["trunk_lean_deg"] = tilt.mean(axis=1)
    fs = cfg.fs_hz
    n = int(round(cfg.minutes * 60.0 * fs))
    i0 = np.ceil(start * fs - 1e-9).astype(int)
    win = np.arange(int(np.floor(SACRAL_WINDOW_S * fs)) + 1)
    idx = np.clip(i0[:, None] + win, 0, n - 1)
    rows, inverse = np.unique(idx, return_inverse=True)
    # the specific force's norm does not depend on the mounting
    sig = generate(rows / fs, periods, cfg, np.eye(3), np.zeros(3)).signals
    norm = np.linalg.norm(sig[list(ACC)].to_numpy(np.float64), axis=1) / GRAVITY_MPS2
    sacral = norm[inverse.reshape(idx.shape)].max(axis=1)
    out["peak_sacral_accel_g"] = sacral
    tib = out["peak_tibial_accel_g"].to_numpy(float) if "peak_tibial_accel_g" in out else np.full(len(out), np.nan)
    out["shock_attenuation_pct"] = (1.0 - sacral / tib) * 100.0
    return out
