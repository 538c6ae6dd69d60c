"""What a virtual sensor measures: signal sources giving SI samples in the sensor's own frame.

A :class:`SignalSource` produces blocks of samples on its own regular grid: sample ``i`` of
``block(t0_s, n)`` is taken at ``t0_s + i / fs_hz`` seconds. Time is the virtual world's clock
(seconds since the world started), shared by all sensors, so that sensors on the shin and on the
foot see the same instant. Acceleration is specific force in m/s² (gravity included), angular rate
in rad/s, magnetic field in µT.

A :class:`ReplaySource` is the other kind: it replays the raw notification bytes of a recording
as they were received, with no encoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from imu_logger.errors import UserError
from analysis.conventions import GRAVITY_MPS2

Block = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Earth field used where a source has no magnetometer: 20 µT north, 45 µT down (mid-latitudes)
EARTH_FIELD_UT = np.array([20.0, 0.0, -45.0])


@runtime_checkable
class SignalSource(Protocol):
    """Samples of acc (m/s²), gyr (rad/s) and mag (µT), (n, 3) each, on a grid of ``fs_hz``."""

    fs_hz: float

    def block(self, t0_s: float, n: int) -> Block:
        """``n`` samples starting at time ``t0_s`` (s), spaced ``1 / fs_hz``."""
        ...


def _rotation_matrices(axis: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) about the unit ``axis`` by each angle (Rodrigues)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    s = np.sin(angle_rad)[:, None, None]
    c = np.cos(angle_rad)[:, None, None]
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


@dataclass
class SimpleMotionSource:
    """A gentle, deterministic periodic motion: the sensor sways about a fixed tilted axis.

    Orientation is a rotation by ``amplitude_deg * sin(2π t / period_s)`` about ``axis`` from a
    pose with the sensor's z axis up, so every axis of every field varies and the three fields are
    physically consistent (pure rotation: no linear acceleration, gravity and the Earth field seen
    in the rotating sensor frame, angular rate along the axis).
    """

    fs_hz: float = 100.0
    period_s: float = 1.1
    amplitude_deg: float = 25.0
    axis: tuple[float, float, float] = (1.0, 0.5, 0.3)
    _axis: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.fs_hz <= 0 or self.period_s <= 0:
            raise UserError(f"SimpleMotionSource: fs_hz and period_s must be positive "
                            f"(got {self.fs_hz}, {self.period_s})")
        axis = np.asarray(self.axis, dtype=float)
        self._axis = axis / np.linalg.norm(axis)

    def block(self, t0_s: float, n: int) -> Block:
        t = t0_s + np.arange(n) / self.fs_hz
        w = 2.0 * math.pi / self.period_s
        amp = math.radians(self.amplitude_deg)
        angle = amp * np.sin(w * t)
        rate = amp * w * np.cos(w * t)
        # sensor-to-world rotation; a world vector v is seen in the sensor frame as R^T v
        r = _rotation_matrices(self._axis, angle)
        acc = np.einsum("nji,j->ni", r, np.array([0.0, 0.0, GRAVITY_MPS2]))
        mag = np.einsum("nji,j->ni", r, EARTH_FIELD_UT)
        gyr = rate[:, None] * self._axis[None, :]
        return acc, gyr, mag


class ArraySource:
    """Precomputed samples (e.g. from the gait simulator) streamed at ``fs_hz``.

    Sample ``i`` is at time ``i / fs_hz``. With ``loop`` the arrays repeat; without it the last
    sample holds (the sensor lies still) once they run out. ``mag_ut`` may be None: the sensor then
    sees a constant Earth field.
    """

    def __init__(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray | None,
                 fs_hz: float, loop: bool = True) -> None:
        acc = np.asarray(acc_mps2, dtype=float)
        gyr = np.asarray(gyr_radps, dtype=float)
        mag = np.tile(EARTH_FIELD_UT, (acc.shape[0], 1)) if mag_ut is None else np.asarray(mag_ut, dtype=float)
        for label, a in (("acc_mps2", acc), ("gyr_radps", gyr), ("mag_ut", mag)):
            if a.ndim != 2 or a.shape[1] != 3 or a.shape[0] == 0:
                raise UserError(f"ArraySource: {label} must have shape (n, 3) with n > 0, got {a.shape}")
        if not acc.shape[0] == gyr.shape[0] == mag.shape[0]:
            raise UserError(f"ArraySource: acc, gyr and mag lengths differ "
                            f"({acc.shape[0]}, {gyr.shape[0]}, {mag.shape[0]})")
        if not fs_hz > 0:
            raise UserError(f"ArraySource: fs_hz must be positive, got {fs_hz}")
        self.fs_hz = float(fs_hz)
        self.loop = loop
        self._acc, self._gyr, self._mag = acc, gyr, mag

    def __len__(self) -> int:
        return self._acc.shape[0]

    def block(self, t0_s: float, n: int) -> Block:
        idx = round(t0_s * self.fs_hz) + np.arange(n)
        idx = idx % len(self) if self.loop else np.clip(idx, 0, len(self) - 1)
        return self._acc[idx], self._gyr[idx], self._mag[idx]


class _Resampled:
    """A source seen on another grid, by linear interpolation between its own samples."""

    def __init__(self, source: SignalSource, fs_hz: float) -> None:
        self.fs_hz = fs_hz
        self._source = source

    def block(self, t0_s: float, n: int) -> Block:
        if n == 0:
            return self._source.block(t0_s, 0)
        src_fs = self._source.fs_hz
        x = (t0_s + np.arange(n) / self.fs_hz) * src_fs  # positions on the source grid
        base = np.floor(x)
        i0 = int(base[0])
        count = int(base[-1]) - i0 + 2
        raw = self._source.block(i0 / src_fs, count)
        j = (base - i0).astype(np.int64)
        w = (x - base)[:, None]
        return tuple(a[j] * (1.0 - w) + a[j + 1] * w for a in raw)  # type: ignore[return-value]


def at_rate(source: SignalSource, fs_hz: float) -> SignalSource:
    """``source`` on a grid of ``fs_hz``: itself when the rates agree, else interpolated."""
    if abs(source.fs_hz - fs_hz) <= 1e-9 * fs_hz:
        return source
    return _Resampled(source, fs_hz)


class ReplaySource:
    """Raw notifications of a recording, replayed as-is: (characteristic uuid, bytes, time_s).

    Times are the receive times of the recording; they are taken relative to the first frame.
    Replay starts when the host starts streaming. With ``loop`` the frames repeat, one typical
    frame interval after the last one.
    """

    def __init__(self, frames: Sequence[tuple[str, bytes, float]], loop: bool = False) -> None:
        if not frames:
            raise UserError("ReplaySource: no frames to replay")
        times = np.array([f[2] for f in frames], dtype=float)
        if np.any(np.diff(times) < 0):
            raise UserError("ReplaySource: frame times must not decrease")
        self.uuids = [f[0].lower() for f in frames]
        self.payloads = [bytes(f[1]) for f in frames]
        self.times_s = times - times[0]
        self.loop = loop
        gaps = np.diff(self.times_s)
        gaps = gaps[gaps > 0]
        # one typical frame interval after the last frame (10 ms when the frames give none, at least 1 ms)
        self.period_s = float(self.times_s[-1] + max(float(np.median(gaps)) if gaps.size else 0.01, 1e-3))

    def frame_indices(self, t_from_s: float, t_to_s: float) -> list[int]:
        """Indices of the frames due in [t_from_s, t_to_s) of replay time, in sending order."""
        if t_to_s <= t_from_s:
            return []
        if not self.loop:
            lo, hi = np.searchsorted(self.times_s, [t_from_s, t_to_s], side="left")
            return list(range(int(lo), int(hi)))
        period, count = self.period_s, len(self.times_s)
        first, last = math.floor(t_from_s / period), math.floor(t_to_s / period)
        lo = int(np.searchsorted(self.times_s, t_from_s - first * period, side="left"))
        hi = int(np.searchsorted(self.times_s, t_to_s - last * period, side="left"))
        if first == last:
            return list(range(lo, hi))
        return [*range(lo, count), *list(range(count)) * (last - first - 1), *range(hi)]

    def finished(self, t_s: float) -> bool:
        """Whether every frame has been sent by replay time ``t_s``."""
        return not self.loop and t_s > self.times_s[-1]
