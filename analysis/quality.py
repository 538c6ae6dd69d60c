"""The quality flags of a stride, and their one order.

``quality`` is ``ok`` or the stride's flags joined by ``|`` in QUALITY_FLAGS order: first what went
wrong in the data (``gap`` a gap of the recording, ``sensor_missing`` a sensor of the side had no
samples, ``saturation`` a sensor hit its range), then why the analysis does not trust the stride
(``implausible`` outside the ranges of one walking stride; the plausibility checks of
analysis.stride_checks: ``no_bout``, ``alternation``, ``rhythm``, ``atypical``, ``swing_count``), then
what it is (``turn`` the foot's heading changed by more than 20°, ``shin_only`` no foot sensor,
``lower_back_only`` found from the lower-back sensor alone).
UNTRUSTED_FLAGS keep a stride out of every median (analysis.summary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHECK_FLAGS = ("no_bout", "alternation", "rhythm", "atypical", "swing_count")
UNTRUSTED_FLAGS = ("implausible", *CHECK_FLAGS)
QUALITY_FLAGS = ("gap", "sensor_missing", "saturation", *UNTRUSTED_FLAGS, "turn", "shin_only", "lower_back_only")
_RANK = {f: i for i, f in enumerate(QUALITY_FLAGS)}


def join_flags(flags: list[str] | set[str]) -> str:
    """``ok``, or the flags in QUALITY_FLAGS order joined by ``|`` (each once)."""
    return "|".join(sorted(set(flags), key=lambda f: _RANK.get(f, len(_RANK)))) or "ok"


def add_flag(quality: pd.Series, mask: np.ndarray, flag: str) -> pd.Series:
    """``quality`` with ``flag`` added where ``mask`` is true, keeping the one order."""
    q = quality.astype(object).to_numpy().copy()
    for i in np.flatnonzero(mask):  # flagged rows only
        unflagged = pd.isna(q[i]) or q[i] in ("ok", "")  # missing first: `NA in (...)` would compare with NA
        old = [] if unflagged else str(q[i]).split("|")
        q[i] = join_flags([*old, flag])
    return pd.Series(q, index=quality.index)


__all__ = ["CHECK_FLAGS", "QUALITY_FLAGS", "UNTRUSTED_FLAGS", "add_flag", "join_flags"]
