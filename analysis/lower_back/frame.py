"""The lower-back sensor's mounting, orientation, pelvis angles and heading-frame acceleration.

Input: one placement's samples (analysis.columns: time_s, acc_*_mps2, gyr_*_radps; sensor frame, any
mounting). Steps: gyroscope bias from rest periods (analysis.calibration.bias); sensor-to-world
orientation (analysis.orientation's 'smoothed' filter, tau_acc_s); walking = the world-vertical acceleration's
moving standard deviation above a threshold; quiet standing = rest samples just before or after
walking (not sitting: a sit-to-stand ramp separates sitting from walking); mounting from gravity in
standing (z) and the walking direction (x); pelvis angles as in analysis.lower_back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter1d
from scipy.spatial.transform import Rotation

from analysis.algorithm import Algorithm
from analysis.calibration.bias import gyro_bias
from analysis.columns import ACC, GYR, TIME
from analysis.conventions import GRAVITY_MPS2
from analysis.errors import UserError
from analysis.orientation import quaternion as quat
from analysis.orientation.segments import contiguous_segments, nominal_rate_hz, segment_orientation
from analysis.stillness import rest_periods
from analysis.windows import runs


class LowerBackFrame(Algorithm):
    """Mounting, orientation and pelvis angles of a lower-back sensor.

    Parameters
    ----------
    walking_std_mps2
        Walking where the moving standard deviation of the world-vertical acceleration over
        ``window_s`` exceeds this. Engineering choice: lumbar vertical acceleration has an SD of about
        1.5-2.5 m/s² in comfortable walking and below 0.3 m/s² standing or sitting; 0.6 keeps slow
        walking (the Mobilise-D example data's slowest walkers: 0.9-1.2 m/s²).
    window_s
        Window of that standard deviation (s): about two steps.
    min_walk_s
        Shorter walking runs are dropped (s); three to four steps.
    merge_gap_s
        Walking runs this close (s) are one: a slow or hesitant step dips below the threshold for a
        moment (engineering choice: one step's time).
    standing_search_s
        Quiet standing is searched within this time (s) before each walking start and after each end.
    start_speed_s
        The forward sign: the horizontal velocity gained over this time (s) from each walking start.
    tau_acc_s
        Time constant (s) of the orientation filter's accelerometer low-pass ('smoothed', as VQF's
        tauAcc). The pelvis gains or loses about 1.3 m/s within a second at every walking start and
        stop, which a low-pass of tau seconds mistakes for a tilt of about dv / (g tau): measured on the
        simulator (3-min walks, seed 2), the stride-mean tilt's error at bout ends is 1.2° with the
        ankle's 3 s and 0.4° with 10 s (0.24° with 20 s) (the gyroscope bias comes from rest periods, so the longer
        time constant costs little drift).
    """

    def __init__(self, walking_std_mps2: float = 0.6, window_s: float = 1.0, min_walk_s: float = 2.0,
                 merge_gap_s: float = 1.0,
                 standing_search_s: float = 5.0, start_speed_s: float = 2.0, tau_acc_s: float = 10.0):
        self.walking_std_mps2 = walking_std_mps2
        self.window_s = window_s
        self.min_walk_s = min_walk_s
        self.merge_gap_s = merge_gap_s
        self.standing_search_s = standing_search_s
        self.start_speed_s = start_speed_s
        self.tau_acc_s = tau_acc_s

    def align(self, samples: pd.DataFrame, walking: np.ndarray | None = None,
              placement: str = "lower_back") -> "LowerBackFrame":
        """Compute the results from one sensor's samples; ``walking`` (k, 2) [start_s, end_s] replaces
        the sensor's own walking detection (e.g. the leg sensors' walking bouts); ``placement`` names
        the sensor in errors.

        Results: ``time_s_`` (n,); ``sensor_to_world_`` and ``pelvis_to_world_`` (n, 4) quaternions;
        ``r_segment_sensor_`` (3, 3); ``walking_`` and ``standing_`` (k, 2) [start_s, end_s];
        ``neutral_`` 'standing' or 'walking_mean' (no quiet standing found: angles are then relative to
        the mean walking posture); ``angles_deg_`` (n, 3) tilt, obliquity, yaw; ``acc_heading_mps2_``
        (n, 3) the acceleration without gravity in the pelvis heading frame (forward, left, up).
        """
        missing = [c for c in (TIME, *ACC, *GYR) if c not in samples]
        if missing:
            raise UserError(f"{placement}: samples lack column(s) {', '.join(missing)}")
        if len(samples) < 10:
            raise UserError(f"{placement}: {len(samples)} samples are too few for the lower-back analysis")
        t = samples[TIME].to_numpy(float)
        acc = samples[list(ACC)].to_numpy(float)
        gyr = samples[list(GYR)].to_numpy(float)
        fs = nominal_rate_hz(t)
        segments = contiguous_segments(t)
        rest = rest_periods(acc, gyr, fs, segments)
        gyr = gyr - gyro_bias(t, gyr, rest)
        q_sensor = np.asarray(segment_orientation(t, gyr, acc, "smoothed", tauAcc=self.tau_acc_s), float)
        ok = np.isfinite(q_sensor).all(axis=1)
        q_sensor[~ok] = [1.0, 0.0, 0.0, 0.0]
        a_world = quat.rotate(q_sensor, acc)
        # gravity as this accelerometer reads it at rest: a scale or offset error of a few percent would
        # otherwise shift the whole vertical acceleration (mobgap's HA 002 reads 9.56 m/s²)
        a_world[:, 2] -= float(np.median(np.linalg.norm(acc[rest], axis=1))) if rest.any() else GRAVITY_MPS2
        walking = (self._walking(t, a_world[:, 2], fs) if walking is None
                   else np.asarray(walking, float).reshape(-1, 2))
        standing = self._standing(t, rest, walking)
        up = self._up(acc, t, standing, walking)
        forward = self._forward(acc, up, t, walking, q_sensor, a_world, fs, placement)
        left = np.cross(up, forward)
        r_seg_sensor = np.vstack([forward, left, up])
        q_mount = quat.from_matrix(r_seg_sensor.T[None])[0]  # pelvis -> sensor
        q_pelvis = quat.multiply(q_sensor, q_mount)
        q_pelvis[~ok] = np.nan
        yaw, pitch, roll = Rotation.from_quat(np.where(ok[:, None], q_pelvis, [1, 0, 0, 0])[:, [1, 2, 3, 0]]
                                              ).as_euler("ZYX", degrees=True).T
        angles = np.column_stack([pitch, roll, np.degrees(np.unwrap(np.radians(yaw)))])
        angles[~ok] = np.nan
        c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
        heading = np.column_stack([c * a_world[:, 0] + s * a_world[:, 1], -s * a_world[:, 0] + c * a_world[:, 1],
                                   a_world[:, 2]])
        heading[~ok] = np.nan
        self.time_s_ = t
        self.sampling_rate_hz_ = fs
        self.sensor_to_world_ = q_sensor
        self.pelvis_to_world_ = q_pelvis
        self.r_segment_sensor_ = r_seg_sensor
        self.walking_ = walking
        self.standing_ = standing
        self.neutral_ = "standing" if len(standing) else "walking_mean"
        self.angles_deg_ = angles
        self.acc_heading_mps2_ = heading
        return self

    def _walking(self, t: np.ndarray, a_vert: np.ndarray, fs: float) -> np.ndarray:
        w = max(3, int(round(self.window_s * fs)))
        mean = uniform_filter1d(a_vert, w, mode="nearest")
        sd = np.sqrt(np.maximum(uniform_filter1d(a_vert**2, w, mode="nearest") - mean**2, 0.0))
        merged: list[list[int]] = []
        for a, b in runs(sd > self.walking_std_mps2):
            if merged and t[a] - t[merged[-1][1] - 1] <= self.merge_gap_s:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        periods = [(a, b) for a, b in merged if t[b - 1] - t[a] >= self.min_walk_s]
        return np.array([(t[a], t[b - 1]) for a, b in periods], float).reshape(-1, 2)

    def _standing(self, t: np.ndarray, rest: np.ndarray, walking: np.ndarray) -> np.ndarray:
        before = np.column_stack([walking[:, 0] - self.standing_search_s, walking[:, 0]])
        after = np.column_stack([walking[:, 1], walking[:, 1] + self.standing_search_s])
        near = self._inside(t, np.vstack([before, after]))
        r = runs(rest & near & ~self._inside(t, walking))
        return np.array([(t[a], t[b - 1]) for a, b in r], float).reshape(-1, 2)

    @staticmethod
    def _inside(t: np.ndarray, intervals: np.ndarray) -> np.ndarray:
        """Boolean (n,): ``t`` inside any [start, end] of ``intervals`` (k, 2), in O(n + k log n)."""
        edges = np.zeros(len(t) + 1, np.int64)
        np.add.at(edges, np.searchsorted(t, intervals[:, 0], side="left"), 1)
        np.add.at(edges, np.searchsorted(t, intervals[:, 1], side="right"), -1)
        return np.cumsum(edges[:-1]) > 0

    def _up(self, acc: np.ndarray, t: np.ndarray, standing: np.ndarray, walking: np.ndarray) -> np.ndarray:
        """Unit up axis in the sensor frame: the mean gravity direction of each standing period, then
        their median (a stray lean in one period weighs little); without standing, walking's mean."""
        dirs = []
        for lo, hi in zip(np.searchsorted(t, standing[:, 0]), np.searchsorted(t, standing[:, 1], side="right")):
            v = acc[lo:hi].mean(axis=0)
            dirs.append(v / np.linalg.norm(v))
        if dirs:
            v = np.median(np.array(dirs), axis=0)
        else:
            m = self._inside(t, walking)
            v = acc[m].mean(axis=0) if m.any() else acc.mean(axis=0)
        return v / np.linalg.norm(v)

    def _forward(self, acc: np.ndarray, up: np.ndarray, t: np.ndarray, walking: np.ndarray,
                 q_sensor: np.ndarray, a_world: np.ndarray, fs: float, placement: str) -> np.ndarray:
        """Unit forward axis in the sensor frame, perpendicular to ``up``."""
        m = self._inside(t, walking)
        if m.sum() < 2 * fs:
            raise UserError(f"{placement}: no walking found, so the sensor's forward direction is unknown")
        # horizontal axes of the sensor frame
        e1 = np.cross(up, [1.0, 0.0, 0.0])
        if np.linalg.norm(e1) < 0.5:
            e1 = np.cross(up, [0.0, 1.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(up, e1)
        h = acc[m] @ np.column_stack([e1, e2])
        h -= h.mean(axis=0)
        # the forward surge at step frequency dominates the horizontal acceleration at the lower back
        vals, vecs = np.linalg.eigh(h.T @ h)
        fwd = vecs[0, 1] * e1 + vecs[1, 1] * e2
        # sign: the walker speeds up forwards after each walking start (world frame, gravity removed)
        fwd_world = quat.rotate(q_sensor, fwd)
        fwd_world[:, 2] = 0.0
        fwd_world /= np.maximum(np.linalg.norm(fwd_world, axis=1, keepdims=True), 1e-9)
        gained = 0.0
        starts = walking[:, 0]
        for lo, hi in zip(np.searchsorted(t, starts - 0.5), np.searchsorted(t, starts + self.start_speed_s)):
            gained += np.sum(np.einsum("ij,ij->i", a_world[lo:hi], fwd_world[lo:hi])) / fs
        return fwd if gained >= 0 else -fwd
