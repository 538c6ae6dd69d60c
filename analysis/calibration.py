"""Automatic calibration of each sensor: gyroscope bias, sensor-to-segment mounting, neutral pose, checks.

Nothing is asked of the walker. Per sensor (frames and signs from analysis.conventions):

* **still periods**: moving standard deviation of every gyroscope and accelerometer axis below a
  threshold, accelerometer norm near g, for at least ``MIN_STILL_S``.
* **orientation**: the chosen filter, bias-corrected gyroscope, gaps handled by
  :func:`analysis.orientation.segment_orientation` (short gaps bridged for the filter state only).
* **gyroscope bias**: median gyroscope over each still period, interpolated linearly in time between
  periods (bias drifts with temperature), constant before the first and after the last.
* **mounting** ``r_segment_sensor`` (rows: segment x, y, z in sensor coordinates):
  z = mean accelerometer direction in the neutral (quiet standing) period; y = principal axis of the
  gyroscope during walking (the flexion axis, see :func:`flexion_axis`), made orthogonal to z; x = y × z. The sign of y comes from
  gait physics, so a sensor worn upside down or back to front still gives dorsiflexion positive:
  - foot: the foot travels toes first. Between two stance phases the gravity-free acceleration is
    integrated to velocity (zero at both ends); its mean, expressed in the sensor frame at the stance
    before, points forward, and x = y × z must agree with it;
  - shin: its angular velocity about y correlates positively with the same side foot's (both rotate
    toes-up/knee-back in swing); without a foot, the largest rotation of the shank is the swing, which
    is negative about a left-pointing y (bottom of the shank moving forward).
* **neutral pose**: the first period in which every sensor of a side is still, in one posture, for
  ``MIN_NEUTRAL_S`` (quiet standing at the start of the recording, as the protocol asks), or an
  interval given by the user. A warning is given when no walking follows it within
  ``NEUTRAL_BEFORE_WALK_S``.

Checks, reported as :class:`PlacementWarning` naming the placement:

* shin/foot swapped: a foot is flat and still during a large part of every stance; a shank never is.
  The labels are swapped back when the evidence is clear.
* left/right swapped: a shin and a foot on the same side swing at the same time; a shin that moves
  with the other side's foot means the feet (or shins) are exchanged; corrected (needs both feet and a
  shin, or both shins and a foot). Then each leg's side is read from its push-off roll
  (:func:`side_evidence`): the foot inverts in push-off, which turns the opposite way about the forward
  axis on the two sides. When both sides move like the other one, all labels are exchanged left/right;
  when only one side does, it is reported but not corrected.
* upside down: the sensor axis closest to the segment's vertical points down (corrected by the
  mounting, reported so the clinician knows).
* slipping: each walking bout's flexion axis and mean gravity direction, in the sensor frame, are
  compared with the first bout's; a change larger than ``SLIP_DEG`` means the sensor moved on the
  segment. The mounting is re-estimated from the two directions (TRIAD) from that bout on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit

from analysis.errors import UserError

from . import columns as col
from .conventions import GRAVITY_MPS2, PLACEMENTS
from .orientation import (DEFAULT_FILTER, contiguous_segments, filter_blocks, nominal_rate_hz,
                          segment_orientation)
from .orientation.quaternion import to_matrix
from .parallel import in_parallel
from .vectors import row_norms

#: still: moving std of each gyroscope axis (rad/s) and accelerometer axis (m/s²) below these
STILL_GYR_STD_RADPS = 0.04
STILL_ACC_STD_MPS2 = 0.25
STILL_ACC_NORM_TOL_MPS2 = 1.0
STILL_WINDOW_S = 0.5
MIN_STILL_S = 1.0
MIN_NEUTRAL_S = 1.0
#: walking: moving RMS of the gyroscope norm over WALK_WINDOW_S above this, for MIN_WALK_S
WALK_GYR_RMS_RADPS = 0.6
WALK_WINDOW_S = 2.0
MIN_WALK_S = 4.0
#: a still period is split where the posture changes by more than this (deg)
POSE_TOL_DEG = 2.0
#: neutral standing should be followed by walking within this time
NEUTRAL_BEFORE_WALK_S = 15.0
#: foot stance (for the forward direction): lowest-motion sample of each stride below this gyro norm
STANCE_GYR_MAX_RADPS = 3.0
#: fraction of walking a lone sensor is motionless: real feet (ipol_feet) 0.14–0.44, shanks far less
FOOT_STILL_MIN = 0.05
SHIN_STILL_MAX = 0.12
#: a shin belongs to the other side's foot when it correlates with it by this much more (swing envelopes)
PAIRING_MARGIN = 0.2
#: side from the push-off roll (see side_evidence): toes-up rate (rad/s) that marks a swing, push-off
#: window (s), and the evidence needed: strides, fraction agreeing, median roll (deg). On ipol_feet
#: (real feet, foot only) medians are 4-18°; a simulated foot, which does not roll, gives < 0.1°.
SWING_PEAK_RADPS = 2.0
PUSH_OFF_S = 0.2
SIDE_MIN_STRIDES = 8
SIDE_AGREE = 0.75
SIDE_MIN_DEG = 0.5
#: change of a bout's flexion axis or gravity direction (deg) that counts as the sensor slipping
SLIP_DEG = 10.0
#: bouts shorter than this are not used for slip detection (too few strides for a stable axis)
MIN_SLIP_BOUT_S = 8.0
#: the bias of a still period is the median of at most this many of its samples (evenly spread)
BIAS_MEDIAN_SAMPLES = 2000

@dataclass(frozen=True)
class PlacementWarning:
    """Something a clinician must know about one sensor's placement."""

    placement: str
    kind: str  # "swapped_shin_foot", "swapped_left_right", "upside_down", "slipping", "no_still", ...
    message: str
    corrected: bool
    time_s: float | None = None


