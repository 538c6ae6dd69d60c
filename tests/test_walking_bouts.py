"""Mobilise-D walking bouts: a pause longer than max_break_s ends a bout, turns do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.walking_bouts import WalkingBouts


def walk(t0: float, n: int, stride_s: float = 1.0, length_m: float = 1.3) -> pd.DataFrame:
    """``n`` strides per foot from ``t0`` (s), left contacts at t0 + k T, right half a stride later."""
    rows = []
    for side, lag in (("left", 0.0), ("right", 0.5 * stride_s)):
        start = t0 + lag + stride_s * np.arange(n)
        rows.append(pd.DataFrame({"side": side, "bout_id": -1, "start_s": start, "toe_off_s": start + 0.6 * stride_s,
                                  "end_s": start + stride_s, "stride_time_s": stride_s,
                                  "stride_length_m": length_m, "quality": "ok"}))
    return pd.concat(rows, ignore_index=True)


def test_a_pause_of_at_most_3_s_stays_inside_one_bout():
    # the latest end of the first part is 10.5 s: the next start comes 2.9 s later
    s = pd.concat([walk(0.0, 10), walk(13.4, 10)], ignore_index=True)
    wb = WalkingBouts().assemble(s)
    assert len(wb.bouts_) == 1
    assert (wb.strides_["bout_id"] == 0).all()


def test_a_pause_longer_than_3_s_ends_the_bout():
    s = pd.concat([walk(0.0, 10), walk(13.6, 10)], ignore_index=True)
    wb = WalkingBouts().assemble(s)
    assert len(wb.bouts_) == 2
    assert wb.bouts_["end_s"].iat[0] == 10.5
    assert wb.bouts_["start_s"].iat[1] == 13.6
    assert wb.bouts_[["n_strides_left", "n_strides_right"]].to_numpy().tolist() == [[10, 10], [10, 10]]


def test_short_turn_strides_stay_inside_the_bout_and_do_not_count():
    out, back = walk(0.0, 6), walk(9.0, 6)
    turn = walk(6.5, 2, stride_s=1.2, length_m=0.1)  # below the 0.15 m selection limit
    s = pd.concat([out, turn, back], ignore_index=True)
    wb = WalkingBouts().assemble(s)
    assert len(wb.bouts_) == 1
    assert (wb.strides_["bout_id"] == 0).all()
    assert not WalkingBouts().selected(turn).any()


def test_fewer_than_four_strides_are_no_bout():
    wb = WalkingBouts().assemble(walk(0.0, 2).iloc[:3])
    assert len(wb.bouts_) == 0
    assert (wb.strides_["bout_id"] == -1).all()
    assert len(WalkingBouts().assemble(walk(0.0, 2)).bouts_) == 1


def test_first_and_last_strides_belong_to_the_bout():
    s = walk(0.0, 8)
    s.loc[[0, 15], "stride_length_m"] = 0.65  # gait initiation and termination: half-length strides
    wb = WalkingBouts().assemble(s)
    assert (wb.strides_["bout_id"] == 0).all()
    assert (wb.bouts_["start_s"].iat[0], wb.bouts_["end_s"].iat[0]) == (0.0, 8.5)


def test_a_shuffle_below_the_selection_at_the_edge_is_outside():
    """Mobilise-D: a stride under 0.15 m is no stride; the bout spans the selected strides only."""
    s = walk(0.0, 8)
    s.loc[15, "stride_length_m"] = 0.05
    wb = WalkingBouts().assemble(s)
    assert wb.strides_["bout_id"].tolist() == [0] * 15 + [-1]
    assert wb.bouts_["end_s"].iat[0] == 8.0
