"""events.csv: one row per footstep, the first and last steps of each run of strides included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.footsteps import FOOTSTEP_COLUMNS, footsteps


def strides_of(side: str, contacts: list[float], bout: int = 0) -> pd.DataFrame:
    c = np.asarray(contacts)
    return pd.DataFrame({"side": side, "bout_id": bout, "start_s": c[:-1], "toe_off_s": c[:-1] + 0.6,
                         "end_s": c[1:], "quality": "ok"})


def test_k_strides_give_k_plus_one_footsteps_with_the_edges_marked_unknown():
    s = strides_of("left", [1.0, 2.0, 3.0, 4.0])
    ms = s["start_s"].to_numpy() + 0.3
    f = footsteps(s, ms)
    assert tuple(f.columns) == FOOTSTEP_COLUMNS
    assert f["initial_contact_s"].tolist() == [1.0, 2.0, 3.0, 4.0]
    # the first step's toe-off precedes every stride; the last step's stance follows every stride
    assert np.isnan(f["toe_off_s"].iat[0]) and np.isnan(f["mid_stance_s"].iat[-1])
    assert f["toe_off_s"].iloc[1:].tolist() == pytest.approx([1.6, 2.6, 3.6])
    assert f["mid_stance_s"].iloc[:-1].tolist() == pytest.approx([1.3, 2.3, 3.3])


def test_two_runs_and_both_sides():
    left = pd.concat([strides_of("left", [1.0, 2.0, 3.0]), strides_of("left", [9.0, 10.0], bout=1)])
    right = strides_of("right", [1.5, 2.5, 3.5])
    right.loc[1, "quality"] = "gap"
    f = footsteps(pd.concat([left, right], ignore_index=True))
    assert (f["side"] == "left").sum() == 5 and (f["side"] == "right").sum() == 3
    lf = f[f["side"] == "left"]
    assert lf["bout_id"].tolist() == [0, 0, 0, 1, 1]
    assert lf["toe_off_s"].isna().tolist() == [True, False, False, True, False]
    # a footstep takes the quality of the stride its swing belongs to (the one ending at its contact)
    assert f.loc[f["side"] == "right", "quality"].tolist() == ["ok", "ok", "gap"]
    assert f["mid_stance_s"].isna().all()


def test_no_strides_give_an_empty_table_with_the_columns():
    f = footsteps(pd.DataFrame(columns=["side", "bout_id", "start_s", "toe_off_s", "end_s", "quality"]))
    assert len(f) == 0 and tuple(f.columns) == FOOTSTEP_COLUMNS


def test_mid_stance_length_must_match():
    with pytest.raises(ValueError, match="mid-stance"):
        footsteps(strides_of("left", [1.0, 2.0, 3.0]), np.zeros(5))
