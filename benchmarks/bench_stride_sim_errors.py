"""Which sensor error makes stride length read long: each candidate injected into simulated foot signals.

Run: .venv/bin/python benchmarks/bench_stride_sim_errors.py [SEED]

Issue 11: on real data (ipol_feet, a motion-capture check) strides read 1.7-3 % long, on the simulator
within 0.1 %. Two simulated walks (50 s at 1.3 m/s, 50 s at 1.0 m/s, random mounting, the default sensor
errors) go through ``analysis.bouts.gait_tables`` as they are and with one error added to both foot
sensors: an accelerometer scale error (all axes; along the resting gravity only; along one horizontal
axis), an accelerometer offset along the resting gravity (what rest_acc_bias removes), a gyroscope scale
error, accelerometer axes rotated against the gyroscope's, and the accelerometer one sample late against
the gyroscope. Printed: stride length error (%, signed mean and median, MAE; spot turns left out) and the
median velocity drift of the raw integration (m/s, bench_stride_bias.drift) with ``k_drift``, the
accelerometer scale that minimises that drift: a scale error shows in it, so it can be looked for on real data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis import strides as st  # noqa: E402
from analysis.bouts import gait_tables  # noqa: E402
from analysis.columns import ACC, GYR  # noqa: E402
from analysis.validation import stride_errors  # noqa: E402
from benchmarks.bench_stride_bias import drift  # noqa: E402

FEET = ("left_foot", "right_foot")
Change = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # (acc, gyr) -> (acc, gyr)


def _resting_up(acc: np.ndarray) -> np.ndarray:
    """Unit vector of gravity in the sensor frame over the first second (the simulation starts standing)."""
    g = np.median(acc[:100], axis=0)
    return g / np.linalg.norm(g)


def _scale_along(acc: np.ndarray, axis: np.ndarray, k: float) -> np.ndarray:
    return acc + (k - 1.0) * np.outer(acc @ axis, axis)


def _horizontal(acc: np.ndarray) -> np.ndarray:
    h = np.cross(_resting_up(acc), [0.0, 0.0, 1.0])
    return h / np.linalg.norm(h)


def _rotated(deg: float, axis: int) -> Change:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    i, j = [k for k in range(3) if k != axis]
    m = np.eye(3)
    m[i, i] = m[j, j] = c
    m[i, j], m[j, i] = -s, s
    return lambda a, g: (a @ m.T, g)


CANDIDATES: dict[str, Change] = {
    "none (default sensor errors)": lambda a, g: (a, g),
    "acc scale 1.01, all axes": lambda a, g: (a * 1.01, g),
    "acc scale 1.03, all axes": lambda a, g: (a * 1.03, g),
    "acc scale 1.03 along resting gravity": lambda a, g: (_scale_along(a, _resting_up(a), 1.03), g),
    "acc scale 1.03 along a horizontal axis": lambda a, g: (_scale_along(a, _horizontal(a), 1.03), g),
    "acc offset +0.3 m/s² along resting gravity": lambda a, g: (a + 0.3 * _resting_up(a), g),
    "gyro scale 1.02": lambda a, g: (a, g * 1.02),
    "gyro scale 0.98": lambda a, g: (a, g * 0.98),
    "acc axes rotated 2° about x": _rotated(2.0, 0),
    "acc axes rotated 2° about y": _rotated(2.0, 1),
    "acc one sample late": lambda a, g: (np.vstack([a[:1], a[:-1]]), g),
}


def main() -> None:
    from gait_sim import SimConfig, simulate
    from gait_sim.config import BoutSpec

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sim = simulate(SimConfig(minutes=2.0, seed=seed, mounting="random",
                             bouts=(BoutSpec("walking", 50.0, speed_mps=1.3), BoutSpec("standing", 5.0),
                                    BoutSpec("walking", 50.0, speed_mps=1.0))))
    print(f"{'candidate':>44} | stride error %: mean, median, MAE | drift med m/s | k_drift L, R")
    for name, change in CANDIDATES.items():
        signals = {k: v.copy() for k, v in sim.signals.items()}
        drifts, ks = [], []
        for foot in FEET:
            df = signals[foot]
            acc, gyr = change(df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float))
            df[list(ACC)], df[list(GYR)] = acc.astype(df[ACC[0]].dtype), gyr.astype(df[GYR[0]].dtype)
            t = df["time_s"].to_numpy(float)
            d = drift(t, acc, gyr, st.foot_analysis(t, acc, gyr)["still"])
            drifts.append(np.linalg.norm(d["v_end"], axis=1))
            ks.append(d["k_drift"])
        strides, _ = gait_tables(signals)
        m = stride_errors(strides, sim.truth_strides)
        e = m.loc[m["truth_quality"] != "spot_turn", "len_err_pct"].to_numpy()
        print(f"{name:>44} | {e.mean():+6.2f} {np.median(e):+6.2f} {np.abs(e).mean():5.2f} (n={len(e)}) | "
              f"{np.median(np.concatenate(drifts)):.3f} | {ks[0]:.4f}, {ks[1]:.4f}")


if __name__ == "__main__":
    main()
