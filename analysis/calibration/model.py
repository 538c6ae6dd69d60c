"""What the calibration of a recording produces: per-sensor calibration, mounting epochs, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.orientation import DEFAULT_FILTER
from analysis.orientation.quaternion import to_matrix

from .bias import bias_at


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


def _rotate_rows(v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Rows of (n, 3) values multiplied by the (3, 3) matrix r: r @ v[i] for every i."""
    return np.einsum("ij,kj->ik", v, r)
