"""Gait events from one foot (or shin) sensor: toe-off, initial contact and mid-stance, any mounting.

The sagittal (pitch) axis is found without the calibration module: it is the first principal axis
of the gyroscope while the segment moves (the foot and the shin rotate mostly about their
medio-lateral axis when walking). The calibration's flexion axis (analysis.calibration.axes:
fast swing samples only, rotation about the vertical removed) is stable from bout to bout, which
slip detection needs, but it is not the best axis for finding swings: used here, it lowered the
ipol_feet footstep precision / recall from 0.983 / 0.986 to 0.977 / 0.978 (same on the simulator). Its sign is fixed physically for the foot: with a candidate axis
``m`` and the sensor's up axis ``u`` at rest, ``m × u`` points forward if ``m`` points left, so the
sign is the one that makes the zero-velocity-aided displacements of the strides point forward. The
signal used is then ``toes_up`` = angular velocity about the right-pointing axis (rad/s, toes going
up positive, in the ``foot_pitch_deg`` sense of analysis.conventions).

Events per swing (rules, ``fs`` in Hz; thresholds in rad/s):

* mid-swing: peaks of ``toes_up`` above ``swing_min_radps``; peaks not separated by a stance (a
  sample whose 90 ms motion energy is below ``stance_energy_max``) belong to one swing and the
  highest is kept.
* toe-off: the push-off is the minimum of ``toes_up`` in the ``search_s`` before mid-swing, followed
  further back while it keeps falling (at most ``push_off_search_s`` before mid-swing, never before
  the previous landing slap: a fixed window cut slow push-offs, simulated 2.3 s strides had toe-off
  83 ms late); toe-off is where ``toes_up`` climbs back through ``to_fraction`` of that minimum
  (interpolated).
* initial contact: after mid-swing ``toes_up`` turns negative, then the foot slaps down; initial
  contact is where ``toes_up`` falls through ``ic_fraction`` of the slap minimum (interpolated). With
  the default 0 it is the zero crossing itself: late swing's toes-up rotation stops as the heel
  touches (the design's first touch), 20-30 ms before the impact (see ``SwingEventDetector``).
* shin sensor: contact is moved to the impact (``contact_at_impact``), as the shin's rate minimum
  comes with the foot's slap, well after the touch.
* mid-stance: the sample of least motion energy between initial contact and the next toe-off.

The rules' parameters are those of ``SwingEventDetector`` (defaults and their sources there).
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d, uniform_filter1d
from scipy.signal import find_peaks

from analysis.algorithm import Algorithm
from analysis.conventions import GRAVITY_MPS2
from analysis.orientation.quaternion import rotate
from analysis.vectors import principal_axis, row_norms

#: events table of one sensor: one row per swing (toe-off -> initial contact)
EVENT_COLUMNS = ("toe_off_s", "mid_swing_s", "initial_contact_s", "to_idx", "ms_idx", "ic_idx")


def motion_energy(acc: np.ndarray, gyr: np.ndarray, fs: float) -> np.ndarray:
    """Motion energy (n,): gyro norm (rad/s) + 0.3 s/m × |acc norm − g| (m/s²), 90 ms moving mean."""
    e = row_norms(gyr) + 0.3 * np.abs(row_norms(acc) - GRAVITY_MPS2)
    return uniform_filter1d(e, max(1, int(round(0.09 * fs))), mode="nearest")


def principal_rotation_axis(gyr: np.ndarray, min_rate_radps: float = 1.0) -> np.ndarray:
    """Unit axis (3,) in the sensor frame of the largest angular-velocity variance while moving."""
    moving = row_norms(gyr) > min_rate_radps
    if moving.sum() < 10:
        return np.array([0.0, 1.0, 0.0])
    return principal_axis(gyr[moving])


def foot_axis_sign(axis: np.ndarray, acc: np.ndarray, quat: np.ndarray, pos: np.ndarray,
                   segments: np.ndarray, min_step_m: float = 0.3, max_step_m: float = 2.5) -> float:
    """+1 if ``axis`` points to the foot's left, −1 if right, from stride displacements (see module doc).

    Displacements (m) between ``min_step_m`` and ``max_step_m`` count, or all above ``min_step_m`` if
    none is in range: one longer than any stride spans stances the first pass missed, and its direction
    is drift (ipol 4-1, left foot: two such segments of 7.6 and 11 m decided the sign, by ±0.2 m).
    """
    if len(segments) == 0:
        return 1.0
    s, e = segments[:, 0], segments[:, 1]
    d = pos[e] - pos[s]
    d[:, 2] = 0.0
    step = np.linalg.norm(d, axis=1)
    ok = (step > min_step_m) & (step < max_step_m)
    if not ok.any():
        ok = step > min_step_m
    if not ok.any():
        return 1.0
    u = acc[s[ok]] / np.linalg.norm(acc[s[ok]], axis=1)[:, None]
    fwd = np.cross(axis, u)
    fwd_w = rotate(quat[s[ok]], fwd)
    return 1.0 if np.sum(np.einsum("ij,ij->i", d[ok], fwd_w)) >= 0 else -1.0


def skew_sign(w: np.ndarray, min_rate_radps: float = 1.0) -> float:
    """Sign that makes the largest excursions of ``w`` positive (used for the shin's swing peak)."""
    x = w[np.abs(w) > min_rate_radps]
    if len(x) < 10:
        return 1.0
    return 1.0 if np.percentile(x, 99) >= -np.percentile(x, 1) else -1.0


def impact_pulse(acc: np.ndarray, fs: float, width_s: float = 0.05) -> np.ndarray:
    """Heel-strike transient size at each sample (n,), m/s³: the rise of |acc| into sample k, capped by
    the fastest fall of |acc| within ``width_s`` after it (0 where |acc| does not rise).

    A heel pad stops the leg within 20-30 ms: |acc| rises and falls back, a short pulse. A push-off
    also makes |acc| rise fast but it does not fall back as fast (simulator: rise 1040-1140 m/s³ at
    toe-off, against 910-970 at the impact; fall after it 600-690 against 900-1010).
    """
    norm = np.linalg.norm(acc, axis=1)
    d = np.diff(norm, prepend=norm[:1]) * fs
    h = max(1, int(round(width_s * fs)))
    # fastest fall over the h samples after k: a moving max of -d over [k + 1, k + h]
    fall = maximum_filter1d(-d, size=h, origin=-(h // 2), mode="nearest")
    fall = np.concatenate([fall[1:], [0.0]])
    return np.clip(np.minimum(d, fall), 0.0, None)


def shin_swing_sign(w: np.ndarray, acc: np.ndarray, fs: float, *, min_peak_radps: float = 1.5,
                    after_s: float = 0.3) -> float:
    """Sign that makes the shin's mid-swing peaks of ``w`` positive: the excursion followed by heel strike.

    Mid-swing is followed within ``after_s`` by initial contact, whose impact is the largest pulse of
    the acc norm (``impact_pulse``); the push-off excursion is followed by toe-off and the swing, whose
    |acc| rises without falling back as fast. Peaks of each sign (``min_peak_radps``, ≥ 0.6 s apart) are
    scored by the median of that largest pulse after them. The largest |d|acc|/dt| alone worked while
    the simulated foot landed already rotating (heel-strike jerk 1685 against push-off 1094 m/s³ on
    seed 2); once it lands with zero pitch rate, the push-off's rise is the larger (941 against 1094).
    The extremes' size (``skew_sign``) nearly ties on short walks (seed 2: swing 4.30 vs push-off
    −4.20 rad/s) and is the fallback with < 5 peaks.
    """
    pulse = impact_pulse(acc, fs)
    h = max(1, int(round(after_s * fs)))
    # moving max of the pulse over the ``h`` samples starting at each index
    ahead = maximum_filter1d(pulse, size=h, origin=-(h // 2), mode="nearest")
    score = []
    for s in (1.0, -1.0):
        pk, _ = find_peaks(s * w, height=min_peak_radps, distance=max(1, int(0.6 * fs)))
        if len(pk) < 5:
            return skew_sign(w)
        score.append(np.median(ahead[pk]))
    return 1.0 if score[0] >= score[1] else -1.0


def contact_at_impact(swings: pd.DataFrame, time_s: np.ndarray, acc: np.ndarray, fs: float,
                      search_s: float = 0.1) -> pd.DataFrame:
    """Swings with each initial contact moved to the heel-strike impact: the steepest rise of |acc|
    (between two samples, time of the later one minus half a period) in the ``search_s`` before the
    detected contact (the shin's rate minimum, the slap), never before mid-swing.

    The shin's rate minimum comes with the foot's slap, 54-69 ms after the first touch on the
    simulator; the impact's rise is at the touch (−5…+6 ms, 20 and 30 ms impacts). ``search_s``
    (0.1 s) is an engineering choice: longer than that lag, shorter than terminal swing.
    """
    if len(swings) == 0:
        return swings
    norm = np.linalg.norm(acc, axis=1)
    rise = np.diff(norm, prepend=norm[:1])
    back = max(1, int(round(search_s * fs)))
    out = swings.copy()
    ic = out["ic_idx"].to_numpy().copy()
    for i, (ms, k) in enumerate(zip(out["ms_idx"].to_numpy(), ic)):  # one iteration per swing
        a = max(k - back, ms + 1)
        if k > a:
            ic[i] = a + int(np.argmax(rise[a:k + 1]))
    out["ic_idx"] = ic
    out["initial_contact_s"] = np.asarray(time_s, float)[ic] - 0.5 / fs
    return out


@numba.njit(cache=True)
def _interp_cross(t, w, k, level):
    """Time where w crosses ``level`` between samples k-1 and k (linear)."""
    d = w[k] - w[k - 1]
    if d == 0.0:
        return t[k]
    f = (level - w[k - 1]) / d
    return t[k - 1] + min(max(f, 0.0), 1.0) * (t[k] - t[k - 1])


@numba.njit(cache=True)
def _swing_events(t, w, peaks, lo, hi, search, push_search, to_frac, ic_frac, slap_win):
    """Toe-off and initial-contact times and indices for each mid-swing peak (numba, per swing).

    ``lo[i]``/``hi[i]`` bound the search before/after peak i (previous/next peak); the push-off search
    also starts after the previous swing's slap minimum. NaN when a rule finds no feature.
    """
    n = len(peaks)
    to_t = np.full(n, np.nan)
    ic_t = np.full(n, np.nan)
    to_i = np.full(n, -1, np.int64)
    ic_i = np.full(n, -1, np.int64)
    prev_slap = -1
    for i in range(n):
        p = peaks[i]
        bound = max(lo[i], p - push_search, prev_slap + 1)
        a = max(bound, p - search)
        j = a
        for k in range(a, p):
            if w[k] < w[j]:
                j = k
        while j > bound and w[j - 1] < w[j]:  # the window cut a slow push-off: follow it downhill
            j -= 1
        if w[j] < 0.0:
            level = to_frac * w[j]
            for k in range(j + 1, p + 1):
                if w[k] >= level:
                    to_t[i] = _interp_cross(t, w, k, level)
                    to_i[i] = k
                    break
        b = min(hi[i], p + search)
        z = -1
        for k in range(p + 1, b):
            if w[k] < 0.0:
                z = k
                break
        if z < 0:
            continue
        m = z
        for k in range(z, min(z + slap_win, b)):
            if w[k] < w[m]:
                m = k
        prev_slap = m
        level = ic_frac * w[m]
        for k in range(z, m + 1):
            if w[k] <= level:
                ic_t[i] = _interp_cross(t, w, k, level)
                ic_i[i] = k
                break
    return to_t, to_i, ic_t, ic_i


def swing_peaks(w: np.ndarray, energy: np.ndarray, fs: float, *, swing_min_radps: float,
                stance_energy_max: float, smooth_s: float = 0.05, min_peak_distance_s: float = 0.15) -> np.ndarray:
    """Indices of mid-swing peaks of the sagittal rate ``w`` (one per swing, see module doc); ``w`` is
    smoothed by a ``smooth_s`` moving mean and candidate peaks are ``min_peak_distance_s`` apart."""
    ws = uniform_filter1d(w, max(1, int(round(smooth_s * fs))), mode="nearest")
    cand, _ = find_peaks(ws, height=swing_min_radps, distance=max(1, int(min_peak_distance_s * fs)))
    if len(cand) == 0:
        return cand
    stance_count = np.cumsum(energy < stance_energy_max)
    group = stance_count[cand]
    # highest candidate of each group of peaks that no stance separates
    order = np.lexsort((-ws[cand], group))
    first = np.ones(len(order), bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return np.sort(cand[order][first])


class SwingEventDetector(Algorithm):
    """Toe-off, mid-swing and initial contact of each swing from a sagittal rate (rules: module docstring).

    Parameters (defaults for a foot sensor; ``SwingEventDetector.shin()`` gives the shin's):

    ``swing_min_radps`` (rad/s, 0.8): a mid-swing peak of the toes-up rate is at least this high.
    ``stance_energy_max`` (motion energy units, 1.5): a stance separates two peaks where the motion
    energy falls below this. Both engineering choices, checked on ipol_feet (left foot of 9 trials,
    one per subject 2-10): detected mid-swing peaks have a median of 5-8 rad/s and a 1st percentile of
    1.2-5.9 rad/s; the motion energy of zero-velocity samples stays below 0.92 (99th percentile) and
    at mid-swing above 1.67 (1st percentile).
    ``search_s`` (s, 0.45): the push-off minimum and the landing slap are searched this far before and
    after mid-swing (engineering choice: longer than half of any swing on ipol_feet, whose longest
    swing in those trials lasts 0.69 s). ``push_off_search_s`` (s, 1.0): a slow push-off is followed
    back at most this far before mid-swing (simulated 2.3 s strides had toe-off 83 ms late with a fixed
    0.45 s window). ``max_swing_s`` (s, 1.2): a swing joined from several mid-swing peaks lasts at most
    this long, toe-off to contact (engineering choice: the slow first step from standing on ipol_feet).
    ``to_fraction`` (0.75) and ``ic_fraction`` (0.0): toe-off and contact are where the rate crosses
    these fractions of the push-off and slap minima. ``to_fraction`` was tuned on ipol_feet subjects
    1-10 (closest to its hand-checked toe-offs, benchmarks/bench_gait_ipol.py). ``ic_fraction`` 0 is the
    design's first touch (the zero crossing): a foot-IMU + motion-capture recording put 0.4 of the slap
    minimum 25 ms after the touch, and a simulator with a 30 ms heel impact 22 ms; ipol_feet's heel
    strikes sit at the impact, so on them this contact reads a median 24-31 ms early by definition
    (docs/ipol_validation.md).
    ``slap_window_s`` (s, 0.15): the slap minimum is searched this long after the rate turns negative.
    ``smooth_s`` (s, 0.05) and ``min_peak_distance_s`` (s, 0.15): smoothing of the rate and spacing
    of candidate peaks. All three are engineering choices, short against a swing (0.35-0.7 s on
    ipol_feet) so that they never join two swings.

    Action: ``detect(time_s, w, energy, fs)``; result ``swings_`` (EVENT_COLUMNS, one row per swing that
    has both a toe-off and a contact).
    """

    def __init__(self, swing_min_radps: float = 0.8, stance_energy_max: float = 1.5, search_s: float = 0.45,
                 push_off_search_s: float = 1.0, max_swing_s: float = 1.2, to_fraction: float = 0.75,
                 ic_fraction: float = 0.0, slap_window_s: float = 0.15, smooth_s: float = 0.05,
                 min_peak_distance_s: float = 0.15) -> None:
        self.swing_min_radps = swing_min_radps
        self.stance_energy_max = stance_energy_max
        self.search_s = search_s
        self.push_off_search_s = push_off_search_s
        self.max_swing_s = max_swing_s
        self.to_fraction = to_fraction
        self.ic_fraction = ic_fraction
        self.slap_window_s = slap_window_s
        self.smooth_s = smooth_s
        self.min_peak_distance_s = min_peak_distance_s

    @classmethod
    def shin(cls) -> SwingEventDetector:
        """Defaults for a shin sensor: its swing peak is higher (1.5 rad/s) and its stance moves more (2.5);
        toe-off and contact are the rate minima themselves (fractions 1.0; analysis.strides then moves
        the contact to the impact, ``contact_at_impact``). Engineering choices checked on the simulator
        (benchmarks/bench_shin_only.py)."""
        return cls(swing_min_radps=1.5, stance_energy_max=2.5, to_fraction=1.0, ic_fraction=1.0)

    def detect(self, time_s: np.ndarray, w: np.ndarray, energy: np.ndarray, fs: float) -> SwingEventDetector:
        """Swings (toe-off → initial contact) from the sagittal rate ``w`` (rad/s, toes-up or swing-forward
        +), the motion energy (``motion_energy``) and the rate ``fs`` (Hz). Swings where a rule found no
        toe-off or no contact are dropped (they are not strides). Returns self."""
        peaks = swing_peaks(w, energy, fs, swing_min_radps=self.swing_min_radps,
                            stance_energy_max=self.stance_energy_max, smooth_s=self.smooth_s,
                            min_peak_distance_s=self.min_peak_distance_s)
        if len(peaks) == 0:
            self.swings_ = pd.DataFrame({c: np.zeros(0, float if c.endswith("_s") else np.int64)
                                         for c in EVENT_COLUMNS})
            return self
        lo = np.concatenate([[0], peaks[:-1]])
        hi = np.concatenate([peaks[1:], [len(w)]])
        peaks = peaks.astype(np.int64)  # a copy: _join_split_swings edits it
        to_t, to_i, ic_t, ic_i = _swing_events(np.asarray(time_s, float), np.ascontiguousarray(w, float),
                                               peaks, lo.astype(np.int64), hi.astype(np.int64),
                                               int(round(self.search_s * fs)),
                                               int(round(self.push_off_search_s * fs)), self.to_fraction,
                                               self.ic_fraction, int(round(self.slap_window_s * fs)))
        _join_split_swings(w, peaks, to_t, to_i, ic_t, ic_i, int(round(self.max_swing_s * fs)))
        ok = (to_i >= 0) & (ic_i >= 0)
        self.swings_ = pd.DataFrame({"toe_off_s": to_t[ok], "mid_swing_s": time_s[peaks[ok]],
                                     "initial_contact_s": ic_t[ok], "to_idx": to_i[ok], "ms_idx": peaks[ok],
                                     "ic_idx": ic_i[ok]})
        return self


def _join_split_swings(w: np.ndarray, peaks: np.ndarray, to_t: np.ndarray, to_i: np.ndarray,
                       ic_t: np.ndarray, ic_i: np.ndarray, max_len: int) -> None:
    """Join, in place, a swing split into several mid-swing peaks by a moment of low motion energy.

    A peak with a toe-off but no contact, followed by peaks with neither and then one with a contact
    but no toe-off, is one swing (the slow first step from standing, on ipol_feet 7 of the 33 missed
    footsteps): the first peak gets the last one's contact, and the higher peak becomes mid-swing.
    """
    i, n = 0, len(peaks)
    while i < n:  # one pass over the peaks
        if to_i[i] >= 0 and ic_i[i] < 0:
            k = i + 1
            while k < n and to_i[k] < 0 and ic_i[k] < 0:
                k += 1
            if k < n and to_i[k] < 0 and ic_i[k] >= 0 and ic_i[k] - to_i[i] <= max_len:
                best = i + int(np.argmax(w[peaks[i:k + 1]]))
                ic_t[i], ic_i[i] = ic_t[k], ic_i[k]
                peaks[i] = peaks[best]
                ic_t[i + 1:k + 1] = np.nan
                ic_i[i + 1:k + 1] = -1
                i = k
        i += 1


def mid_stance(energy: np.ndarray, ic_idx: np.ndarray, next_to_idx: np.ndarray) -> np.ndarray:
    """Index of least motion energy in each [ic, next_to) interval (ic itself when empty)."""
    out = ic_idx.copy()
    for i, (a, b) in enumerate(zip(ic_idx, next_to_idx)):  # one iteration per stride, not per sample
        if b > a:
            out[i] = a + int(np.argmin(energy[a:b]))
    return out
