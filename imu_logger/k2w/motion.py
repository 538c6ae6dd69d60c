"""A virtual shin doing knee-to-wall lunges: a SignalSource for the virtual sensors.

The shin rotates about the ankle joint around the world medio-lateral axis (y): standing upright
(``stand_s``), tilting forward to the trial's angle with a minimum-jerk profile (``move_s``),
holding (``hold_s``), and back (``move_s``); the angles cycle through ``angles_deg``. The sensor sits
``offset_m`` from the ankle in the shin frame (analysis.conventions: x anterior, y left, z up) with
``mounting`` = R_segment_sensor. Readings are exact: specific force = R^T (a + g z) including the
tangential and centripetal acceleration of the sensor, angular rate R^T ω, magnetic field R^T B.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imu_logger.ble.sources import EARTH_FIELD_UT, Block
from imu_logger.errors import UserError
from analysis.conventions import GRAVITY_MPS2

#: tibial inclination of each virtual trial (°): the left ankle is the stiffer one, as in the demo
VIRTUAL_LUNGE_DEG = {"left": (31.0, 33.0, 32.0), "right": (40.0, 42.0, 41.0)}


def _min_jerk(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-jerk position, velocity and acceleration on u in [0, 1] (per unit u)."""
    return (10 * u**3 - 15 * u**4 + 6 * u**5, 30 * u**2 - 60 * u**3 + 30 * u**4,
            60 * u - 180 * u**2 + 120 * u**3)


def _ry(theta: np.ndarray) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    z, o = np.zeros_like(theta), np.ones_like(theta)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


@dataclass
class LungeSource:
    """Shin sensor samples of repeated weight-bearing lunges (see module docstring)."""

    angles_deg: tuple[float, ...] = (35.0,)
    fs_hz: float = 100.0
    stand_s: float = 1.2
    move_s: float = 0.7
    hold_s: float = 2.6
    mounting: np.ndarray = field(default_factory=lambda: np.eye(3))
    offset_m: tuple[float, float, float] = (0.03, 0.0, 0.20)
    acc_noise_mps2: float = 0.0
    gyr_noise_radps: float = 0.0
    acc_bias_mps2: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.angles_deg or self.fs_hz <= 0 or min(self.stand_s, self.move_s, self.hold_s) <= 0:
            raise UserError("LungeSource: need angles and positive fs_hz, stand_s, move_s, hold_s")
        m = np.asarray(self.mounting, float)
        if m.shape != (3, 3) or not np.allclose(m @ m.T, np.eye(3), atol=1e-6):
            raise UserError("LungeSource: mounting must be a 3x3 rotation matrix")
        self.mounting = m

    @property
    def cycle_s(self) -> float:
        return self.stand_s + 2 * self.move_s + self.hold_s

    def inclination(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Shin inclination (rad), its rate (rad/s) and acceleration (rad/s²) at times ``t`` (s)."""
        t = np.asarray(t, float)
        k = np.floor(t / self.cycle_s).astype(np.int64)
        amp = np.radians(np.asarray(self.angles_deg, float))[k % len(self.angles_deg)]
        tau = t - k * self.cycle_s - self.stand_s
        up = (tau >= 0) & (tau < self.move_s)
        hold = (tau >= self.move_s) & (tau < self.move_s + self.hold_s)
        down = (tau >= self.move_s + self.hold_s) & (tau < 2 * self.move_s + self.hold_s)
        th, om, al = (np.zeros_like(t) for _ in range(3))
        for mask, sign, u0 in ((up, 1.0, 0.0), (down, -1.0, self.move_s + self.hold_s)):
            p, v, a = _min_jerk((tau[mask] - u0) / self.move_s)
            th[mask] = amp[mask] * (p if sign > 0 else 1 - p)
            om[mask] = sign * amp[mask] * v / self.move_s
            al[mask] = sign * amp[mask] * a / self.move_s**2
        th[hold] = amp[hold]
        return th, om, al

    def block(self, t0_s: float, n: int) -> Block:
        t = t0_s + np.arange(n) / self.fs_hz
        th, om, al = self.inclination(t)
        r_shin = _ry(th)  # positive rotation about world y: the knee goes forward (conventions)
        r_ws = r_shin @ self.mounting
        r = np.asarray(self.offset_m, float)
        # d/dθ R_y = R_y @ K_y, d²/dθ² R_y = R_y @ K_y @ K_y with K_y the cross matrix of y
        k = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
        a_world = np.einsum("nij,nj->ni", r_shin, (al[:, None] * (k @ r)) + (om[:, None] ** 2) * (k @ k @ r))
        f = a_world + np.array([0.0, 0.0, GRAVITY_MPS2])
        acc = np.einsum("nji,nj->ni", r_ws, f)
        gyr = np.einsum("nji,nj->ni", r_ws, om[:, None] * np.array([0.0, 1.0, 0.0]))
        mag = np.einsum("nji,j->ni", r_ws, EARTH_FIELD_UT)
        if self.acc_noise_mps2 or self.gyr_noise_radps or any(self.acc_bias_mps2):
            rng = np.random.default_rng([self.seed, int(round(t0_s * self.fs_hz))])
            acc = acc + rng.normal(0, self.acc_noise_mps2, acc.shape) + np.asarray(self.acc_bias_mps2)
            gyr = gyr + rng.normal(0, self.gyr_noise_radps, gyr.shape)
        return acc, gyr, mag
