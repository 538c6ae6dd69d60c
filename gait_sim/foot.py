"""Rigid foot kinematics: heel rocker, foot flat, toe rocker and swing as exact piecewise polynomials.

The foot frame has its origin at the ankle joint centre. Its orientation is ``Rz(heading) @ Ry(-pitch)``
(pitch toes-up positive, no roll). Each piece of the foot's day is a *segment* with polynomials in
``t - t_ref`` for pitch, heading and an anchor point, plus the constant foot-frame vector from the
anchor to the ankle, so ``ankle = anchor + R @ offset``:

* heel rocker: anchor = heel contact point (moving during the heel-strike transient), pitch → 0, the
  toe rocker's two-piece profile reversed in time: the heel lands with zero pitch rate (by default),
  the heel pad stops it, the foot slaps toes-down, fastest ~57 ms after the touch, then it settles flat
  (config.Gait);
* foot flat: everything constant (exactly zero velocity);
* toe rocker: anchor = metatarsal-head contact point, pitch 0 → toe-off pitch in two pieces: the
  toes-down rate rises from rest to its peak a little before toe-off, then falls to a fraction of the
  peak at toe-off, still falling (non-zero angular acceleration), as on real feet (config.Gait);
* swing: anchor = ankle, quintic Hermite between the toe-off and the next contact states (value,
  velocity and acceleration matched, so the motion is C2) plus a clearance bump.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Subject
from .kinematics import compose_axis, poly_eval, quintic_hermite
from .scenario import Period



@dataclass
class FootGeometry:
    """Foot-frame points (origin at the ankle joint), metres."""

    heel: np.ndarray
    toe: np.ndarray  # metatarsal heads: the toe rocker

    @classmethod
    def of(cls, s: Subject) -> "FootGeometry":
        return cls(np.array([-s.heel_to_ankle_m, 0.0, -s.ankle_height_m]),
                   np.array([s.heel_to_toe_m - s.heel_to_ankle_m, 0.0, -s.ankle_height_m]))


@dataclass
class Segments:
    """Structure-of-arrays table of foot segments, sorted by start time."""

    start: np.ndarray  # (S,) s
    t_ref: np.ndarray  # (S,) s, polynomial time origin
    pitch: np.ndarray  # (S, 6) rad
    heading: np.ndarray  # (S, 6) rad
    anchor: np.ndarray  # (S, 3, 7) m, world
    offset: np.ndarray  # (S, 3) m, foot frame, anchor → ankle
    still: np.ndarray  # (S,) bool

    def index(self, t: np.ndarray) -> np.ndarray:
        """Segment index of each time."""
        return np.clip(np.searchsorted(self.start, t, side="right") - 1, 0, len(self.start) - 1)


@dataclass
class FootState:
    """Foot kinematics at a set of times (world frame unless noted)."""

    rot: np.ndarray  # (n, 3, 3) foot-to-world
    w: np.ndarray  # (n, 3) body-frame angular velocity, rad/s
    a: np.ndarray  # (n, 3) body-frame angular acceleration, rad/s²
    ankle: np.ndarray  # (n, 3) ankle joint position, m
    ankle_vel: np.ndarray  # (n, 3) m/s
    ankle_acc: np.ndarray  # (n, 3) m/s²


def foot_rotation(heading: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """``Rz(heading) @ Ry(-pitch)`` as (n, 3, 3)."""
    cp, sp = np.cos(heading), np.sin(heading)
    ct, st = np.cos(-pitch), np.sin(-pitch)
    r = np.empty(heading.shape + (3, 3))
    r[..., 0, 0], r[..., 0, 1], r[..., 0, 2] = cp * ct, -sp, cp * st
    r[..., 1, 0], r[..., 1, 1], r[..., 1, 2] = sp * ct, cp, sp * st
    r[..., 2, 0], r[..., 2, 1], r[..., 2, 2] = -st, 0.0, ct
    return r


def evaluate(seg: Segments, idx: np.ndarray, t: np.ndarray) -> FootState:
    """Exact foot kinematics at times ``t`` inside segments ``idx``."""
    tau = t - seg.t_ref[idx]
    ph, dph, ddph = poly_eval(seg.pitch[idx], tau)
    hd, dhd, ddhd = poly_eval(seg.heading[idx], tau)
    anc, danc, ddanc = poly_eval(seg.anchor[idx], tau[:, None])
    rot = foot_rotation(hd, ph)
    z = np.zeros_like(tau)
    w0 = np.column_stack([z, z, dhd])
    a0 = np.column_stack([z, z, ddhd])
    w, a = compose_axis(w0, a0, "y", -ph, -dph, -ddph)
    off = seg.offset[idx]
    wxo = np.cross(w, off)
    ankle = anc + np.einsum("nij,nj->ni", rot, off)
    vel = danc + np.einsum("nij,nj->ni", rot, wxo)
    acc = ddanc + np.einsum("nij,nj->ni", rot, np.cross(a, off) + np.cross(w, wxo))
    return FootState(rot, w, a, ankle, vel, acc)


def peaked_rocker(total: float, duration: float, lead: float, ratio: float, slope: float
                  ) -> tuple[float, float, float, float]:
    """Pitch-rate profile of a rocker that starts from rest and ends at a free edge (toe-off).

    From rest to the peak (``duration - lead`` s) the rate is ``R (4u³ - 3u⁴)``: zero rate,
    acceleration and jerk at rest, zero acceleration at the peak. From the peak to the edge (``lead``
    s) it is the cubic from R (flat) to ``ratio * R`` whose slope at the edge is ``slope`` times the
    mean slope of the piece. R follows from the total rotation ``total`` (rad) over ``duration`` (s).
    Returns R (rad/s), the rotation from rest to the peak (rad), and the rate (rad/s) and angular
    acceleration (rad/s²) at the edge. Time-reversed, the same profile is the heel rocker.
    """
    d_a = duration - lead
    end_slope = -slope * (1.0 - ratio)  # rate slope at the edge per unit of the piece, in units of R
    fall = (1.0 + ratio) / 2.0 - end_slope / 12.0  # integral of the cubic rate over the piece, units R·lead
    rate = total / (0.4 * d_a + fall * lead)
    return rate, 0.4 * rate * d_a, ratio * rate, end_slope * rate / lead


def _const_poly(values: np.ndarray, degree: int) -> np.ndarray:
    out = np.zeros(values.shape + (degree + 1,))
    out[..., 0] = values
    return out


def _rest_ankle(heel_xy: np.ndarray, heading: np.ndarray, geo: FootGeometry) -> np.ndarray:
    """Ankle position (n, 3) of a flat foot with its heel on ``heel_xy``."""
    hx, hz = -geo.heel[0], -geo.heel[2]
    return np.column_stack([heel_xy[:, 0] + hx * np.cos(heading), heel_xy[:, 1] + hx * np.sin(heading),
                            np.full(len(heading), hz)])


def build(periods: list[Period], side: str, subject: Subject) -> Segments:
    """All foot segments of one side over the day."""
    geo = FootGeometry.of(subject)
    half_w = 0.5 * subject.step_width_m * (1.0 if side == "left" else -1.0)
    parts: list[dict[str, np.ndarray]] = [_still(np.array([0.0]), np.array([[0.0, half_w]]), np.array([0.0]), geo)]
    for period in periods:
        if period.walk is not None:
            parts.append(_bout_segments(period.walk, side, geo))
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(cat["start"], kind="stable")
    return Segments(**{k: v[order] for k, v in cat.items()})


def _still(start: np.ndarray, heel_xy: np.ndarray, heading: np.ndarray, geo: FootGeometry) -> dict[str, np.ndarray]:
    n = len(start)
    return dict(start=start, t_ref=start.copy(), pitch=np.zeros((n, 6)), heading=_const_poly(heading, 5),
                anchor=_const_poly(_rest_ankle(heel_xy, heading, geo), 6), offset=np.zeros((n, 3)),
                still=np.ones(n, bool))


def _bout_segments(walk, side: str, geo: FootGeometry) -> dict[str, np.ndarray]:
    c = walk.contacts[side]
    T = walk.stride_time_s
    ic, heel_xy, psi = c.ic_s, c.heel_xy, c.heading
    m = len(ic) - 1  # number of steps of this foot
    frm, to = slice(0, m), slice(1, m + 1)
    d_hr, d_tr, d_sw = walk.foot_flat_fraction * T, (walk.stance_fraction - walk.heel_off_fraction) * T, \
        (1.0 - walk.stance_fraction) * T
    p_ic, p_to = walk.pitch_contact_rad, walk.pitch_toe_off_rad
    ones = np.ones(m)
    heel3 = np.column_stack([heel_xy, np.zeros(m + 1)])
    toe3 = heel3 + np.column_stack([np.cos(psi), np.sin(psi), np.zeros(m + 1)]) * (geo.toe[0] - geo.heel[0])

    # toe rocker of contacts 0..m-1: rising then falling toes-down rate, both about the same toe point
    lead = walk.toe_rate_peak_lead_fraction * T
    r_to, p_pk, v_to, a_to = peaked_rocker(p_to, d_tr, lead, walk.toe_off_rate_ratio, walk.toe_off_rate_slope)
    tr_rise = dict(start=ic[frm] + walk.heel_off_fraction * T,
                   pitch=quintic_hermite(0, 0, 0, p_pk, r_to, 0, d_tr - lead) * ones[:, None],
                   heading=_const_poly(psi[frm], 5), anchor=_const_poly(toe3[frm], 6),
                   offset=np.tile(-geo.toe, (m, 1)), still=np.zeros(m, bool))
    tr_rise["t_ref"] = tr_rise["start"].copy()
    tr = dict(tr_rise, start=ic[frm] + walk.stance_fraction * T - lead,
              pitch=quintic_hermite(p_pk, r_to, 0, p_to, v_to, a_to, lead) * ones[:, None])
    tr["t_ref"] = tr["start"].copy()
    # heel rocker of contacts 1..m: the toe rocker's profile reversed in time (contact → peak slap →
    # rest); the peak comes after the heel-strike transient
    lag = max(walk.heel_rate_peak_lag_fraction * T, walk.impact_duration_s)
    r_hr, p_hk, v_e, a_e = peaked_rocker(p_ic, d_hr, lag, walk.contact_rate_ratio, walk.contact_rate_slope)
    v_ic, a_ic = -v_e, a_e  # time reversal flips the rate, keeps the acceleration
    hr_fall = quintic_hermite(p_ic, v_ic, a_ic, p_hk, -r_hr, 0, lag) * ones[:, None]
    tau_i = walk.impact_duration_s
    fwd = np.column_stack([np.cos(psi[to]), np.sin(psi[to]), np.zeros(m)])
    v0 = walk.impact_velocity_mps[0] * fwd + np.array([0.0, 0.0, -walk.impact_velocity_mps[1]])
    # heel displacement from rest: -v0 tau_i (1/2 - s + s^3 - s^4/2), s = tau/tau_i (velocity v0 → 0, C2)
    impact = np.zeros((m, 3, 7))
    impact[:, :, 0] = heel3[to] - 0.5 * v0 * tau_i
    impact[:, :, 1] = v0
    impact[:, :, 3] = -v0 / tau_i**2
    impact[:, :, 4] = 0.5 * v0 / tau_i**3
    im = dict(start=ic[to], t_ref=ic[to].copy(), pitch=hr_fall, heading=_const_poly(psi[to], 5), anchor=impact,
              offset=np.tile(-geo.heel, (m, 1)), still=np.zeros(m, bool))
    hr = dict(im, start=ic[to] + tau_i, anchor=_const_poly(heel3[to], 6))
    hr_rest = dict(hr, start=ic[to] + lag, t_ref=ic[to] + lag,
                   pitch=quintic_hermite(p_hk, -r_hr, 0, 0, 0, 0, d_hr - lag) * ones[:, None])
    fl = _still(ic[to] + walk.foot_flat_fraction * T, heel_xy[to], psi[to], geo)
    fl["t_ref"] = ic[to].copy()

    # swing: boundary states from the rockers, so that position, velocity and acceleration are continuous
    tr_seg = Segments(**{k: tr[k] for k in Segments.__dataclass_fields__})
    im_seg = Segments(**{k: im[k] for k in Segments.__dataclass_fields__})
    k = np.arange(m)
    s0 = evaluate(tr_seg, k, tr["start"] + lead)
    s1 = evaluate(im_seg, k, ic[to])
    anchor = np.zeros((m, 3, 7))
    anchor[:, :, :6] = quintic_hermite(s0.ankle, s0.ankle_vel, s0.ankle_acc, s1.ankle, s1.ankle_vel, s1.ankle_acc,
                                       d_sw)
    # clearance: c * 64 u^3 (1 - u)^3 has zero value, slope and curvature at both ends
    bump = 64.0 * walk.clearance_m * np.array([0, 0, 0, 1, -3, 3, -1]) / d_sw ** np.arange(7)
    anchor[:, 2, :] += bump
    dpsi = np.angle(np.exp(1j * (psi[to] - psi[frm])))
    sw = dict(start=ic[frm] + walk.stance_fraction * T,
              pitch=quintic_hermite(p_to, v_to, a_to, p_ic, v_ic, a_ic, d_sw) * ones[:, None],
              heading=quintic_hermite(psi[frm], 0, 0, psi[frm] + dpsi, 0, 0, d_sw), anchor=anchor,
              offset=np.zeros((m, 3)), still=np.zeros(m, bool))
    sw["t_ref"] = sw["start"].copy()
    pieces = [tr_rise, tr, sw, im, hr, hr_rest, fl]
    return {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
