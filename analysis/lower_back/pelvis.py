"""Per-stride pelvic tilt, obliquity and rotation from a lower-back sensor (conventions: analysis.lower_back)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.columns import PELVIS_COLUMNS

from .frame import LowerBackFrame
from .strides_window import StrideWindowMetric, stride_slices


class PelvisMotion(StrideWindowMetric):
    """Pelvic angle ranges per stride (max - min over [start_s, end_s]) and the tilt's stance mean
    (over [start_s, toe_off_s]), degrees, 0° = quiet standing. The rotation is the yaw minus its straight
    line from stride start to end (the direction of travel, also on curves).
    Parameters: analysis.lower_back.strides_window.StrideWindowMetric (``max_gap_s``).
    """

    def compute(self, frame: LowerBackFrame, strides: pd.DataFrame) -> "PelvisMotion":
        """``strides`` needs start_s, toe_off_s, end_s (seconds, the lower-back time base). Result:
        ``metrics_``, a DataFrame of PELVIS_COLUMNS with the index of ``strides``."""
        t, ang = frame.time_s_, frame.angles_deg_
        start, to, end = (strides[c].to_numpy(float) for c in ("start_s", "toe_off_s", "end_s"))
        out = np.full((len(strides), len(PELVIS_COLUMNS)), np.nan)
        for i, sl in enumerate(stride_slices(t, start, end, frame.sampling_rate_hz_, self.max_gap_s)):
            if sl is None:
                continue
            ts, tilt, obl, yaw = t[sl], ang[sl, 0], ang[sl, 1], ang[sl, 2]
            if not np.isfinite(tilt).all():
                continue
            u = (ts - ts[0]) / max(ts[-1] - ts[0], 1e-9)
            rot = yaw - (yaw[0] + u * (yaw[-1] - yaw[0]))
            stance = ts <= to[i] if np.isfinite(to[i]) else np.zeros(len(ts), bool)
            out[i] = [np.ptp(tilt), tilt[stance].mean() if stance.any() else np.nan, np.ptp(obl), np.ptp(rot)]
        self.metrics_ = pd.DataFrame(out, columns=list(PELVIS_COLUMNS), index=strides.index)
        return self
