"""Gait from the lower-back sensor alone: initial contacts, steps, strides, cadence and walking speed.

* Initial contacts after McCamley et al. (2012), "An enhanced estimate of initial contact and final
  contact instants of time using lower trunk inertial sensor data", Gait Posture 36:316-318: the
  vertical acceleration is integrated and differentiated with a Gaussian wavelet, which is the vertical
  acceleration smoothed by a Gaussian; a contact is each of its maxima (the upward push of loading).
* Side: the pelvis moves towards the new stance foot at contact, so a contact is left when the
  medio-lateral velocity (band-passed, pelvis heading frame, + left) is positive there.
* Step length after Zijlstra & Hof (2003), "Assessment of spatio-temporal gait parameters from trunk
  accelerations during human walking", Gait Posture 18:1-10: the inverted pendulum,
  ``step = K * 2 sqrt(2 l h - h²)`` with h the peak-to-peak vertical excursion of the step (double
  integration over the step, the mean removed before each integration: one period of the pendulum)
  and l the sensor height.
* Toe-off is not detected: ``toe_off_s`` is the contralateral contact plus ``double_support_fraction``
  of the stride (an estimate for the stance mean of the pelvic tilt, not a measurement).

Times are seconds on the samples' time base; lengths metres; cadence steps per minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d
from scipy.signal import butter, find_peaks, sosfiltfilt

from analysis.algorithm import Algorithm

from .frame import LowerBackFrame


class LowerBackGait(Algorithm):
    """Initial contacts, steps, strides and bouts from a LowerBackFrame.

    Parameters
    ----------
    sensor_height_m
        L5/S1 height above the floor in standing (m), the pendulum length; Mobilise-D measures it per
        participant. Default: 0.95 m (engineering choice, the simulator's and about 0.55 x 1.73 m).
    smoothing_s
        Gaussian sigma (s) of the contact detector: McCamley et al.'s gaus1 wavelet at scale 9 (100 Hz)
        is a Gaussian exp(-(t/9 samples)²), sigma = 9 / sqrt(2) samples = 0.064 s.
    min_step_s, max_step_s
        Contacts closer than ``min_step_s`` are one contact; a step longer than ``max_step_s`` ends a
        bout (s). Engineering choice: steps of walking last 0.35-1.0 s (cadence 60-170 steps/min).
    step_length_factor
        Zijlstra & Hof's correction K: 1.25 (their paper's mean ratio of true to pendulum step length).
    double_support_fraction
        Toe-off estimate: contralateral contact + this fraction of the stride (0.10: stance 60 % of the
        stride in comfortable walking, Perry & Burnfield 2010).
    min_peak_ratio
        A contact's smoothed vertical acceleration must reach this fraction of the walking period's
        median peak: the first and last rocking of a bout, without a contact, peaks lower. Chosen on the
        simulator (random mounting, errors, seed 2): peaks without a contact reach at most 0.39 of the
        median, contacts at least 0.62; 0.5 lies between. (On mobgap's test-5 trials: at most 0.49 and
        at least 0.71.)
    """

    def __init__(self, sensor_height_m: float = 0.95, smoothing_s: float = 0.064, min_step_s: float = 0.3,
                 max_step_s: float = 1.25, step_length_factor: float = 1.25,
                 double_support_fraction: float = 0.10, min_peak_ratio: float = 0.5):
        self.sensor_height_m = sensor_height_m
        self.smoothing_s = smoothing_s
        self.min_step_s = min_step_s
        self.max_step_s = max_step_s
        self.step_length_factor = step_length_factor
        self.double_support_fraction = double_support_fraction
        self.min_peak_ratio = min_peak_ratio

    def detect(self, frame: LowerBackFrame) -> "LowerBackGait":
        """Results: ``ics_`` (time_s, side, bout_id), ``steps_`` (bout_id, start_s, end_s, step_time_s,
        step_length_m, speed_mps), ``strides_`` (side, stride_id, bout_id, start_s, toe_off_s, end_s,
        stride_time_s, stride_length_m, speed_mps), ``bouts_`` (bout_id, start_s, end_s, n_steps,
        cadence_spm, walking_speed_mps)."""
        t, fs, acc = frame.time_s_, frame.sampling_rate_hz_, frame.acc_heading_mps2_
        ics, steps = [], []
        bout = 0
        for a, b in frame.walking_:
            sel = np.arange(np.searchsorted(t, a), np.searchsorted(t, b, side="right"))
            sel = sel[np.isfinite(acc[sel, 2])]
            if len(sel) < 2 * fs:
                continue
            ts = t[sel]
            vert = gaussian_filter1d(acc[sel, 2], self.smoothing_s * fs)
            peaks, _ = find_peaks(vert, height=0.0, distance=max(1, int(self.min_step_s * fs)))
            # gait initiation and termination rock the pelvis without a contact: weaker peaks
            peaks = peaks[vert[peaks] >= self.min_peak_ratio * np.median(vert[peaks])] if len(peaks) else peaks
            if len(peaks) < 3:
                continue
            v_ml = self._ml_velocity(acc[sel, 1], fs)
            # a step longer than max_step_s ends the bout
            for group in np.split(peaks, np.flatnonzero(np.diff(ts[peaks]) > self.max_step_s) + 1):
                if len(group) < 3:
                    continue
                for k, p in enumerate(group):
                    ics.append((ts[p], "left" if v_ml[p] > 0 else "right", bout))
                    if k + 1 < len(group):
                        h = self._excursion(acc[sel[p]:sel[group[k + 1]] + 1, 2], fs)
                        steps.append((bout, ts[p], ts[group[k + 1]], h))
                bout += 1
        self.ics_ = pd.DataFrame(ics, columns=["time_s", "side", "bout_id"])
        self.steps_ = self._steps(steps)
        self.strides_ = self._strides(self.ics_, self.steps_)
        self.bouts_ = self._bouts(self.steps_)
        return self

    @staticmethod
    def _cumulative(x: np.ndarray, fs: float) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(0.5 * (x[1:] + x[:-1])) / fs])

    def _ml_velocity(self, x: np.ndarray, fs: float) -> np.ndarray:
        """Band-passed (0.3-3 Hz) ``x`` integrated, then high-passed at 0.3 Hz: the medio-lateral
        velocity at stride frequency."""
        x = sosfiltfilt(butter(4, [0.3, 3.0], "bandpass", fs=fs, output="sos"), x)
        return sosfiltfilt(butter(4, 0.3, "highpass", fs=fs, output="sos"), self._cumulative(x, fs))

    def _excursion(self, a_vert: np.ndarray, fs: float) -> float:
        """Peak-to-peak vertical displacement (m) over one step: the step is one period of the pendulum,
        so the acceleration's and then the velocity's mean over the step are removed before each
        integration (no drift between the step's two contacts)."""
        v = self._cumulative(a_vert - a_vert.mean(), fs)
        return float(np.ptp(self._cumulative(v - v.mean(), fs)))

    def _steps(self, rows: list[tuple]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=["bout_id", "start_s", "end_s", "excursion_m"])
        df["step_time_s"] = df["end_s"] - df["start_s"]
        l, h = self.sensor_height_m, df["excursion_m"].to_numpy(float)
        df["step_length_m"] = self.step_length_factor * 2.0 * np.sqrt(np.maximum(2 * l * h - h**2, 0.0))
        df["speed_mps"] = df["step_length_m"] / df["step_time_s"]
        return df[["bout_id", "start_s", "end_s", "step_time_s", "step_length_m", "speed_mps"]]

    def _strides(self, ics: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
        """A stride per contact whose next-but-one contact in the bout exists: two steps."""
        rows = []
        for bout_id, g in ics.groupby("bout_id", sort=True):
            tic, side = g["time_s"].to_numpy(float), g["side"].to_numpy(object)
            st = steps[steps["bout_id"] == bout_id]["step_length_m"].to_numpy(float)
            for k in range(len(tic) - 2):
                T = tic[k + 2] - tic[k]
                length = st[k] + st[k + 1]
                rows.append((side[k], bout_id, tic[k], tic[k + 1] + self.double_support_fraction * T, tic[k + 2],
                             T, length, length / T))
        df = pd.DataFrame(rows, columns=["side", "bout_id", "start_s", "toe_off_s", "end_s", "stride_time_s",
                                         "stride_length_m", "speed_mps"])
        df = df.sort_values(["side", "start_s"], ignore_index=True)
        df.insert(1, "stride_id", df.groupby("side").cumcount())
        return df

    @staticmethod
    def _bouts(steps: pd.DataFrame) -> pd.DataFrame:
        g = steps.groupby("bout_id", sort=True)
        duration = g["step_time_s"].sum()
        return pd.DataFrame({"bout_id": duration.index, "start_s": g["start_s"].min().to_numpy(),
                             "end_s": g["end_s"].max().to_numpy(), "n_steps": g.size().to_numpy(),
                             "cadence_spm": (60.0 * g.size() / duration).to_numpy(),
                             "walking_speed_mps": (g["step_length_m"].sum() / duration).to_numpy()})
