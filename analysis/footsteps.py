"""Per-footstep events table (``events.csv``): one row per footstep of each foot, from the strides table.

A footstep is one swing and the contact that ends it. A stride runs from one initial contact to the
next, so the contacts of a side are the starts and ends of its strides; a run of consecutive
strides with k strides holds k + 1 footsteps, the first step of a bout and its last step included.
Per footstep:

* ``toe_off_s``: the toe-off of the stride that ends at this contact; NaN where no stride ends
  there (the first footstep of a run: its swing started from standing or after a rejected pair);
* ``initial_contact_s``: the contact (s);
* ``mid_stance_s``: the mid-stance after this contact, of the stride starting there; NaN where no
  stride starts there (the last footstep of a run);
* ``bout_id`` and ``quality``: those of the stride that ends at the contact, else of the stride
  that starts there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: events.csv, in order
FOOTSTEP_COLUMNS = ("side", "bout_id", "toe_off_s", "initial_contact_s", "mid_stance_s", "quality")
#: two contacts of one side closer than this are one contact (s); strides share them exactly
SAME_CONTACT_S = 1e-6


def footsteps(strides: pd.DataFrame, mid_stance_s: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Footsteps (FOOTSTEP_COLUMNS) of ``strides`` (STRIDE_COLUMNS), sorted by side then contact time.

    ``mid_stance_s`` per stride row (analysis.strides.STRIDE_EXTRA_COLUMNS, aligned with ``strides``);
    None: the column is NaN.
    """
    ms = (np.full(len(strides), np.nan) if mid_stance_s is None
          else np.asarray(mid_stance_s, float))
    if len(ms) != len(strides):
        raise ValueError(f"footsteps: {len(ms)} mid-stance times for {len(strides)} strides")
    parts = []
    for side in ("left", "right"):
        rows = np.flatnonzero(strides["side"].to_numpy() == side)
        if len(rows) == 0:
            continue
        s = strides.iloc[rows]
        start, end = s["start_s"].to_numpy(float), s["end_s"].to_numpy(float)
        ic = np.unique(np.concatenate([start, end]))
        ic = ic[np.concatenate([[True], np.diff(ic) > SAME_CONTACT_S])]
        n = len(ic)
        out = {"toe_off_s": np.full(n, np.nan), "mid_stance_s": np.full(n, np.nan),
               "bout_id": np.full(n, -1, np.int64), "quality": np.full(n, "", object)}
        k_start = _index_of(ic, start)
        k_end = _index_of(ic, end)
        bout = s["bout_id"].to_numpy(np.int64)
        quality = s["quality"].astype(str).to_numpy(object)
        # strides starting at a contact first, then those ending there overwrite bout and quality
        out["mid_stance_s"][k_start] = ms[rows]
        out["bout_id"][k_start] = bout
        out["quality"][k_start] = quality
        out["toe_off_s"][k_end] = s["toe_off_s"].to_numpy(float)
        out["bout_id"][k_end] = bout
        out["quality"][k_end] = quality
        parts.append(pd.DataFrame({"side": side, "initial_contact_s": ic, **out}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("side", "quality") else float)
                             for c in FOOTSTEP_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(FOOTSTEP_COLUMNS)]


def _index_of(ic: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index in the sorted unique contacts ``ic`` of each time ``t`` (nearest)."""
    j = np.clip(np.searchsorted(ic, t), 1, max(len(ic) - 1, 1))
    return np.where(np.abs(ic[j - 1] - t) <= np.abs(ic[np.minimum(j, len(ic) - 1)] - t), j - 1,
                    np.minimum(j, len(ic) - 1))
