"""The bouts table of a recording: walking bouts (analysis.walking_bouts, Mobilise-D rules: turns stay
inside a bout, a pause longer than 3 s ends it) in time order with the periods of the other
activities (analysis.activity), and the strides' ``bout_id`` matching it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.columns import BOUT_COLUMNS
from analysis.walking_bouts import WalkingBouts

if TYPE_CHECKING:
    from analysis.strides import StrideDetector


def gait_tables(signals: dict[str, pd.DataFrame], walking: WalkingBouts | None = None,
                strides: StrideDetector | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strides and bouts tables of a recording (dict placement -> samples DataFrame), strides found by
    ``strides`` (default analysis.strides.StrideDetector()), walking bouts assembled by ``walking``
    (default analysis.walking_bouts.WalkingBouts(): Mobilise-D, turns inside a bout).

    The bouts table lists the walking bouts and the periods of the other activities
    (analysis.activity) in time order; ``bout_id`` is renumbered in that order and matches
    the strides' ``bout_id`` (−1: stride outside any bout). An empty day gives empty tables.
    """
    from analysis.strides import StrideDetector

    detector = (strides or StrideDetector()).clone()
    return tables_from_strides(detector.detect(signals).strides_, signals, walking)


def tables_from_strides(strides: pd.DataFrame, signals: dict[str, pd.DataFrame],
                        walking: WalkingBouts | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The strides and bouts tables of :func:`gait_tables` from strides already detected; ``signals``
    (placement -> samples, or per-window summaries as analysis.streamed gives) classify the activity."""
    from analysis.activity import activity_periods, classify_activity

    assembly = (walking or WalkingBouts()).assemble(strides)
    strides, walk = assembly.strides_, assembly.bouts_
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