@dataclass
class MountingEpoch:
    """Sensor-to-segment rotation valid from ``start_s`` (recording time) until the next epoch."""

    start_s: float
    r_segment_sensor: np.ndarray  # (3, 3): v_segment = r_segment_sensor @ v_sensor


@dataclass
class SensorCalibration:
    """Calibration of one sensor, in its own sample order."""

    placement: str
    source: str  # the label the sensor was recorded under (differs when a swap was corrected)
    time_s: np.ndarray
    rate_hz: float
    segments: list[tuple[int, int]]  # contiguous [start, stop) sample ranges between gaps
    blocks: list[tuple[int, int]]  # ranges filtered in one run (short gaps bridged): heading continuous
    still: np.ndarray  # (n,) bool
    walking: np.ndarray  # (n,) bool
    bias_knots_s: np.ndarray  # (k,) times of the still-period bias estimates (empty: no still period)
    bias_knots_radps: np.ndarray  # (k, 3) gyroscope bias at those times
    # (n, 4) sensor-to-world, scalar first (float32 with 'smoothed'), NaN in blocks of one sample
    quaternions: np.ndarray
    mountings: list[MountingEpoch]
    upside_down: bool
    flexion_axis_sign_evidence: str  # how the sign of y was decided

    @property
    def gyr_bias_radps(self) -> np.ndarray:
        """Gyroscope bias (n, 3) rad/s at every sample (linear between the knots, constant outside)."""
        return bias_at(self.time_s, self.bias_knots_s, self.bias_knots_radps)

    def epoch_index(self) -> np.ndarray:
        """Index (n,) of the mounting epoch in force at each sample."""
        starts = np.array([m.start_s for m in self.mountings])
        return np.clip(np.searchsorted(starts, self.time_s, side="right") - 1, 0, None)

    def to_segment(self, v: np.ndarray) -> np.ndarray:
        """Sensor-frame vectors (n, 3) at every sample expressed in the segment frame (epoch by epoch)."""
        starts = np.searchsorted(self.time_s, [m.start_s for m in self.mountings[1:]], side="left")
        edges = np.concatenate([[0], starts, [len(self.time_s)]])
        out = np.empty(np.shape(v))
        for m, a, b in zip(self.mountings, edges[:-1], edges[1:]):
            out[a:b] = _rotate_rows(v[a:b], m.r_segment_sensor)
        return out

    def r_segment_sensor(self) -> np.ndarray:
        """Mounting rotation (n, 3, 3) for every sample (piecewise constant over mounting epochs)."""
        return np.stack([m.r_segment_sensor for m in self.mountings])[self.epoch_index()]

    def segment_matrices(self) -> np.ndarray:
        """Segment-to-world rotation matrices (n, 3, 3), heading arbitrary per sensor."""
        return np.einsum("nij,nkj->nik", to_matrix(self.quaternions), self.r_segment_sensor())


@dataclass
class Calibration:
    """Calibration of a recording: sensors by (corrected) placement, neutral period, warnings."""

    sensors: dict[str, SensorCalibration]
    neutral_s: dict[str, tuple[float, float]]  # per side: [start, end] of the neutral pose
    warnings: list[PlacementWarning] = field(default_factory=list)
    method: str = DEFAULT_FILTER

    def messages(self) -> list[str]:
        """Human-readable warnings, one line each."""
        return [f"{w.placement}: {w.message}" for w in self.warnings]


# ---------------------------------------------------------------------------------------------
# signal helpers


