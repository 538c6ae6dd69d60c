"""Walking bouts from the strides of both sides, with explicit rules given as parameters.

Rules (``BoutRules``):
* a stride counts towards a bout only if its stride time is within ``stride_time_s`` (plausible);
* strides of both sides, sorted by start, stay in one bout while the time from the end of the
  latest stride so far to the start of the next is at most ``max_pause_s``;
* a bout needs at least ``min_strides`` strides (left + right); shorter groups are not bouts
  (their strides keep ``bout_id`` −1).
* inside such a group, a spot turn is a run of consecutive short strides (``stride_length_m`` below
  ``spot_turn_length_m``) containing at least one stride that turns by more than ``spot_turn_deg``
  (``turning_angle_deg``); it becomes its own bout with activity ``turn`` (any number of strides),
  and splits the walking around it (a curve in walking has full-length strides and stays walking).
Bout start is the first initial contact, bout end the last stride's end (initial contact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.columns import BOUT_COLUMNS

if TYPE_CHECKING:
    from analysis.strides import StrideDetector


@dataclass(frozen=True)
class BoutRules:
    """Bout assembly rules (module docstring).

    ``min_strides`` (4, left + right): two strides per foot, as in the Mobilise-D walking-bout
    definition (Kluge et al. 2021). ``max_pause_s`` (s, 2.0): engineering choice, stricter than
    Mobilise-D's 3 s so that a stop to open a door splits the bout. ``stride_time_s`` (s, 0.6-2.5): the
    plausible stride time of analysis.strides.PLAUSIBLE. ``spot_turn_length_m`` (m, 0.6) and
    ``spot_turn_deg`` (deg, 20): engineering choices separating the simulator's spot turns (short strides
    turning by tens of degrees each) from curved walking (full-length strides).
    """

    min_strides: int = 4
    max_pause_s: float = 2.0
    stride_time_s: tuple[float, float] = (0.6, 2.5)
    spot_turn_length_m: float = 0.6
    spot_turn_deg: float = 20.0


def assemble_bouts(strides: pd.DataFrame, rules: BoutRules = BoutRules()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (strides with ``bout_id`` set, bouts table with BOUT_COLUMNS, activity walking or turn)."""
    out = strides.copy()
    out["bout_id"] = -1
    empty = pd.DataFrame({c: pd.Series(dtype=float if c.endswith("_s") else object) for c in BOUT_COLUMNS})
    if len(out) == 0:
        return out, empty
    lo, hi = rules.stride_time_s
    ok = out["stride_time_s"].between(lo, hi).to_numpy()
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return out, empty
    order = idx[np.argsort(out["start_s"].to_numpy()[idx], kind="stable")]
    start = out["start_s"].to_numpy()[order]
    end = out["end_s"].to_numpy()[order]
    reach = np.maximum.accumulate(end)
    new = np.ones(len(order), bool)
    new[1:] = start[1:] - reach[:-1] > rules.max_pause_s
    spot = _spot_turn(out.iloc[order], rules)
    new[1:] |= spot[1:] != spot[:-1]
    group = np.cumsum(new) - 1
    counts = np.bincount(group)
    group_turn = np.zeros(len(counts), bool)
    group_turn[group[spot]] = True
    keep_group = (counts >= rules.min_strides) | group_turn
    bout_of_group = np.full(len(counts), -1)
    bout_of_group[keep_group] = np.arange(keep_group.sum())
    out.loc[out.index[order], "bout_id"] = bout_of_group[group]
    turn_bouts = set(bout_of_group[group_turn & keep_group].tolist())
    sel = out[out["bout_id"] >= 0]
    if len(sel) == 0:
        return out, empty
    g = sel.groupby("bout_id")
    bouts = pd.DataFrame({
        "bout_id": g.size().index.astype(int),
        "start_s": g["start_s"].min().to_numpy(),
        "end_s": g["end_s"].max().to_numpy(),
        "activity": ["turn" if b in turn_bouts else "walking" for b in g.size().index],
        "n_strides_left": g["side"].apply(lambda s: int((s == "left").sum())).to_numpy(),
        "n_strides_right": g["side"].apply(lambda s: int((s == "right").sum())).to_numpy(),
    })
    return out, bouts[list(BOUT_COLUMNS)]


def _spot_turn(strides: pd.DataFrame, rules: BoutRules) -> np.ndarray:
    """Boolean per stride (in the given time order): part of a spot turn (see module doc)."""
    if "stride_length_m" not in strides or "turning_angle_deg" not in strides:
        return np.zeros(len(strides), bool)
    short = (strides["stride_length_m"].to_numpy(float) < rules.spot_turn_length_m)
    turning = short & (np.abs(strides["turning_angle_deg"].to_numpy(float)) > rules.spot_turn_deg)
    d = np.diff(np.concatenate([[0], short.astype(np.int8), [0]]))
    out = np.zeros(len(short), bool)
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):  # per run of short strides
        out[a:b] = turning[a:b].any()
    return out


def gait_tables(signals: dict[str, pd.DataFrame], rules: BoutRules = BoutRules(),
                strides: StrideDetector | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strides and bouts tables of a recording (dict placement -> samples DataFrame), strides found by
    ``strides`` (default analysis.strides.StrideDetector()).

    The bouts table lists the walking bouts and the periods of the other activities
    (analysis.activity) in time order; ``bout_id`` is renumbered in that order and matches
    the strides' ``bout_id`` (−1: stride outside any bout). An empty day gives empty tables.
    """
    from analysis.activity import activity_periods, classify_activity
    from analysis.strides import StrideDetector

    detector = (strides or StrideDetector()).clone()
    strides, walk = assemble_bouts(detector.detect(signals).strides_, rules)
    periods = activity_periods(classify_activity(signals, walk))
    other = periods[periods["activity"] != "walking"].copy()
    other["bout_id"] = -1
    other["n_strides_left"] = 0
    other["n_strides_right"] = 0
    walk = walk.copy()
    walk["old_id"] = walk["bout_id"]
    other["old_id"] = -1
    allb = pd.concat([walk, other[list(walk.columns)]], ignore_index=True) if len(other) else walk
    allb = allb.sort_values("start_s", kind="stable").reset_index(drop=True)
    allb["bout_id"] = np.arange(len(allb))
    remap = dict(zip(allb.loc[allb["old_id"] >= 0, "old_id"], allb.loc[allb["old_id"] >= 0, "bout_id"]))
    strides["bout_id"] = strides["bout_id"].map(lambda b: remap.get(b, -1)).astype(int)
    return strides, allb[list(BOUT_COLUMNS)]
