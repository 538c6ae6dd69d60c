"""Bout assembly rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.bouts import BoutRules, assemble_bouts


def _strides(starts_left, starts_right, stride_time=1.1):
    rows = []
    for side, starts in (("left", starts_left), ("right", starts_right)):
        for i, s in enumerate(starts):
            rows.append({"side": side, "stride_id": i, "start_s": s, "end_s": s + stride_time,
                         "stride_time_s": stride_time})
    return pd.DataFrame(rows)


def test_pause_splits_bouts_and_short_groups_are_dropped():
    left = list(np.arange(0, 11, 1.1)) + [40.0]
    right = list(np.arange(0.55, 11, 1.1)) + [40.55]
    strides, bouts = assemble_bouts(_strides(left, right), BoutRules(min_strides=4, max_pause_s=2.0))
    assert len(bouts) == 1
    b = bouts.iloc[0]
    assert b["start_s"] == 0.0 and b["n_strides_left"] == 10 and b["n_strides_right"] == 10
    assert (strides.loc[strides["start_s"] >= 40, "bout_id"] == -1).all()


def test_longer_allowed_pause_joins_bouts():
    left = [0, 1.1, 2.2, 6.0, 7.1, 8.2]
    right = [0.5, 1.6, 2.7, 6.5, 7.6, 8.7]
    _, tight = assemble_bouts(_strides(left, right), BoutRules(max_pause_s=1.0))
    _, loose = assemble_bouts(_strides(left, right), BoutRules(max_pause_s=3.0))
    assert len(tight) == 2 and len(loose) == 1


def test_implausible_stride_times_do_not_make_bouts():
    s = _strides(np.arange(0, 20, 4.0), np.arange(2, 20, 4.0), stride_time=4.0)
    strides, bouts = assemble_bouts(s)
    assert len(bouts) == 0 and (strides["bout_id"] == -1).all()