def _rotate_rows(v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Rows of (n, 3) values multiplied by the (3, 3) matrix r: r @ v[i] for every i."""
    return np.einsum("ij,kj->ik", v, r)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


@njit(cache=True, nogil=True)
def _window_stats(values: np.ndarray, starts: np.ndarray, stops: np.ndarray, window: int, min_count: int,
                  std: bool) -> np.ndarray:
    """Centred moving mean or sample std of (n, k) values within each [start, stop) range, NaN where the
    window holds fewer than ``min_count`` samples (the window of sample i is [i - w//2, i - w//2 + w))."""
    n, m = values.shape
    out = np.full((n, m), np.nan)
    before = window // 2
    s1 = np.zeros(m)
    s2 = np.zeros(m)
    ref = np.zeros(m)
    for r in range(starts.shape[0]):
        a, b = starts[r], stops[r]
        for k in range(m):
            ref[k] = values[a, k]  # sums of deviations from one sample keep the variance exact enough
            s1[k] = 0.0
            s2[k] = 0.0
        lo, hi = a, a  # samples [lo, hi) are in the running sums
        for i in range(a, b):
            want_lo, want_hi = max(a, i - before), min(b, i - before + window)
            while hi < want_hi:
                for k in range(m):
                    d = float(values[hi, k]) - ref[k]
                    s1[k] += d
                    s2[k] += d * d
                hi += 1
            while lo < want_lo:
                for k in range(m):
                    d = float(values[lo, k]) - ref[k]
                    s1[k] -= d
                    s2[k] -= d * d
                lo += 1
            c = hi - lo
            if c >= min_count:
                for k in range(m):
                    mean = s1[k] / c
                    if std:
                        out[i, k] = np.sqrt(max(0.0, (s2[k] - s1[k] * mean) / (c - 1)))
                    else:
                        out[i, k] = ref[k] + mean
    return out


def _moving(values: np.ndarray, window: int, segments: list[tuple[int, int]], how: str) -> np.ndarray:
    """Centred moving mean or std of (n, k) values within each contiguous segment (as pandas' centred
    rolling window with ``min_periods = max(2, window // 2)``)."""
    starts = np.array([a for a, _ in segments], dtype=np.int64)
    stops = np.array([b for _, b in segments], dtype=np.int64)
    values = values if values.dtype in (np.float32, np.float64) else values.astype(float)
    return _window_stats(np.ascontiguousarray(values), starts, stops, window,
                         max(2, window // 2), how == "std")


def _column_max(v: np.ndarray) -> np.ndarray:
    """Largest of the 3 columns of each row, NaN if any is NaN (as .max(axis=1), without its slow
    reduction over short rows)."""
    return np.maximum(np.maximum(v[:, 0], v[:, 1]), v[:, 2])


def _drop_short(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = np.zeros_like(mask, dtype=bool)
    for a, b in _runs(mask):
        if b - a >= min_len:
            out[a:b] = True
    return out


def detect_still(acc: np.ndarray, gyr: np.ndarray, rate_hz: float,
                 segments: list[tuple[int, int]]) -> np.ndarray:
    """Samples (n,) in still periods of at least ``MIN_STILL_S`` (bias-insensitive: uses std, not mean)."""
    w = max(3, int(round(STILL_WINDOW_S * rate_hz)))
    gyr_std = _column_max(_moving(gyr, w, segments, "std"))
    acc_std = _column_max(_moving(acc, w, segments, "std"))
    norm_ok = np.abs(row_norms(acc) - GRAVITY_MPS2) < STILL_ACC_NORM_TOL_MPS2
    still = (gyr_std < STILL_GYR_STD_RADPS) & (acc_std < STILL_ACC_STD_MPS2) & norm_ok
    return _drop_short(still, int(MIN_STILL_S * rate_hz))


def detect_walking(gyr: np.ndarray, rate_hz: float, segments: list[tuple[int, int]]) -> np.ndarray:
    """Samples (n,) in sustained rhythmic motion (walking bouts) of at least ``MIN_WALK_S``."""
    w = max(3, int(round(WALK_WINDOW_S * rate_hz)))
    rms = np.sqrt(_moving(np.sum(gyr ** 2, axis=1, keepdims=True), w, segments, "mean")[:, 0])
    return _drop_short(np.nan_to_num(rms) > WALK_GYR_RMS_RADPS, int(MIN_WALK_S * rate_hz))


def bias_knots(time_s: np.ndarray, gyr: np.ndarray, still: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (k,) and gyroscope bias (k, 3) rad/s: the median of each still period (over up to about
    2 × ``BIAS_MEDIAN_SAMPLES`` evenly spread samples), at its middle."""
    runs = _runs(still)
    mids = np.array([time_s[(a + b - 1) // 2] for a, b in runs], dtype=float)
    values = np.array([np.median(gyr[a:b:max(1, (b - a) // BIAS_MEDIAN_SAMPLES)], axis=0) for a, b in runs],
                      dtype=float).reshape(-1, 3)
    return mids, values


def bias_at(time_s: np.ndarray, knots_s: np.ndarray, knots_radps: np.ndarray) -> np.ndarray:
    """Bias (n, 3) at ``time_s``: linear between knots, constant outside; zero without knots."""
    if len(knots_s) == 0:
        return np.zeros((len(time_s), 3))
    return np.column_stack([np.interp(time_s, knots_s, knots_radps[:, k]) for k in range(3)])


def gyro_bias(time_s: np.ndarray, gyr: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Gyroscope bias (n, 3) rad/s: median of each still period, linear in time between periods."""
    return bias_at(time_s, *bias_knots(time_s, gyr, still))


def principal_axis(gyr: np.ndarray) -> np.ndarray:
    """Unit axis (3,) of the largest second moment of angular velocity (sign arbitrary)."""
    _, vecs = np.linalg.eigh(np.einsum("ni,nj->ij", gyr, gyr, dtype=float))
    return vecs[:, -1]


def flexion_axis(gyr: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """Principal axis of the fast (swing) rotations with the rotation about ``vertical`` removed.

    Turning adds rotation about the vertical and slow stance rotations mix in other axes; keeping the
    samples above half the 95th percentile of the rate and removing the vertical part makes the axis
    stable from bout to bout (simulated days: median 0.8°, max 2.9° between bouts, against 3.8° and
    23° for plain PCA).
    """
    rate = row_norms(gyr)
    fast = gyr[rate > 0.5 * np.percentile(rate, 95)]
    v = _unit(vertical)
    return principal_axis(fast - np.outer(np.einsum("ij,j->i", fast, v), v))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def mounting_from_axes(z_sensor: np.ndarray, y_sensor: np.ndarray) -> np.ndarray:
    """Rotation (3, 3) whose rows are segment x, y, z in sensor coordinates (y made orthogonal to z)."""
    z = _unit(z_sensor)
    y = _unit(y_sensor - np.dot(y_sensor, z) * z)
    return np.vstack([np.cross(y, z), y, z])


def _triad(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Rotation S with S @ a1 = b1 exactly and S @ a2 ≈ b2 (TRIAD)."""
    def frame(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        e1 = _unit(u)
        e2 = _unit(np.cross(u, v))
        return np.column_stack([e1, e2, np.cross(e1, e2)])
    return frame(b1, b2) @ frame(a1, a2).T


# ---------------------------------------------------------------------------------------------
# per-sensor steps


@dataclass
class _Sensor:
    """Working data of one sensor during calibration (``gyr`` is bias-corrected)."""

    source: str
    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray
    rate: float
    segments: list[tuple[int, int]]
    still: np.ndarray
    walking: np.ndarray
    bias_s: np.ndarray
    bias_radps: np.ndarray
    quats: np.ndarray | None = None


def _prepare(source: str, df: pd.DataFrame) -> _Sensor:
    missing = [c for c in col.SAMPLE_COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"sensor {source!r}: missing columns {', '.join(missing)}")
    if len(df) < 10:
        raise UserError(f"sensor {source!r}: only {len(df)} samples")
    t = df[col.TIME].to_numpy(float)
    # float32 working copies: a 16-hour sensor is 5.8 M samples; the filter computes in float64
    acc = np.array(df[list(col.ACC)].to_numpy(np.float32), dtype=np.float32)
    gyr = np.array(df[list(col.GYR)].to_numpy(np.float32), dtype=np.float32)
    if not (np.isfinite(t).all() and np.isfinite(acc).all() and np.isfinite(gyr).all()):
        raise UserError(f"sensor {source!r}: samples contain NaN or infinite values")
    try:
        segments = contiguous_segments(t)
        rate = nominal_rate_hz(t)
    except UserError as exc:
        raise UserError(f"sensor {source!r}: {exc}") from exc
    still = detect_still(acc, gyr, rate, segments)
    walking = detect_walking(gyr, rate, segments)
    knots_s, knots = bias_knots(t, gyr, still)
    for k in range(3 if len(knots_s) else 0):  # every later step uses the corrected rates
        gyr[:, k] -= np.interp(t, knots_s, knots[:, k]).astype(np.float32)
    return _Sensor(source, t, acc, gyr, rate, segments, still, walking, knots_s, knots)


def _filter(s: _Sensor, method: str, params: dict) -> np.ndarray:
    return segment_orientation(s.t, s.gyr, s.acc, method, **params)


def _stance_points(s: _Sensor) -> np.ndarray:
    """Index of the least-moving sample of each stride during walking (one per local gyro minimum)."""
    norm = row_norms(s.gyr)
    smooth = pd.Series(norm).rolling(max(3, int(0.05 * s.rate)), center=True, min_periods=1).mean().to_numpy()
    half = int(0.35 * s.rate)  # strides last more than 0.7 s
    from scipy.ndimage import minimum_filter1d
    local_min = (smooth == minimum_filter1d(smooth, 2 * half + 1)) & s.walking & (smooth < STANCE_GYR_MAX_RADPS)
    return np.flatnonzero(local_min)


@njit(cache=True, nogil=True)
def _travel_directions(q: np.ndarray, acc: np.ndarray, stance: np.ndarray, seg_of: np.ndarray,
                       t: np.ndarray, rate: float, gravity: float) -> np.ndarray:
    """Sum over strides (consecutive stance points in one segment, <= 2.5 s apart) of the unit horizontal
    mean velocity between them, in the sensor frame at the first stance (strides slower than 0.2 m/s skip).

    Per stride: gravity-free acceleration in the world, integrated to velocity, with the linear drift that
    makes it zero at both stances removed; its mean is the direction of travel.
    """
    total = np.zeros(3)
    for s in range(stance.shape[0] - 1):
        i0, i1 = stance[s], stance[s + 1]
        if seg_of[i0] != seg_of[i1] or t[i1] - t[i0] > 2.5:
            continue
        v = np.zeros(3)
        v_sum = np.zeros(3)
        for i in range(i0, i1 + 1):
            w, x, y, z = float(q[i, 0]), float(q[i, 1]), float(q[i, 2]), float(q[i, 3])
            ax, ay, az = float(acc[i, 0]), float(acc[i, 1]), float(acc[i, 2])
            tx, ty, tz = 2.0 * (y * az - z * ay), 2.0 * (z * ax - x * az), 2.0 * (x * ay - y * ax)
            v[0] += (ax + w * tx + y * tz - z * ty) / rate
            v[1] += (ay + w * ty + z * tx - x * tz) / rate
            v[2] += (az + w * tz + x * ty - y * tx - gravity) / rate
            v_sum += v
        # mean of v - linspace(0, 1) * v_end, over the stride's samples
        mean = v_sum / (i1 - i0 + 1) - 0.5 * v
        norm = np.sqrt(mean[0] ** 2 + mean[1] ** 2)
        if not norm > 0.2:  # m/s: a real step, not shuffling (NaN orientation skips too)
            continue
        hx, hy = mean[0] / norm, mean[1] / norm
        # into the sensor frame at the first stance: conj(q) h q
        w, x, y, z = float(q[i0, 0]), -float(q[i0, 1]), -float(q[i0, 2]), -float(q[i0, 3])
        tx, ty, tz = 2.0 * (-z * hy), 2.0 * (z * hx), 2.0 * (x * hy - y * hx)
        total[0] += hx + w * tx + y * tz - z * ty
        total[1] += hy + w * ty + z * tx - x * tz
        total[2] += w * tz + x * ty - y * tx
    return total


def _foot_forward(s: _Sensor) -> np.ndarray | None:
    """Mean direction of travel of a foot in its sensor frame (unit, horizontal part), or None."""
    stance = _stance_points(s)
    seg_of = np.zeros(len(s.t), dtype=np.int64)
    for k, (a, b) in enumerate(s.segments):
        seg_of[a:b] = k
    total = _travel_directions(s.quats, s.acc, stance.astype(np.int64),
                               seg_of, s.t, float(s.rate), GRAVITY_MPS2)
    return None if np.linalg.norm(total) == 0 else _unit(total)


def _sign_from_largest_rotation(gyr_y: np.ndarray) -> float:
    """+1 when the largest rotation about the candidate axis is negative (shank swing about left y)."""
    lo, hi = np.percentile(gyr_y, [0.5, 99.5])
    return 1.0 if -lo >= hi else -1.0


# ---------------------------------------------------------------------------------------------
# placement checks


def _walking_still_fraction(s: _Sensor) -> float:
    """Fraction of walking samples in which the segment is nearly motionless (foot flat in stance)."""
    if s.walking.sum() < s.rate:
        return float("nan")
    norm = row_norms(s.gyr[s.walking])
    acc_ok = np.abs(row_norms(s.acc[s.walking]) - GRAVITY_MPS2) < 1.5
    return float(np.mean((norm < 0.5) & acc_ok))


def _swing_envelope(s: _Sensor, grid: np.ndarray) -> np.ndarray:
    """Gyroscope norm smoothed over 0.1 s on a common time grid (NaN outside the sensor's samples)."""
    norm = pd.Series(row_norms(s.gyr)).rolling(
        max(3, int(0.1 * s.rate)), center=True, min_periods=1).mean().to_numpy()
    out = np.interp(grid, s.t, norm, left=np.nan, right=np.nan)
    return out


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 50:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _check_shin_foot_swap(sensors: dict[str, _Sensor], warnings: list[PlacementWarning]) -> dict[str, _Sensor]:
    out = dict(sensors)
    for side in ("left", "right"):
        shin, foot = f"{side}_shin", f"{side}_foot"
        if shin in sensors and foot in sensors:
            f_shin = _walking_still_fraction(sensors[shin])
            f_foot = _walking_still_fraction(sensors[foot])
            if np.isfinite(f_shin) and np.isfinite(f_foot) and f_shin > 2.0 * f_foot + 0.05:
                out[shin], out[foot] = sensors[foot], sensors[shin]
                warnings.append(PlacementWarning(
                    shin, "swapped_shin_foot",
                    f"the sensors labelled {shin} and {foot} are swapped (the one labelled {shin} is still "
                    f"during {100 * f_shin:.0f}% of walking, like a foot flat in stance; the one labelled "
                    f"{foot} {100 * f_foot:.0f}%); analysed with the labels exchanged", True))
        for label in (shin, foot):
            if label in sensors and (shin in sensors) != (foot in sensors):
                frac = _walking_still_fraction(sensors[label])
                wrong = (frac > SHIN_STILL_MAX) if label.endswith("shin") else (frac < FOOT_STILL_MIN)
                if np.isfinite(frac) and wrong:
                    other = "foot" if label.endswith("shin") else "shin"
                    warnings.append(PlacementWarning(
                        label, "swapped_shin_foot",
                        f"moves like a {other} (still during {100 * frac:.0f}% of walking); check where it was "
                        f"worn", False))
    return out


def _check_leg_pairing(sensors: dict[str, _Sensor], warnings: list[PlacementWarning]) -> dict[str, _Sensor]:
    """Shins and feet grouped into legs by when they swing; labels exchanged when a shin swings with the
    other side's foot.

    Needs both feet and at least one shin (feet exchanged), or both shins and one foot (shins exchanged).
    Which pair is the mislabelled one cannot be told from timing alone; :func:`_check_sides` then puts the
    completed legs on the side their motion shows.
    """
    feet = [p for p in ("left_foot", "right_foot") if p in sensors]
    shins = [p for p in ("left_shin", "right_shin") if p in sensors]
    if len(feet) == 2 and shins:
        movers, anchors = ("left_foot", "right_foot"), shins
    elif len(shins) == 2 and feet:
        movers, anchors = ("left_shin", "right_shin"), feet
    else:
        return sensors
    t0 = max(s.t[0] for s in sensors.values())
    t1 = min(s.t[-1] for s in sensors.values())
    if t1 - t0 < 5.0:
        return sensors
    grid = np.arange(t0, t1, 0.01)
    env = {p: _swing_envelope(s, grid) for p, s in sensors.items()}
    same, cross = [], []
    for anchor in anchors:
        side = anchor.split("_")[0]
        own = next(m for m in movers if m.startswith(side))
        other = next(m for m in movers if not m.startswith(side))
        same.append(_correlation(env[anchor], env[own]))
        cross.append(_correlation(env[anchor], env[other]))
    same_r, cross_r = float(np.mean(same)), float(np.mean(cross))
    if np.isfinite(same_r) and np.isfinite(cross_r) and cross_r > same_r + PAIRING_MARGIN:
        out = dict(sensors)
        out[movers[0]], out[movers[1]] = sensors[movers[1]], sensors[movers[0]]
        kind, anchor_kind = movers[0].split("_")[1], anchors[0].split("_")[1]
        for m in movers:
            warnings.append(PlacementWarning(
                m, "swapped_left_right",
                f"the {kind} sensors swing with the other side's {anchor_kind} (correlation {cross_r:.2f} against "
                f"{same_r:.2f} with their own side)", True))
        return out
    return sensors


def _toe_offs(gyr_y: np.ndarray, walking: np.ndarray, rate: float) -> np.ndarray:
    """Toe-off proxies (sample indices) of a foot: the last sample with a toes-down (non-negative)
    rotation about the left-pointing y axis before each swing's toes-up peak."""
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(-gyr_y, height=SWING_PEAK_RADPS, distance=int(0.6 * rate))
    window = int(PUSH_OFF_S * rate)
    out = []
    for peak in peaks:
        if not walking[peak]:
            continue
        k, lim = peak, max(0, peak - int(0.4 * rate))
        while k > lim and gyr_y[k] < 0:
            k -= 1
        if k > lim and k >= window:
            out.append(k)
    return np.array(out, dtype=int)


def side_evidence(foot: SensorCalibration, foot_gyr: np.ndarray, shin: SensorCalibration | None = None,
                  shin_gyr: np.ndarray | None = None) -> tuple[str | None, str]:
    """Which side a foot (with its shin, when given) moves like: 'left', 'right' or None, and why.

    Gait physics: in push-off the foot inverts (supinates; the sole turns medially), relative to the
    ground and to the shank. About the forward x axis of the segment frame (x forward, y left, z up on
    both sides) inversion is a negative rotation on the left foot and a positive one on the right. The
    roll over the ``PUSH_OFF_S`` before each toe-off is taken relative to the shin when there is one.
    ``foot_gyr`` and ``shin_gyr`` are bias-corrected gyroscope samples (n, 3) in the sensor frame.
    A side is returned when at least ``SIDE_MIN_STRIDES`` strides agree in ``SIDE_AGREE`` of cases and
    the median roll is at least ``SIDE_MIN_DEG``.
    """
    roll_rates = foot.to_segment(foot_gyr)
    roll = roll_rates[:, 0]
    if shin is not None and shin_gyr is not None:
        roll = roll - np.interp(foot.time_s, shin.time_s, shin.to_segment(shin_gyr)[:, 0])
    toe_offs = _toe_offs(roll_rates[:, 1], foot.walking, foot.rate_hz)
    w = int(PUSH_OFF_S * foot.rate_hz)
    push = np.array([np.degrees(roll[k - w:k].sum() / foot.rate_hz) for k in toe_offs])
    what = "foot relative to the shin" if shin is not None and shin_gyr is not None else "foot"
    if len(push) < SIDE_MIN_STRIDES:
        return None, f"only {len(push)} push-offs found"
    left_like = float(np.mean(push < 0))
    median = float(np.median(push))
    why = (f"roll of the {what} in push-off: median {median:+.1f}° about the forward axis, "
           f"{100 * max(left_like, 1 - left_like):.0f}% of {len(push)} strides")
    if abs(median) < SIDE_MIN_DEG:
        return None, why
    if left_like >= SIDE_AGREE and median < 0:
        return "left", why
    if left_like <= 1 - SIDE_AGREE and median > 0:
        return "right", why
    return None, why


def _check_sides(result: dict[str, SensorCalibration], gyr: dict[str, np.ndarray],
                 warnings: list[PlacementWarning]) -> tuple[bool, dict[str, tuple[str | None, str]]]:
    """Warn when a side moves like the other side. Returns whether both sides show it (labels to exchange)
    and, per side, the side its motion shows (or None) with the evidence."""
    shown: dict[str, tuple[str | None, str]] = {}
    for side in ("left", "right"):
        foot, shin = result.get(f"{side}_foot"), result.get(f"{side}_shin")
        if foot is None or not foot.walking.any():
            continue
        shown[side] = side_evidence(foot, gyr[foot.placement], shin, gyr[shin.placement] if shin else None)
    wrong = [side for side, (found, _) in shown.items() if found is not None and found != side]
    right = [side for side, (found, _) in shown.items() if found == side]
    exchange = len(wrong) == 2
    for side in wrong:
        labels = " and ".join(p for p in (f"{side}_shin", f"{side}_foot") if p in result)
        if exchange:
            message = f"the sensors labelled {labels} move like the other leg ({shown[side][1]})"
        elif right:
            message = (f"the sensors labelled {labels} move like the other leg ({shown[side][1]}), but the "
                       f"other side's move like their own: check where the sensors were worn")
        else:
            message = (f"the sensors labelled {labels} move like the other leg ({shown[side][1]}): check "
                       f"where they were worn; not corrected, since this pattern varies between people")
        for p in (f"{side}_shin", f"{side}_foot"):
            if p in result:
                warnings.append(PlacementWarning(p, "swapped_left_right", message, exchange))
    return exchange, shown


def _other_side(placement: str) -> str:
    side, segment = placement.split("_")
    return f"{'right' if side == 'left' else 'left'}_{segment}"


# ---------------------------------------------------------------------------------------------
# neutral pose, mounting, slipping


def _neutral_interval(side_sensors: list[_Sensor], given: tuple[float, float] | None,
                      side: str) -> tuple[tuple[float, float], bool]:
    """Neutral period [start, end] in seconds and whether it is followed by walking."""
    if given is not None:
        a, b = given
        for s in side_sensors:
            if ((s.t >= a) & (s.t <= b)).sum() < 2:
                raise UserError(f"neutral interval {a}–{b} s has no samples of sensor {s.source!r}")
        return (float(a), float(b)), True
    # common still time on a grid of the first sensor
    ref = side_sensors[0]
    still = ref.still.copy()
    for s in side_sensors[1:]:
        still &= np.interp(ref.t, s.t, s.still.astype(float), left=0.0, right=0.0) > 0.5
    for a, b in _runs(still):
        directions = []
        for s in side_sensors:  # gravity directions of this still run only, on the reference times
            acc = np.column_stack([np.interp(ref.t[a:b], s.t, s.acc[:, k]) for k in range(3)])
            directions.append(acc / row_norms(acc)[:, None])
        for start, stop in _constant_pose_parts(directions, 0, b - a):
            start, stop = start + a, stop + a
            if ref.t[stop - 1] - ref.t[start] >= MIN_NEUTRAL_S:
                end = ref.t[stop - 1]
                walk_times = np.concatenate([s.t[s.walking] for s in side_sensors])
                soon = bool(np.any((walk_times > end) & (walk_times < end + NEUTRAL_BEFORE_WALK_S)))
                return (float(ref.t[start]), float(end)), soon
    raise UserError(f"{side} side: no quiet standing period found for the neutral pose; mark one "
                    f"(neutral interval) or record a few seconds of standing still")


def _constant_pose_parts(directions: list[np.ndarray], a: int, b: int) -> list[tuple[int, int]]:
    """Split a still run [a, b) where any sensor's gravity direction moves by more than ``POSE_TOL_DEG``
    (a slow change of posture, e.g. sitting down, passes the stillness test)."""
    parts = []
    cos_tol = np.cos(np.radians(POSE_TOL_DEG))
    pos = a
    while pos < b:
        stop, look = b, 256
        while True:  # search ahead in growing chunks: a long still run may hold many postures
            end = min(b, pos + look)
            for d in directions:
                moved = np.flatnonzero(np.einsum("ij,j->i", d[pos:end], d[pos]) < cos_tol)
                if len(moved):
                    stop = min(stop, pos + int(moved[0]))
            if stop < b or end == b:
                break
            look *= 4
        parts.append((pos, stop))
        pos = stop
    return parts




def _bout_features(s: _Sensor) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """(start_s, end_s, flexion axis, mean accelerometer direction) of each long enough walking bout."""
    out = []
    for a, b in _runs(s.walking):
        if s.t[b - 1] - s.t[a] >= MIN_SLIP_BOUT_S:
            gravity = _unit(s.acc[a:b].mean(axis=0))
            out.append((float(s.t[a]), float(s.t[b - 1]), flexion_axis(s.gyr[a:b], gravity), gravity))
    return out


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(np.dot(_unit(u), _unit(v))), 0.0, 1.0))))


def _slip_epochs(placement: str, s: _Sensor, base: np.ndarray,
                 warnings: list[PlacementWarning]) -> list[MountingEpoch]:
    """Mounting epochs: the base mounting, plus a re-estimated one after each detected slip."""
    epochs = [MountingEpoch(float(s.t[0]), base)]
    bouts = _bout_features(s)
    if len(bouts) < 2:
        return epochs
    _, verified_s, ref_axis, ref_grav = bouts[0]
    ref_mount = base
    for start, end, axis, grav in bouts[1:]:
        axis = axis if np.dot(axis, ref_axis) >= 0 else -axis
        d_axis, d_grav = _angle_deg(axis, ref_axis), _angle_deg(grav, ref_grav)
        if max(d_axis, d_grav) <= SLIP_DEG:
            verified_s = end
            continue
        # the rotation of the sensor on the segment that maps the old features onto the new ones
        slip = _triad(ref_grav, ref_axis, grav, axis)
        consistent = abs(_angle_deg(ref_grav, ref_axis) - _angle_deg(grav, axis)) < 5.0
        mount = ref_mount @ slip.T
        if consistent:
            # the old mounting was last confirmed at the end of the previous matching bout
            epochs.append(MountingEpoch(verified_s, mount))
            ref_axis, ref_grav, ref_mount = axis, grav, mount
        warnings.append(PlacementWarning(
            placement, "slipping",
            f"the sensor moved on the segment between {verified_s:.0f} s and {start:.0f} s (its flexion "
            f"axis turned by {d_axis:.0f}° and its mean gravity direction by {d_grav:.0f}°); "
            + (f"the mounting was re-estimated from {verified_s:.0f} s on" if consistent
               else "angles after this time are unreliable: re-attach the sensor firmly"),
            consistent, verified_s))
        verified_s = end
    return epochs


def _upside_down(r_segment_sensor: np.ndarray) -> bool:
    """True when the sensor axis closest to the segment's vertical points down."""
    z_in_sensor = r_segment_sensor[2]
    k = int(np.argmax(np.abs(z_in_sensor)))
    return bool(z_in_sensor[k] < 0)


def calibrate(samples: dict[str, pd.DataFrame], neutral_interval_s: tuple[float, float] | None = None,
              method: str = DEFAULT_FILTER, **filter_params) -> Calibration:
    """Calibrate every sensor of a recording (placement -> samples with analysis.columns columns).

    ``neutral_interval_s`` [start, end] overrides the automatic neutral (quiet standing) period.
    ``method`` and ``filter_params`` select the orientation filter (analysis.orientation.FILTERS).
    """
    return _calibrate(samples, neutral_interval_s, method, filter_params, leg_checks=True)


def _calibrate(samples: dict[str, pd.DataFrame], neutral_interval_s: tuple[float, float] | None, method: str,
               filter_params: dict, leg_checks: bool) -> Calibration:
    unknown = sorted(set(samples) - set(PLACEMENTS))
    if unknown:
        raise UserError(f"unknown placement {', '.join(unknown)}; use {', '.join(PLACEMENTS)}")
    if not samples:
        raise UserError("no sensors to calibrate")
    warnings: list[PlacementWarning] = []
    sensors = dict(zip(samples, in_parallel(lambda item: _prepare(*item), list(samples.items()))))
    for p, s in sensors.items():
        if not s.still.any():
            warnings.append(PlacementWarning(p, "no_still", "no still period found: gyroscope bias not "
                                             "removed (the filter's own bias estimate is relied on)", False))
    sensors = _check_shin_foot_swap(sensors, warnings)
    if leg_checks:
        sensors = _check_leg_pairing(sensors, warnings)
    paired = any(w.kind == "swapped_left_right" for w in warnings)
    for s, q in zip(sensors.values(), in_parallel(lambda s: _filter(s, method, filter_params), list(sensors.values()))):
        s.quats = q

    neutral: dict[str, tuple[float, float]] = {}
    result: dict[str, SensorCalibration] = {}
    for side in ("left", "right"):
        present = [p for p in (f"{side}_shin", f"{side}_foot") if p in sensors]
        if not present:
            continue
        interval, before_walk = _neutral_interval([sensors[p] for p in present], neutral_interval_s, side)
        neutral[side] = interval
        if not before_walk:
            warnings.append(PlacementWarning(present[0], "neutral_not_standing",
                                             f"the neutral pose is the first still period "
                                             f"{interval[0]:.1f}–{interval[1]:.1f} s, which is not followed by "
                                             f"walking: check that it is quiet standing", False, interval[0]))
        no_walk = [p for p in present if sensors[p].walking.sum() < sensors[p].rate]
        if no_walk:
            for p in present:
                warnings.append(PlacementWarning(p, "no_walking", "no walking found, so the medio-lateral axis "
                                                 f"cannot be found: no angles for the {side} side", False))
            continue
        zs, axes = {}, {}
        for p in present:
            s = sensors[p]
            in_neutral = (s.t >= interval[0]) & (s.t <= interval[1])
            zs[p] = _unit(s.acc[in_neutral].mean(axis=0))
            # vertical removal uses the walking-mean gravity: the shank leans on average while walking
            axes[p] = flexion_axis(s.gyr[s.walking], s.acc[s.walking].mean(axis=0))
        signs: dict[str, tuple[float, str]] = {}
        foot = f"{side}_foot"
        if foot in present:
            s = sensors[foot]
            x_candidate = np.cross(axes[foot], zs[foot])
            forward = _foot_forward(s)
            if forward is None:
                signs[foot] = (1.0, "undetermined (no strides)")
                warnings.append(PlacementWarning(foot, "axis_sign", "no strides found to tell forward from "
                                                 "backward: dorsiflexion sign not verified", False))
            else:
                signs[foot] = (1.0 if np.dot(x_candidate, forward) >= 0 else -1.0, "foot travels toes first")
        shin = f"{side}_shin"
        if shin in present:
            s = sensors[shin]
            w_shin = np.einsum("ij,j->i", s.gyr, axes[shin])
            if foot in present:
                f = sensors[foot]
                w_foot = np.interp(s.t, f.t, np.einsum("ij,j->i", f.gyr, signs[foot][0] * axes[foot]))
                both = s.walking & (np.interp(s.t, f.t, f.walking.astype(float)) > 0.5)
                r = _correlation(w_shin[both], w_foot[both])
                if np.isfinite(r) and abs(r) > 0.2:
                    signs[shin] = (1.0 if r > 0 else -1.0, f"rotates with the {side} foot (r={abs(r):.2f})")
            if shin not in signs:
                signs[shin] = (_sign_from_largest_rotation(w_shin[s.walking]), "largest rotation is the swing")
        for p in present:
            s = sensors[p]
            base = mounting_from_axes(zs[p], signs[p][0] * axes[p])
            up = _upside_down(base)
            if up:
                warnings.append(PlacementWarning(p, "upside_down", "the sensor is worn upside down (its most "
                                                 "vertical axis points down); corrected by the automatic "
                                                 "mounting", True))
            epochs = _slip_epochs(p, s, base, warnings)
            result[p] = SensorCalibration(p, s.source, s.t, s.rate, s.segments,
                                          filter_blocks(s.t, s.segments), s.still, s.walking, s.bias_s,
                                          s.bias_radps, s.quats, epochs, up, signs[p][1])
    if not leg_checks:
        return Calibration(result, neutral, warnings, method)
    exchange, shown = _check_sides(result, {p: sensors[p].gyr for p in result}, warnings)
    lone = [p for p in samples if sum(q.split("_")[1] == p.split("_")[1] for q in samples) == 1]
    if paired and len(samples) == 3 and not exchange:
        # three sensors and a shin swinging with the other side's foot (or a foot with the other side's
        # shin): either the pair of two is exchanged (corrected above) or the lone sensor is on the other
        # side. The leg it forms decides: if that leg moves like the other side, the lone sensor is moved.
        side = lone[0].split("_")[0]
        found, why = shown.get(side, (None, ""))
        if found is not None and found != side:
            moved = _other_side(lone[0])
            relabelled = {p: df for p, df in samples.items() if p != lone[0]}
            relabelled[moved] = samples[lone[0]]
            cal = _calibrate(relabelled, neutral_interval_s, method, filter_params, leg_checks=False)
            cal.sensors[moved] = dataclasses.replace(cal.sensors[moved], source=lone[0])
            partner = "foot" if lone[0].endswith("shin") else "shin"
            cal.warnings.append(PlacementWarning(
                moved, "swapped_left_right",
                f"the sensor recorded as {lone[0]} was worn on the {moved.replace('_', ' ')}: it swings with the "
                f"{found} {partner}, and that leg moves like a {found} leg ({why}); analysed as {moved}", True))
            return cal
    if exchange:
        result = {_other_side(p): dataclasses.replace(c, placement=_other_side(p)) for p, c in result.items()}
        neutral = {("right" if side == "left" else "left"): v for side, v in neutral.items()}
        warnings = [w if w.kind == "swapped_left_right" else dataclasses.replace(w, placement=_other_side(w.placement))
                    for w in warnings]
    return Calibration(result, neutral, _net_relabelling(result, warnings), method)


def _net_relabelling(result: dict[str, SensorCalibration], warnings: list[PlacementWarning]) -> list[PlacementWarning]:
    """One warning per relabelled sensor, recorded label to analysed placement, with the evidence of every
    left/right correction (the pairing and side checks can each exchange labels; only the net change matters)."""
    corrected = [w for w in warnings if w.kind == "swapped_left_right" and w.corrected]
    if not corrected:
        return warnings
    evidence = "; ".join(dict.fromkeys(w.message for w in corrected))
    kept = [w for w in warnings if w not in corrected]
    for p, c in result.items():
        if c.source != p and c.source.split("_")[1] == p.split("_")[1]:
            kept.append(PlacementWarning(p, "swapped_left_right", f"the sensor recorded as {c.source} was worn on "
                                         f"the {p.replace('_', ' ')}; analysed as {p}. Evidence: {evidence}", True))
    return kept
