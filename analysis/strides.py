"""Strides table: initial contact to next initial contact per side, with events, spatial metrics and flags.

Input per placement: a DataFrame with ``time_s``, ``acc_*_mps2``, ``gyr_*_radps`` (sensor frame,
any mounting). Output: analysis.columns.STRIDE_COLUMNS plus STRIDE_EXTRA_COLUMNS. A foot sensor
gives events and the zero-velocity-aided spatial metrics; a shin alone gives events only (flag
``shin_only``; stride length NaN). Ankle-angle columns stay NaN here: ``join_angle_metrics`` fills
them from a continuous angle DataFrame.

Quality flags (``|``-joined, ``ok`` when none):
``gap`` the stride spans a time step > 1.5 sample periods (samples are never interpolated);
``saturation`` a sample in the stride is at the sensor's clipping level;
``turn`` the foot heading changed by more than ``turn_deg`` over the stride;
``implausible`` stride time, stance fraction, length or speed outside the ``plausible`` ranges;
``shin_only`` events from the shin sensor (no foot sensor on that side).

A stride is initial contact to the next initial contact of the same foot, at most
``max_stride_time_s`` apart and with no standstill inside: if the sensor is still (zero-velocity
detector) for ``max_still_s`` or longer between the contact and the next toe-off, the person stood
between two steps and the pair is not a stride (the simulator's walk → stand → spot-turn sequences
made such "strides" before this rule; a foot-flat in walking lasts at most ~0.25 stride times, i.e.
0.6 s at the slowest plausible 2.5 s stride). With both sides recorded, ``StrideDetector`` also
drops a pair when both sides were still together for ``standing_s`` inside its stance: in walking
the feet are never still together, so that is standing, however short.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from analysis import events as ev
from analysis import zupt
from analysis.algorithm import Algorithm
from analysis.columns import ACC, GYR, STRIDE_COLUMNS, TIME
from analysis.conventions import GRAVITY_MPS2
from analysis.derivative import time_gradient
from analysis.orientation.quaternion import rotate
from analysis.orientation.segments import nominal_rate_hz
from analysis.parallel import in_parallel
from analysis.quality import join_flags
from analysis.swing_check import SwingCheck
from analysis.windows import reduce_slices, runs

STRIDE_EXTRA_COLUMNS = ("mid_stance_s", "foot_clearance_m", "turning_angle_deg")
#: plausible ranges for one stride of walking (outside: flag ``implausible``; see StrideDetector)
PLAUSIBLE = (("stride_time_s", 0.6, 2.5), ("stance_fraction", 0.4, 0.85),
             ("stride_length_m", 0.1, 2.3), ("speed_mps", 0.05, 3.0))
#: a stance (contact to the next toe-off) is searched for at most this long (s; engineering choice: the
#: stance share of normal walking, ~0.6 of the stride (Perry 2010), at the slowest plausible 2.5 s stride)
MAX_STANCE_S = 1.5
#: the last contact of a recording has no next toe-off: its stance is taken as this long (s; about the
#: stance of a 1.6 s stride, engineering choice)
LAST_STANCE_S = 1.0


def _arrays(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in (TIME, *ACC, *GYR) if c not in df.columns]
    if missing:
        from analysis.errors import UserError
        raise UserError(f"sensor {name}: missing columns {', '.join(missing)}")
    t = df[TIME].to_numpy(float)
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        from analysis.errors import UserError
        raise UserError(f"sensor {name}: time_s is not strictly increasing")
    return t, df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float)


def saturated(x: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    """Boolean (n,): a channel repeats its recording-wide extreme on consecutive samples (clipping).

    A clipped sensor outputs its full-scale value unchanged; an unclipped peak does not repeat.
    A channel holding a NaN has no extreme (never clipped).
    """
    out = np.zeros(len(x), bool)
    if len(x):
        _saturated(np.asarray(x, dtype=float), rel, out)
    return out


@njit(cache=True, nogil=True)
def _saturated(x: np.ndarray, rel: float, out: np.ndarray) -> None:
    """Compiled :func:`saturated`: two passes over x (n, m), no (n, m) temporaries."""
    n, m = x.shape
    top = np.zeros(m)
    for k in range(m):
        top[k] = abs(x[0, k])
    for i in range(n):
        for k in range(m):
            v = abs(x[i, k])
            if v != v or top[k] != top[k]:
                top[k] = np.nan  # as ndarray.max: a NaN makes the extreme NaN
            elif v > top[k]:
                top[k] = v
    thr = (1.0 - rel) * top
    for i in range(1, n):
        for k in range(m):
            if top[k] > 0 and abs(x[i, k]) >= thr[k] and abs(x[i - 1, k]) >= thr[k]:
                out[i] = True
                out[i - 1] = True
                break


def foot_analysis(time_s: np.ndarray, acc: np.ndarray, gyr: np.ndarray, *,
                  events: ev.SwingEventDetector | None = None,
                  zero_velocity: zupt.ZeroVelocityDetector | None = None,
                  swing_check: SwingCheck | None = SwingCheck()) -> dict:
    """Events and trajectory of one foot sensor: swings DataFrame, still mask, trajectory, sagittal rate.

    ``events`` and ``zero_velocity`` default to SwingEventDetector() and ZeroVelocityDetector();
    ``swing_check`` (analysis.swing_check.SwingCheck) drops candidate swings that are no footstep
    (None keeps every candidate, as the model's fit needs)."""
    events = (events or ev.SwingEventDetector()).clone()
    zv = (zero_velocity or zupt.ZeroVelocityDetector()).clone()
    fs = nominal_rate_hz(time_s)
    still = zv.detect(acc, gyr, fs).still_
    traj = zupt.foot_trajectory(time_s, acc, gyr, still)
    axis = ev.principal_rotation_axis(gyr)
    axis = axis * ev.foot_axis_sign(axis, acc, traj["quat"], traj["pos"], traj["segments"])
    w = -(gyr @ axis)  # axis points left; rotation about +left is toes-down
    energy = ev.motion_energy(acc, gyr, fs)
    swings = events.detect(time_s, w, energy, fs).swings_
    # no zero velocity inside a swing, and one in every stance (zupt.clear_swings, zupt.stance_minima);
    # the trajectory is redone, orientation included, when that changed the mask: the tilt must not be
    # pulled towards the accelerometer of a swing (measured 16-22° off vertical in slow terminal swing)
    ic_i, to_i = swings["ic_idx"].to_numpy(), swings["to_idx"].to_numpy()
    still, n_cleared = zupt.clear_swings(still, to_i, ic_i)
    next_to = np.minimum(np.concatenate([to_i[1:], [len(time_s)]]), ic_i + int(MAX_STANCE_S * fs))
    still, n_forced = zupt.stance_minima(still, energy, gyr, ic_i, next_to, min_still_samples=zv.min_still_samples,
                                         stance_gyr_max_radps=zv.stance_gyr_max_radps)
    if n_forced or n_cleared:
        traj = None  # frees the first pass's arrays before the second is made
        traj = zupt.foot_trajectory(time_s, acc, gyr, still)
    _add_swing_geometry(swings, traj, energy, time_s, fs)
    if swing_check is not None and len(swings):
        swings = swings[swing_check.clone().check(swings, w).keep_].reset_index(drop=True)
    return {"fs": fs, "still": still, "traj": traj, "left_axis": axis, "toes_up": w,
            "energy": energy, "swings": swings, "n_still_forced": n_forced}


def _add_swing_geometry(swings: pd.DataFrame, traj: dict, energy: np.ndarray, t: np.ndarray,
                        fs: float) -> None:
    """Add mid-stance before/after each swing and the foot's horizontal displacement across it (m)."""
    to_i = swings["to_idx"].to_numpy()
    ic_i = swings["ic_idx"].to_numpy()
    n = len(t)
    if len(to_i) == 0:
        swings["ms_before_idx"] = swings["ms_after_idx"] = np.zeros(0, np.int64)
        swings["displacement_m"] = np.zeros(0)
        return
    prev_ic = np.concatenate([[max(0, to_i[0] - int(MAX_STANCE_S * fs))], ic_i[:-1]])
    before = ev.mid_stance(energy, np.maximum(prev_ic, to_i - int(MAX_STANCE_S * fs)), to_i)
    next_to = np.concatenate([to_i[1:], [n]])
    after = ev.mid_stance(energy, ic_i, np.minimum(next_to, ic_i + int(MAX_STANCE_S * fs)))
    d = traj["pos"][after, :2] - traj["pos"][before, :2]
    swings["ms_before_idx"] = before
    swings["ms_after_idx"] = after
    swings["displacement_m"] = np.linalg.norm(d, axis=1)


def shin_analysis(time_s: np.ndarray, acc: np.ndarray, gyr: np.ndarray, *,
                  events: ev.SwingEventDetector | None = None,
                  zero_velocity: zupt.ZeroVelocityDetector | None = None) -> dict:
    """Events of a shin sensor: the shin swings forward fast in mid-swing (largest positive rate).

    With the default ``events`` (SwingEventDetector.shin()), toe-off is the negative rate minimum before
    mid-swing; contact is the heel-strike impact before the minimum after it (events.contact_at_impact).
    """
    events = (events or ev.SwingEventDetector.shin()).clone()
    zv = (zero_velocity or zupt.ZeroVelocityDetector()).clone()
    fs = nominal_rate_hz(time_s)
    axis = ev.principal_rotation_axis(gyr)
    w = gyr @ axis
    w = w * ev.shin_swing_sign(w, acc, fs)
    energy = ev.motion_energy(acc, gyr, fs)
    swings = ev.contact_at_impact(events.detect(time_s, w, energy, fs).swings_, time_s, acc, fs)
    return {"fs": fs, "swings": swings, "energy": energy, "rate": w, "still": zv.detect(acc, gyr, fs).still_}


def contains_standstill(still: np.ndarray, a: np.ndarray, b: np.ndarray, min_len: int) -> np.ndarray:
    """Boolean per interval [a[i], b[i]): it overlaps one still run by at least ``min_len`` samples."""
    r = runs(still)
    r = r[r[:, 1] - r[:, 0] >= min_len]
    out = np.zeros(len(a), bool)
    if len(r) == 0 or len(a) == 0:
        return out
    j = np.searchsorted(r[:, 1], a, side="right")  # first long run ending after a
    ok = j < len(r)
    jj = np.minimum(j, len(r) - 1)
    overlap = np.minimum(r[jj, 1], b) - np.maximum(r[jj, 0], a)
    out[ok] = overlap[ok] >= min_len
    return out


def _wrap_deg(x: np.ndarray) -> np.ndarray:
    return (x + 180.0) % 360.0 - 180.0


def side_analysis(df: pd.DataFrame, side: str, *, shin_only: bool = False, detector: StrideDetector | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict | None]:
    """Arrays of one sensor and its ``foot_analysis``/``shin_analysis`` (None with < 10 samples), with the
    event and zero-velocity detectors of ``detector`` (default StrideDetector())."""
    d = detector or StrideDetector()
    t, acc, gyr = _arrays(df, f"{side}_{'shin' if shin_only else 'foot'}")
    if len(t) < 10:
        return t, acc, gyr, None
    if shin_only:
        return t, acc, gyr, shin_analysis(t, acc, gyr, events=d.shin_events, zero_velocity=d.zero_velocity)
    return t, acc, gyr, foot_analysis(t, acc, gyr, events=d.foot_events, zero_velocity=d.zero_velocity,
                                      swing_check=d.swing_check)


def standing_intervals(stills: list[tuple[np.ndarray, np.ndarray]], min_s: float,
                       step_s: float = 0.01) -> np.ndarray:
    """(k, 2) [start, end] times (s) where every given sensor is still for at least ``min_s``.

    ``stills`` holds (time_s, still mask) per sensor; evaluated on a ``step_s`` grid over their
    common span. In walking the two feet are never still together (one swings while the other is
    flat), so both feet still means standing.
    """
    if len(stills) < 2 or any(len(t) == 0 for t, _ in stills):
        return np.zeros((0, 2))
    t0 = max(t[0] for t, _ in stills)
    t1 = min(t[-1] for t, _ in stills)
    if t1 <= t0:
        return np.zeros((0, 2))
    grid = np.arange(t0, t1, step_s)
    both = np.ones(len(grid), bool)
    for t, still in stills:
        both &= still[np.clip(np.searchsorted(t, grid), 0, len(t) - 1)]
    r = runs(both)
    r = r[r[:, 1] - r[:, 0] >= int(round(min_s / step_s))]
    return np.column_stack([grid[r[:, 0]], grid[r[:, 1] - 1]]) if len(r) else np.zeros((0, 2))


def overlaps_intervals(intervals: np.ndarray, a: np.ndarray, b: np.ndarray, min_s: float) -> np.ndarray:
    """Boolean per time interval [a[i], b[i]]: it overlaps one of ``intervals`` by at least ``min_s``."""
    out = np.zeros(len(a), bool)
    if len(intervals) == 0 or len(a) == 0:
        return out
    for k in (0, 1):  # the two sorted intervals nearest to a[i] cover every case with short strides
        j = np.clip(np.searchsorted(intervals[:, 1], a, side="left") + k, 0, len(intervals) - 1)
        ov = np.minimum(intervals[j, 1], b) - np.maximum(intervals[j, 0], a)
        out |= ov >= min_s
    return out


def strides_from_analysis(t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, res: dict, side: str, *,
                          shin_only: bool = False, detector: StrideDetector | None = None) -> pd.DataFrame:
    """Strides table of one side from the result of ``foot_analysis`` or ``shin_analysis``, with the rules
    of ``detector`` (default StrideDetector())."""
    d = detector or StrideDetector()
    max_stride_time_s, turn_deg, max_still_s = d.max_stride_time_s, d.turn_deg, d.max_still_s
    cols = list(STRIDE_COLUMNS) + list(STRIDE_EXTRA_COLUMNS)
    sw = res["swings"]
    if len(sw) < 2:
        return pd.DataFrame(columns=cols)
    ic = sw["initial_contact_s"].to_numpy()
    ic_i = sw["ic_idx"].to_numpy()
    to = sw["toe_off_s"].to_numpy()
    to_i = sw["to_idx"].to_numpy()
    fs = res["fs"]
    # stance after each contact ends at the next swing's toe-off (LAST_STANCE_S later for the last one)
    next_to_i = np.concatenate([to_i[1:], [min(len(t), ic_i[-1] + int(LAST_STANCE_S * fs))]])
    ms_i = ev.mid_stance(res["energy"], ic_i, next_to_i)
    start, end = ic[:-1], ic[1:]
    stride_time = end - start
    keep = (stride_time > 0) & (stride_time <= max_stride_time_s) & (to[1:] > start) & (to[1:] < end)
    keep &= ~contains_standstill(res["still"], ic_i[:-1], to_i[1:], int(round(max_still_s * fs)))
    k = np.flatnonzero(keep)
    out = pd.DataFrame({c: np.full(len(k), np.nan) for c in cols})
    out["side"] = side
    out["stride_id"] = np.arange(len(k))
    out["bout_id"] = -1
    out["start_s"] = start[k]
    out["toe_off_s"] = to[k + 1]
    out["end_s"] = end[k]
    out["stride_time_s"] = stride_time[k]
    out["stance_fraction"] = (to[k + 1] - start[k]) / stride_time[k]
    out["mid_stance_s"] = t[ms_i[k]]
    flags = [[] for _ in k]
    a_i, b_i = ic_i[k], ic_i[k + 1]
    gap = zupt.gaps(t, fs)
    csum_gap = np.cumsum(gap)
    sat = saturated(np.column_stack([acc, gyr]))
    csum_sat = np.cumsum(sat)
    has_gap = csum_gap[b_i] - csum_gap[a_i] > 0
    has_sat = csum_sat[b_i] - csum_sat[np.maximum(a_i - 1, 0)] > 0
    if not shin_only:
        pos = res["traj"]["pos"]
        m0 = sw["ms_before_idx"].to_numpy()[k + 1]
        m1 = sw["ms_after_idx"].to_numpy()[k + 1]
        length = sw["displacement_m"].to_numpy()[k + 1]
        out["stride_length_m"] = length
        out["speed_mps"] = length / stride_time[k]
        out["foot_clearance_m"] = _clearance(pos[:, 2], t, m0, m1)
        up = acc[m0] / np.linalg.norm(acc[m0], axis=1)[:, None]
        fwd = np.cross(res["left_axis"], up)
        q = res["traj"]["quat"]
        h0 = np.degrees(_heading_rows(q[m0], fwd))
        h1 = np.degrees(_heading_rows(q[m1], fwd))
        out["turning_angle_deg"] = _wrap_deg(h1 - h0)
        has_gap |= csum_gap[m1] - csum_gap[np.minimum(m0, m1)] > 0
    for i in range(len(k)):  # one iteration per stride: assemble its flag string
        if has_gap[i]:
            flags[i].append("gap")
        if has_sat[i]:
            flags[i].append("saturation")
    turn = np.abs(out["turning_angle_deg"].to_numpy()) > turn_deg
    bad = np.zeros(len(k), bool)
    for col, lo, hi in d.plausible:
        v = out[col].to_numpy(float)
        bad |= ~np.isnan(v) & ((v < lo) | (v > hi))
    for i in range(len(k)):
        if turn[i]:
            flags[i].append("turn")
        if bad[i]:
            flags[i].append("implausible")
        if shin_only:
            flags[i].append("shin_only")
    out["quality"] = [join_flags(f) for f in flags]
    return out[cols]


def _heading_rows(q: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Heading (rad) of per-row sensor-frame vectors ``fwd`` (n, 3) under orientations q (n, 4)."""
    f = rotate(q, fwd)
    return np.arctan2(f[:, 1], f[:, 0])


def _clearance(z: np.ndarray, t: np.ndarray, m0: np.ndarray, m1: np.ndarray) -> np.ndarray:
    """Largest sensor height (m) above the straight line between the two mid-stances of each stride."""
    out = np.full(len(m0), np.nan)
    for i, (a, b) in enumerate(zip(m0, m1)):  # per stride, vectorised inside
        if b > a:
            base = np.interp(t[a:b + 1], [t[a], t[b]], [z[a], z[b]])
            out[i] = float(np.max(z[a:b + 1] - base))
    return out


class StrideDetector(Algorithm):
    """Strides of both sides (module docstring) from a dict placement -> samples DataFrame.

    Parameters:
    ``foot_events``, ``shin_events``: analysis.events.SwingEventDetector of a foot and of a shin;
    ``zero_velocity``: analysis.zupt.ZeroVelocityDetector;
    ``swing_check``: analysis.swing_check.SwingCheck, the footstep model a foot's candidate swings must
    pass (fitted on ipol_feet TUNE 1-5; None keeps every candidate);
    ``max_stride_time_s`` (s, 3.0): consecutive contacts further apart are a pause, not a stride
    (engineering choice: above the slowest plausible stride, 2.5 s, and the simulator's very slow
    2.3 s strides);
    ``max_still_s`` (s, 1.0): a still run this long between a contact and the next toe-off is standing
    (a foot-flat lasts at most ~0.25 stride times, 0.6 s at a 2.5 s stride);
    ``standing_s`` (s, 0.3): both sides still together this long inside a stance is standing (in
    walking the feet are never still together; engineering choice: 3 samples of the 0.01 s grid
    would do, 0.3 s keeps noise from dropping strides);
    ``turn_deg`` (deg, 20): a stride whose foot heading changes by more is flagged ``turn``
    (engineering choice: the simulator's spot turns turn by tens of degrees a stride, curves by less);
    ``plausible``: (column, low, high) ranges of one stride of walking, outside which it is flagged
    ``implausible``. Engineering choice: wide ranges around adult walking (comfortable stride time
    1.0-1.2 s and stride length 1.3-1.5 m, Oberg et al. 1993; stance about 60 % of the stride, Perry
    2010) that flag only what cannot be a walking stride, from shuffling to the start of running.

    Action: ``detect(signals)`` (feet preferred, shins as fallback); result ``strides_``
    (STRIDE_COLUMNS + STRIDE_EXTRA_COLUMNS). Each foot row gets ``peak_tibial_accel_g`` when that
    side's shin is present.
    """

    def __init__(self, foot_events: ev.SwingEventDetector = ev.SwingEventDetector(),
                 shin_events: ev.SwingEventDetector = ev.SwingEventDetector.shin(),
                 zero_velocity: zupt.ZeroVelocityDetector = zupt.ZeroVelocityDetector(),
                 swing_check: SwingCheck | None = SwingCheck(),
                 max_stride_time_s: float = 3.0, max_still_s: float = 1.0, standing_s: float = 0.3,
                 turn_deg: float = 20.0, plausible: tuple[tuple[str, float, float], ...] = PLAUSIBLE) -> None:
        self.foot_events = foot_events
        self.shin_events = shin_events
        self.zero_velocity = zero_velocity
        self.swing_check = swing_check
        self.max_stride_time_s = max_stride_time_s
        self.max_still_s = max_still_s
        self.standing_s = standing_s
        self.turn_deg = turn_deg
        self.plausible = plausible

    def detect(self, signals: dict[str, pd.DataFrame]) -> StrideDetector:
        """Strides of both sides of a recording. Returns self."""
        def one_side(side: str) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]] | None:
            foot, shin = signals.get(f"{side}_foot"), signals.get(f"{side}_shin")
            shin_only = foot is None
            t, acc, gyr, res = side_analysis(shin if shin_only else foot, side, shin_only=shin_only, detector=self)
            if res is None:
                return None
            s = strides_from_analysis(t, acc, gyr, res, side, shin_only=shin_only, detector=self)
            if shin is not None and len(s):
                s["peak_tibial_accel_g"] = peak_tibial_acceleration(s["start_s"].to_numpy(), shin)
            return s, (t, res["still"])

        sides = [s for s in ("left", "right")
                 if signals.get(f"{s}_foot") is not None or signals.get(f"{s}_shin") is not None]
        done = [r for r in in_parallel(one_side, sides) if r is not None]
        stills = [still for _, still in done]
        cols = list(STRIDE_COLUMNS) + list(STRIDE_EXTRA_COLUMNS)
        parts = [p for p, _ in done if len(p)]
        if not parts:
            self.strides_ = pd.DataFrame(columns=cols)
            return self
        out = pd.concat(parts, ignore_index=True)[cols]
        stand = standing_intervals(stills, self.standing_s)
        drop = overlaps_intervals(stand, out["start_s"].to_numpy(float), out["toe_off_s"].to_numpy(float),
                                  self.standing_s)
        out = out[~drop].reset_index(drop=True)
        out["stride_id"] = out.groupby("side").cumcount()
        self.strides_ = out
        return self


def compute_strides(signals: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Strides of both sides with the default StrideDetector (see there)."""
    return StrideDetector().detect(signals).strides_


def peak_tibial_acceleration(contact_s: np.ndarray, shin: pd.DataFrame, window_s: float = 0.1) -> np.ndarray:
    """Largest shin acceleration norm (g, gravity included) within ``window_s`` after each contact."""
    t, acc, _ = _arrays(shin, "shin")
    norm = np.linalg.norm(acc, axis=1) / GRAVITY_MPS2
    a = np.searchsorted(t, contact_s)
    b = np.searchsorted(t, contact_s + window_s)
    out = np.full(len(contact_s), np.nan)
    ok = b > a
    if ok.any():
        out[ok] = np.maximum.reduceat(np.append(norm, 0.0), np.column_stack([a[ok], b[ok]]).ravel())[::2]
    return out


def join_angle_metrics(strides: pd.DataFrame, angles: pd.DataFrame, side: str, *,
                       dorsi_col: str | None = None, ever_col: str | None = None,
                       push_off_s: float = 0.15) -> pd.DataFrame:
    """Fill the ankle-angle columns of ``side``'s strides from a continuous angle DataFrame.

    ``angles`` has ``time_s`` and dorsiflexion / eversion columns in degrees (conventions of
    analysis.conventions); by default the columns named ``{side}_dorsiflexion_deg`` or
    ``dorsiflexion_deg`` (and likewise eversion) are used. Per stride: peak dorsiflexion in stance
    (contact → toe-off), peak plantarflexion around push-off (minimum within ``push_off_s`` of
    toe-off), sagittal range over the stride, peak eversion in stance, eversion excursion (peak
    minus the value at contact), peak pronation velocity (largest eversion rate in stance, deg/s).
    Returns a copy; strides with no angle samples stay NaN.
    """
    out = strides.copy()
    if len(out) == 0:
        return out
    dcol = dorsi_col or _pick(angles, side, "dorsiflexion_deg")
    ecol = ever_col or _pick(angles, side, "eversion_deg")
    t = angles[TIME].to_numpy(float)
    sel = (out["side"] == side).to_numpy()
    rows = np.flatnonzero(sel)
    st, to, en = (out.loc[sel, c].to_numpy(float) for c in ("start_s", "toe_off_s", "end_s"))
    dorsi = angles[dcol].to_numpy(float) if dcol else None
    ever = angles[ecol].to_numpy(float) if ecol else None
    ever_rate = time_gradient(ever, t) if ever is not None and len(t) > 1 else None
    _fill_angle_metrics(out, t, rows, st, to, en, dorsi, ever, ever_rate, push_off_s)
    return out


def _fill_angle_metrics(out, t, rows, st, to, en, dorsi, ever, ever_rate, push_off_s) -> None:
    """Per-stride ankle metrics written into ``out`` in place (see join_angle_metrics), all strides in one
    pass: slice bounds by searchsorted, nan-skipping maxima and minima by reduceat over them."""
    i0, i1, i2 = (np.searchsorted(t, x) for x in (st, to, en))
    stance = i1 > i0

    def put(col: str, ok: np.ndarray, values: np.ndarray) -> None:
        v = out[col].to_numpy(dtype=float, copy=True)
        v[rows[ok]] = values[ok]
        out[col] = v

    if dorsi is not None and len(t):
        j0, j1 = np.searchsorted(t, to - push_off_s), np.searchsorted(t, to + push_off_s)
        put("peak_dorsiflexion_deg", stance, reduce_slices(np.fmax, dorsi, i0, i1))
        put("peak_plantarflexion_deg", stance & (j1 > j0), reduce_slices(np.fmin, dorsi, j0, j1))
        whole = stance & (i2 > i0)
        put("sagittal_range_deg", whole,
            reduce_slices(np.fmax, dorsi, i0, i2) - reduce_slices(np.fmin, dorsi, i0, i2))
    if ever is not None and len(t):
        pk = reduce_slices(np.fmax, ever, i0, i1)
        put("peak_eversion_deg", stance, pk)
        put("eversion_excursion_deg", stance, pk - ever[np.minimum(i0, len(t) - 1)])
        if ever_rate is not None:
            put("peak_pronation_velocity_dps", stance, reduce_slices(np.fmax, ever_rate, i0, i1))


def _pick(angles: pd.DataFrame, side: str, name: str) -> str | None:
    for c in (f"{side}_{name}", name):
        if c in angles.columns:
            return c
    return None
