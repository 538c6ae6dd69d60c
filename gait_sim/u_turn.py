"""The IPOL protocol on the simulator: stand, walk out, turn on the spot, walk back at another cadence, stand.

Issue 11's walker (true strides 1.07 s) had one foot's strides lock onto a wrong rhythm after the
U-turn; walking back at a different cadence from the way out is what a detector must follow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .config import BoutSpec, SimConfig


def _walk(distance_m: float, stride_time_s: float, stride_length_m: float) -> BoutSpec:
    """A straight walking bout of about ``distance_m`` (a bout starts and ends with the feet together:
    about one stride time of initiation and termination)."""
    duration = (distance_m / stride_length_m + 1.0) * stride_time_s
    return BoutSpec("walking", duration, speed_mps=stride_length_m / stride_time_s, stride_length_m=stride_length_m)


def u_turn_config(out_stride: tuple[float, float] = (1.07, 1.30), back_stride: tuple[float, float] = (0.85, 1.15),
                  distance_m: float = 10.0, turn_deg: float = 180.0, turn_s: float = 3.0,
                  standing_end_s: float = 5.0, **config) -> SimConfig:
    """SimConfig: quiet standing, ``distance_m`` out with strides of ``out_stride`` (stride time s,
    stride length m; default: issue 11's walker, 1.07 s), a spot turn of ``turn_deg`` lasting
    ``turn_s`` (s) with no pause around it, ``distance_m`` back with ``back_stride`` (default a
    faster cadence, 0.85 s), then ``standing_end_s`` (s) of standing. ``config`` goes to SimConfig
    (seed, mounting, errors, ...); ``minutes`` is set to cover the plan."""
    bouts = (_walk(distance_m, *out_stride), BoutSpec("turn", turn_s, turn_deg=turn_deg),
             _walk(distance_m, *back_stride), BoutSpec("standing", standing_end_s))
    base = SimConfig(bouts=bouts, **config)
    total_s = base.scenario.initial_standing_s + sum(b.duration_s for b in bouts) + 2.0
    return dataclasses.replace(base, minutes=total_s / 60.0)


def lock_onto_rhythm(strides: pd.DataFrame, side: str, after_s: float, factor: float) -> pd.DataFrame:
    """The failure issue 11 saw, applied to a strides table (STRIDE_COLUMNS): ``side``'s strides
    starting at or after ``after_s`` (s) re-cut at ``factor`` of their median stride time and
    length over the same span, marked ``ok``; the re-cut rows get ``locked`` True."""
    mine = (strides["side"] == side).to_numpy() & (strides["start_s"].to_numpy(float) >= after_s)
    a = strides[mine]
    t = factor * float(a["stride_time_s"].median())
    start = np.arange(a["start_s"].min(), a["end_s"].max() - t + 1e-9, t)
    new = pd.DataFrame({c: np.repeat(a[c].to_numpy()[:1], len(start)) for c in strides.columns})
    new["start_s"], new["end_s"], new["toe_off_s"] = start, start + t, start + 0.6 * t
    new["stride_time_s"] = t
    new["stride_length_m"] = factor * float(a["stride_length_m"].median())
    new["quality"] = "ok"
    return pd.concat([strides[~mine].assign(locked=False), new.assign(locked=True)], ignore_index=True)
