"""Quality flags have one order, whichever step added them first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.quality import QUALITY_FLAGS, add_flag, join_flags
from imu_logger.api import analyze_recording

SAMPLE_RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "sample" / "walk-1min.mcap"


def test_flags_join_in_the_one_order_whatever_their_arrival():
    assert join_flags(["turn", "atypical", "gap"]) == "gap|atypical|turn"
    assert join_flags([]) == "ok"
    q = pd.Series(["ok", "turn", "gap|turn"])
    q = add_flag(q, np.array([True, True, False]), "rhythm")
    q = add_flag(q, np.array([True, False, True]), "gap")
    assert list(q) == ["gap|rhythm", "rhythm|turn", "gap|turn"]


def test_every_quality_of_an_analysis_is_in_that_order():
    strides = analyze_recording(SAMPLE_RECORDING).strides
    rank = {f: i for i, f in enumerate(QUALITY_FLAGS)}
    for q in strides["quality"]:
        flags = q.split("|")
        assert q == "ok" or all(f in rank for f in flags), q
        assert [rank.get(f, -1) for f in flags] == sorted(rank.get(f, -1) for f in flags), q
