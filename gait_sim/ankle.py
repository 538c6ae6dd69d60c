"""Ankle joint angle curves over the day: neutral standing, sitting poses and the walking pattern.

Angles are in the project's convention (analysis.conventions): dorsiflexion, eversion and internal
rotation in degrees, 0 in quiet standing. During a walking bout each angle is a periodic C2 cubic
spline through keypoints over the stride phase, faded in and out by a quintic envelope; sitting poses
are reached with quintic ramps. Everything has exact first and second time derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from .kinematics import poly_eval, quintic_hermite, smoothstep
from .scenario import DORSI_PHASES, EVER_PHASES, ROT_PHASES, POSE_RAMP_S, Period


def _cardinal_basis(phases: np.ndarray) -> CubicSpline:
    """Periodic cubic splines through the unit vectors: a curve is ``basis(phase) @ values``."""
    k = len(phases)
    y = np.vstack([np.eye(k), np.eye(k)[:1]])
    return CubicSpline(np.append(phases, 1.0), y, bc_type="periodic")


BASES = tuple(_cardinal_basis(p) for p in (DORSI_PHASES, EVER_PHASES, ROT_PHASES))


@dataclass
class AnkleTable:
    """Ankle segments of one side: a quintic base pose plus, in walking bouts, the gait pattern."""

    start: np.ndarray  # (S,)
    t_ref: np.ndarray  # (S,)
    base: np.ndarray  # (S, 3, 6) degrees
    walk: np.ndarray  # (S,) index into the walking arrays, -1 for none
    phase0: np.ndarray  # (W,) s
    period: np.ndarray  # (W,) s
    values: tuple[np.ndarray, np.ndarray, np.ndarray]  # (W, K) keypoint values per angle, degrees
    envelope: np.ndarray  # (W, 4) s

    def index(self, t: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.start, t, side="right") - 1, 0, len(self.start) - 1)

    def moving(self, idx: np.ndarray) -> np.ndarray:
        """Whether the angles change inside segment ``idx``."""
        return (self.walk[idx] >= 0) | np.any(self.base[idx, :, 1:] != 0, axis=(1, 2))


def build(periods: list[Period], side: str) -> AnkleTable:
    """The ankle table of ``side`` for the whole day."""
    start, t_ref, base, walk = [], [], [], []
    phase0, period, values, env = [], [], ([], [], []), []
    zero = np.zeros(3)

    def const(t0: float, v: np.ndarray) -> None:
        start.append(t0), t_ref.append(t0), walk.append(-1)
        b = np.zeros((3, 6))
        b[:, 0] = v
        base.append(b)

    def ramp(t0: float, d: float, v0: np.ndarray, v1: np.ndarray) -> None:
        start.append(t0), t_ref.append(t0), walk.append(-1)
        base.append(quintic_hermite(v0, 0, 0, v1, 0, 0, d))

    const(0.0, zero)
    for p in periods:
        if p.walk is not None:
            w = p.walk
            start.append(p.start_s), t_ref.append(p.start_s), walk.append(len(phase0))
            base.append(np.zeros((3, 6)))
            phase0.append(w.phase_origin_s(side))
            period.append(w.stride_time_s)
            for lst, v in zip(values, w.ankle_values[side]):
                lst.append(v)
            env.append(w.envelope_s)
            const(p.end_s, zero)
        elif p.pose is not None:
            r = min(POSE_RAMP_S, 0.4 * (p.end_s - p.start_s))
            ramp(p.start_s, r, zero, p.pose[side])
            const(p.start_s + r, p.pose[side])
            ramp(p.end_s - r, r, p.pose[side], zero)
            const(p.end_s, zero)
    n_w = len(phase0)
    vals = tuple(np.array(v) if n_w else np.zeros((0, len(ph))) for v, ph in
                 zip(values, (DORSI_PHASES, EVER_PHASES, ROT_PHASES)))
    return AnkleTable(np.array(start), np.array(t_ref), np.array(base), np.array(walk, int),
                      np.array(phase0), np.array(period), vals, np.array(env).reshape(n_w, 4))


def evaluate(tab: AnkleTable, idx: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angles, rates and accelerations (n, 3) in degrees, deg/s, deg/s² at times ``t`` in segments ``idx``."""
    ang, dang, ddang = poly_eval(tab.base[idx], (t - tab.t_ref[idx])[:, None])
    wi = tab.walk[idx]
    sel = np.flatnonzero(wi >= 0)
    if len(sel):
        w, ts = wi[sel], t[sel]
        per = tab.period[w]
        phase = np.mod((ts - tab.phase0[w]) / per, 1.0)
        e = tab.envelope[w]
        up, dup, ddup = smoothstep((ts - e[:, 0]) / (e[:, 1] - e[:, 0]))
        dn, ddn, dddn = smoothstep((ts - e[:, 2]) / (e[:, 3] - e[:, 2]))
        k_up, k_dn = 1.0 / (e[:, 1] - e[:, 0]), 1.0 / (e[:, 3] - e[:, 2])
        env = up * (1 - dn)
        denv = dup * k_up * (1 - dn) - up * ddn * k_dn
        ddenv = ddup * k_up**2 * (1 - dn) - 2 * dup * k_up * ddn * k_dn - up * dddn * k_dn**2
        for j, (basis, vals) in enumerate(zip(BASES, tab.values)):
            v = vals[w]
            c = np.einsum("nk,nk->n", basis(phase), v)
            dc = np.einsum("nk,nk->n", basis(phase, 1), v) / per
            ddc = np.einsum("nk,nk->n", basis(phase, 2), v) / per**2
            ang[sel, j] += env * c
            dang[sel, j] += denv * c + env * dc
            ddang[sel, j] += ddenv * c + 2 * denv * dc + env * ddc
    return ang, dang, ddang
