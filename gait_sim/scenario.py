"""The day plan: a timeline of periods (standing, sitting, walking bouts, turns) with footfalls.

A walking bout starts and ends with both feet side by side. Steps alternate between the leading and
the trailing foot every half stride; the first step is half a stride (gait initiation) and the last
step brings the trailing foot beside the other (termination). Heel contact points lie on two paths at
±step_width/2 from a centre line whose heading may change (turning strides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import BoutSpec, SimConfig

SIDES = ("left", "right")
POSE_RAMP_S = 2.0  # time to sit down / stand up (ankle pose change)


@dataclass
class FootContacts:
    """Ground contacts of one foot in a bout. Contact 0 is the standing start; the last one stays."""

    ic_s: np.ndarray  # (m,) initial contact times; contact 0 holds a virtual time (first IC - stride time)
    heel_xy: np.ndarray  # (m, 2) heel contact point on the ground, metres
    heading: np.ndarray  # (m,) foot heading, radians from world x (counter-clockwise)


@dataclass
class WalkBout:
    """One walking bout or turn on the spot, with everything needed to generate its kinematics."""

    bout_id: int
    activity: str  # 'walking' | 'turn'
    start_s: float  # first heel-off
    end_s: float  # ankle pattern back to neutral
    stride_time_s: float
    stance_fraction: float
    foot_flat_fraction: float
    heel_off_fraction: float
    pitch_contact_rad: float  # toes up, > 0
    pitch_toe_off_rad: float  # toes down, < 0
    toe_rate_peak_lead_fraction: float  # toe rocker rate profile (see config.Gait)
    toe_off_rate_ratio: float
    toe_off_rate_slope: float
    heel_rate_peak_lag_fraction: float  # heel rocker rate profile (see config.Gait)
    contact_rate_ratio: float
    contact_rate_slope: float
    clearance_m: float
    impact_velocity_mps: tuple[float, float]  # forward, down (magnitudes)
    impact_duration_s: float
    lead: str
    first_ic_s: float  # initial contact of the leading foot's first step
    contacts: dict[str, FootContacts]
    ankle_values: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # keypoint values, degrees
    envelope_s: tuple[float, float, float, float]  # ankle pattern fades in [0]→[1], out [2]→[3]

    def phase_origin_s(self, side: str) -> float:
        """Time at which the stride phase of ``side`` is 0 (an initial contact)."""
        return self.first_ic_s + (0.0 if side == self.lead else 0.5 * self.stride_time_s)


@dataclass
class Period:
    """A span of the day. ``pose`` holds the ankle angles (dorsiflexion, eversion, rotation; degrees)
    held in the middle of a sitting period per side; zero for standing."""

    bout_id: int
    activity: str  # 'standing' | 'sitting_lying' | 'walking' | 'turn'
    start_s: float
    end_s: float
    walk: WalkBout | None = None
    pose: dict[str, np.ndarray] | None = None


# keypoint phases of the ankle curves (fraction of the stride from initial contact)
DORSI_PHASES = np.array([0.0, 0.07, 0.25, 0.45, 0.56, 0.65, 0.80, 0.92])
EVER_PHASES = np.array([0.0, 0.18, 0.40, 0.60, 0.80])
ROT_PHASES = np.array([0.0, 0.30, 0.60, 0.85])


def _ankle_keypoints(cfg: SimConfig, side: str, t_mid: float, total_s: float, scale: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keypoint values (degrees) of dorsiflexion, eversion and rotation for one bout and side."""
    g, sc = cfg.gait, cfg.scenario
    jit = lambda: rng.normal(0.0, g.bout_jitter_deg)  # noqa: E731
    df = g.dorsiflexion_peak_deg - sc.fatigue_dorsiflexion_drop_deg * t_mid / total_s + jit()
    lp = max(g.loading_plantarflexion_deg + jit(), 0.5)
    pf = max(g.pushoff_plantarflexion_deg + jit(), 2.0)
    if sc.stiff_side == side:
        df *= sc.stiff_factor
        pf *= 0.5 * (1.0 + sc.stiff_factor)
    dorsi = scale * np.array([0.0, -lp, 0.5 * df, df, -0.35 * pf, -pf, -0.25 * pf, 0.1 * df])
    ec, ep, et = g.eversion_contact_deg + jit(), g.eversion_peak_deg + jit(), g.eversion_toe_off_deg + jit()
    ever = scale * np.array([ec, ep, 0.5 * ep, et, 0.5 * ec])
    ra = g.rotation_amplitude_deg
    rot = scale * np.array([0.0, ra, -0.5 * ra, 0.0])
    return dorsi, ever, rot


