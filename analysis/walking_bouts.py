"""Walking bouts after the Mobilise-D consensus: turns stay inside a bout, a pause longer than 3 s ends it.

Rules (Kluge et al. 2021, "Consensus based framework for digital mobility monitoring", PLoS One
16(8): e0256541; the parameter values are those of mobgap's ``StrideSelection`` "mobilised" and
``WbAssembly`` "mobilise_wb" presets):

* stride selection: a stride takes part in the assembly if its stride time is within
  ``stride_time_s`` and its length (where known) is at least ``min_stride_length_m``;
* assembly: the selected strides of both feet, in order of start, stay in one bout while the time
  from the latest end so far to the next start is at most ``max_break_s``; a turn is walking, so its
  strides (short or not selected) never end a bout by themselves, only a pause does;
* a bout needs at least ``min_strides`` selected strides (both feet together).

Every stride whose contacts lie inside a bout's span gets that ``bout_id`` (the turn strides, and
the first and last strides, included); the bout spans the first to the last initial contact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.algorithm import Algorithm
from analysis.columns import BOUT_COLUMNS


class WalkingBouts(Algorithm):
    """Mobilise-D walking-bout assembly on a strides table (analysis.columns.STRIDE_COLUMNS).

    Parameters (defaults: Mobilise-D consensus, see module docstring):
    ``max_break_s`` longest pause inside a bout (s, compared with <=): 3.0;
    ``min_strides`` fewest selected strides of a bout, both feet together: 4;
    ``stride_time_s`` (min, max) stride time of a selected stride (s): (0.2, 3.0);
    ``min_stride_length_m`` shortest selected stride (m): 0.15.

    Results of ``assemble``: ``strides_`` (the input with ``bout_id`` set, −1 outside any bout),
    ``bouts_`` (BOUT_COLUMNS, activity ``walking``, ids 0.. in time order).
    """

    def __init__(self, max_break_s: float = 3.0, min_strides: int = 4,
                 stride_time_s: tuple[float, float] = (0.2, 3.0), min_stride_length_m: float = 0.15):
        self.max_break_s = max_break_s
        self.min_strides = min_strides
        self.stride_time_s = stride_time_s
        self.min_stride_length_m = min_stride_length_m

    def selected(self, strides: pd.DataFrame) -> np.ndarray:
        """Boolean per stride: it passes the stride selection (stride time and length ranges)."""
        lo, hi = self.stride_time_s
        t = strides["stride_time_s"].to_numpy(float)
        length = strides["stride_length_m"].to_numpy(float)
        return (t >= lo) & (t <= hi) & ~(length < self.min_stride_length_m)  # NaN length: shin only, kept

    def assemble(self, strides: pd.DataFrame) -> "WalkingBouts":
        """Assemble the bouts of ``strides`` (both feet, times in s); sets ``strides_`` and ``bouts_``."""
        out = strides.copy()
        out["bout_id"] = -1
        sel = np.flatnonzero(self.selected(out))
        start = out["start_s"].to_numpy(float)
        end = out["end_s"].to_numpy(float)
        spans = np.zeros((0, 2))
        if len(sel):
            order = sel[np.argsort(start[sel], kind="stable")]
            reach = np.maximum.accumulate(end[order])
            new = np.ones(len(order), bool)
            new[1:] = start[order][1:] - reach[:-1] > self.max_break_s
            group = np.cumsum(new) - 1
            counts = np.bincount(group)
            first = np.minimum.reduceat(start[order], np.flatnonzero(new))
            last = np.maximum.reduceat(end[order], np.flatnonzero(new))
            spans = np.column_stack([first, last])[counts >= self.min_strides]
        for b, (a, e) in enumerate(spans):  # per bout: every stride inside its span joins it
            out.loc[(start >= a) & (end <= e), "bout_id"] = b
        self.strides_ = out
        side = out["side"].to_numpy()
        bid = out["bout_id"].to_numpy()
        self.bouts_ = pd.DataFrame({
            "bout_id": np.arange(len(spans)), "start_s": spans[:, 0], "end_s": spans[:, 1],
            "activity": "walking",
            "n_strides_left": [int(np.sum((bid == b) & (side == "left"))) for b in range(len(spans))],
            "n_strides_right": [int(np.sum((bid == b) & (side == "right"))) for b in range(len(spans))],
        })[list(BOUT_COLUMNS)]
        return self
