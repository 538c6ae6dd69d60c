"""analysis.ipol_validation.score_event_rows: events.csv rows against IPOL's reference footsteps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ipol_validation import score_event_rows

# samples at 100 Hz: walk 1-30 s, U-turn 14-16 s; left footsteps [toe-off, heel strike]
META = {"Subject": 3, "TrialBoundaries": [100, 3000], "UTurnBoundaries": [1400, 1600],
        "LeftFootEvents": [[200, 250], [600, 650], [1450, 1500], [2000, 2050]], "RightFootEvents": [[300, 350]]}


def rows(contacts, toe_offs, quality):
    return pd.DataFrame({"side": "left", "initial_contact_s": contacts, "toe_off_s": toe_offs,
                         "quality": quality})


def test_rows_match_by_contact_and_false_rows_count_whatever_their_flag():
    ev = rows([2.47, 6.54, 10.0, 20.80, 31.0], [np.nan, 6.02, 9.5, 20.05, 30.5],
              ["ok", "ok", "implausible|atypical", "ok", "ok"])
    s = score_event_rows(META, ev)
    ref = s[(s["kind"] == "ref") & (s["side"] == "left")]
    assert not s.loc[s["side"] == "right", "matched"].any()  # no right rows: its footstep is missed
    assert ref["place"].tolist() == ["first", "straight", "turn", "last"]
    # 20.80 is 0.30 s from the last heel strike, more than half its 0.5 s swing: not that footstep
    assert ref["matched"].tolist() == [True, True, False, False]
    assert np.isnan(ref["to_err_ms"].iat[0])  # a run's first row has no toe-off
    assert np.allclose(ref["ic_err_ms"].iloc[:2], [-30.0, 40.0])
    assert abs(ref["to_err_ms"].iat[1] - 20.0) < 1e-6
    false = s[s["kind"] == "false"]
    # the flagged row is still a false footstep; 31.0 s is outside the trial and not counted
    assert sorted(false["quality"]) == ["implausible|atypical", "ok"]
    assert sorted(false["place"]) == ["last", "straight"]  # by the nearest heel strike