def _centre_path(start_xy: np.ndarray, heading0: float, s_total: float, turn_rad: float,
                 curve: tuple[float, float]) -> tuple[callable, callable]:
    """Centre line position and heading as functions of arc length (heading change over ``curve``)."""
    s_grid = np.linspace(0.0, max(s_total, 1e-6), 2001)

    def heading(s: np.ndarray) -> np.ndarray:
        u = (np.asarray(s) - curve[0]) / max(curve[1] - curve[0], 1e-9)
        u = np.clip(u, 0, 1)
        return heading0 + turn_rad * u**3 * (10 - 15 * u + 6 * u**2)

    h = heading(s_grid)
    d = np.column_stack([np.cos(h), np.sin(h)])
    ds = np.diff(s_grid)[:, None]
    xy = np.vstack([start_xy, start_xy + np.cumsum(0.5 * (d[1:] + d[:-1]) * ds, axis=0)])

    def position(s: np.ndarray) -> np.ndarray:
        return np.column_stack([np.interp(s, s_grid, xy[:, 0]), np.interp(s, s_grid, xy[:, 1])])

    return position, heading


class _Planner:
    """Builds the periods one after another, keeping track of where the person stands."""

    def __init__(self, cfg: SimConfig, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        self.total_s = cfg.minutes * 60.0
        self.t = 0.0
        self.xy = np.zeros(2)
        self.heading = 0.0
        self.periods: list[Period] = []

    def remaining(self) -> float:
        return self.total_s - self.t

    def add_still(self, activity: str, duration: float, pose: dict[str, np.ndarray] | None = None) -> None:
        end = min(self.t + duration, self.total_s)
        if end <= self.t:
            return
        last = self.periods[-1] if self.periods else None
        if activity == "standing" and last is not None and last.activity == "standing":
            last.end_s = end  # one quiet-standing period, not several in a row
        else:
            self.periods.append(Period(len(self.periods), activity, self.t, end, pose=pose))
        self.t = end

    def add_sitting(self, duration: float) -> None:
        if duration < 2 * POSE_RAMP_S + 1.0:
            self.add_still("standing", duration)
            return
        r = self.rng
        pose = {side: np.array([r.uniform(-10, 15), r.uniform(-3, 3), r.uniform(-5, 5)]) for side in SIDES}
        self.add_still("sitting_lying", duration, pose)

    def add_walk(self, activity: str, duration: float, speed: float | None, stride_length: float | None,
                 turn_deg: float, curve_frac: tuple[float, float] | None) -> None:
        cfg, g, r = self.cfg, self.cfg.gait, self.rng
        if activity == "turn":
            speed = 0.3 if speed is None else speed
            stride_length = 0.3 if stride_length is None else stride_length
        else:
            speed = r.uniform(*g.speed_range_mps) if speed is None else speed
            if stride_length is None:
                stride_length = g.stride_length_at_1_35_mps_m * np.sqrt(speed / 1.35)
        stride_time = stride_length / speed
        ho = g.heel_off_fraction
        # motion lasts (1 - heel_off) T before the first contact, (K - 1) T/2 of steps, T/2 to settle
        n_steps = int(round((duration - (1.0 - ho) * stride_time - 0.5 * stride_time) / (0.5 * stride_time))) + 1
        n_steps = max(n_steps, 3)
        motion = (1.0 - ho) * stride_time + (n_steps - 1) * 0.5 * stride_time + 0.5 * stride_time
        if self.t + motion > self.total_s:
            self.add_still("standing", self.remaining())
            return
        step = 0.5 * stride_length * (1.0 + g.step_length_cv * r.standard_normal(n_steps))
        step[0] *= 0.5 if activity == "walking" else 1.0  # gait initiation: the first step is short
        step[-1] = 0.0  # the last step closes the feet side by side
        s_steps = np.cumsum(step)
        s_total = s_steps[-1]
        curve = (0.0, s_total) if curve_frac is None else (curve_frac[0] * s_total, curve_frac[1] * s_total)
        position, heading = _centre_path(self.xy, self.heading, s_total, np.radians(turn_deg), curve)

        start = self.t
        first_ic = start + (1.0 - ho) * stride_time
        t_steps = first_ic + 0.5 * stride_time * np.arange(n_steps)
        lead = SIDES[int(r.integers(2))]
        half_w = 0.5 * cfg.subject.step_width_m
        contacts = {}
        for side in SIDES:
            idx = np.arange(0 if side == lead else 1, n_steps, 2)
            s = np.concatenate([[0.0], s_steps[idx]])
            psi = heading(s)
            sign = 1.0 if side == "left" else -1.0
            heel = position(s) + sign * half_w * np.column_stack([-np.sin(psi), np.cos(psi)])
            phase0 = first_ic + (0.0 if side == lead else 0.5 * stride_time)
            ic = np.concatenate([[phase0 - stride_time], t_steps[idx]])
            contacts[side] = FootContacts(ic, heel, psi)
        scale = min(1.0, np.sqrt(stride_length / g.stride_length_at_1_35_mps_m))
        end = t_steps[-1] + 0.5 * stride_time
        t_mid = 0.5 * (start + end)
        bout_id = len(self.periods)
        walk = WalkBout(
            bout_id=bout_id, activity=activity, start_s=start, end_s=end, stride_time_s=stride_time,
            stance_fraction=g.stance_fraction, foot_flat_fraction=g.foot_flat_fraction, heel_off_fraction=ho,
            pitch_contact_rad=np.radians(g.foot_pitch_contact_deg) * scale,
            pitch_toe_off_rad=-np.radians(g.foot_pitch_toe_off_deg) * scale,
            toe_rate_peak_lead_fraction=g.toe_rate_peak_lead_fraction, toe_off_rate_ratio=g.toe_off_rate_ratio,
            toe_off_rate_slope=g.toe_off_rate_slope, heel_rate_peak_lag_fraction=g.heel_rate_peak_lag_fraction,
            contact_rate_ratio=g.contact_rate_ratio, contact_rate_slope=g.contact_rate_slope,
            clearance_m=g.swing_clearance_m * scale,
            impact_velocity_mps=(g.impact_velocity_mps[0] * scale, g.impact_velocity_mps[1] * scale),
            impact_duration_s=g.impact_duration_s, lead=lead, first_ic_s=first_ic, contacts=contacts,
            ankle_values={side: _ankle_keypoints(cfg, side, t_mid, self.total_s, scale, r) for side in SIDES},
            envelope_s=(start, first_ic, t_steps[-2], end),
        )
        self.periods.append(Period(bout_id, activity, start, end, walk=walk))
        self.t = end
        self.xy = position(np.array([s_total]))[0]
        self.heading = float(heading(np.array([s_total]))[0])

    def log_uniform(self, bounds: tuple[float, float]) -> float:
        return float(np.exp(self.rng.uniform(np.log(bounds[0]), np.log(bounds[1]))))

    def random_walk(self) -> None:
        sc, r = self.cfg.scenario, self.rng
        turn, curve = 0.0, None
        if r.random() < sc.curve_probability:
            turn = r.choice([-1.0, 1.0]) * r.uniform(30.0, 120.0)
            # a curve of radius 3-8 m somewhere in the bout (turning strides), expressed as a fraction of
            # the path, which is about speed * duration long
            duration = self.log_uniform(sc.walk_bout_s)
            arc = np.radians(abs(turn)) * r.uniform(3.0, 8.0)
            path = 0.9 * np.mean(self.cfg.gait.speed_range_mps) * duration
            if arc < 0.8 * path:
                a = r.uniform(0.0, 1.0 - arc / path)
                curve = (a, a + arc / path)
            else:
                turn = 0.0
        else:
            duration = self.log_uniform(sc.walk_bout_s)
        self.add_walk("walking", duration, None, None, turn, curve)
        if r.random() < sc.turn_probability and self.remaining() > 8.0:
            self.add_walk("turn", 3.0, None, None, r.choice([-1.0, 1.0]) * r.uniform(90.0, 180.0), None)


def plan_day(cfg: SimConfig, rng: np.random.Generator) -> list[Period]:
    """The periods of the simulated recording, covering [0, minutes * 60] seconds without gaps."""
    p = _Planner(cfg, rng)
    sc = cfg.scenario
    p.add_still("standing", sc.initial_standing_s)
    if cfg.bouts is not None:
        for b in cfg.bouts:
            _add_spec(p, b)
    elif sc.kind == "walk":
        while p.remaining() > 1.0:
            p.random_walk()
            p.add_still("standing", rng.uniform(2.0, 5.0))
    else:
        while p.remaining() > 1.0:
            k = rng.choice(3, p=np.asarray(sc.activity_weights) / np.sum(sc.activity_weights))
            if k == 0:
                p.random_walk()
                p.add_still("standing", rng.uniform(1.0, 4.0))
            elif k == 1:
                p.add_still("standing", p.log_uniform(sc.standing_s))
            else:
                p.add_sitting(p.log_uniform(sc.sitting_s))
    p.add_still("standing", p.remaining())
    return p.periods


def _add_spec(p: _Planner, b: BoutSpec) -> None:
    if b.activity == "standing":
        p.add_still("standing", b.duration_s)
    elif b.activity == "sitting":
        p.add_sitting(b.duration_s)
    else:
        p.add_walk(b.activity, b.duration_s, b.speed_mps, b.stride_length_m, b.turn_deg, None)
