"""Per-stride forward lean of the lumbopelvic segment (analysis.lower_back: what L5/S1 sees of the trunk)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frame import LowerBackFrame
from .strides_window import StrideWindowMetric, stride_slices


class TrunkLean(StrideWindowMetric):
    """Mean tilt over each stride [start_s, end_s], degrees, + forward of quiet standing.

    Parameters: analysis.lower_back.strides_window.StrideWindowMetric (``max_gap_s``).
    """

    def compute(self, frame: LowerBackFrame, strides: pd.DataFrame) -> "TrunkLean":
        """Result: ``metrics_``, a DataFrame of TRUNK_COLUMNS with the index of ``strides``."""
        t, tilt = frame.time_s_, frame.angles_deg_[:, 0]
        start, end = strides["start_s"].to_numpy(float), strides["end_s"].to_numpy(float)
        lean = np.full(len(strides), np.nan)
        for i, sl in enumerate(stride_slices(t, start, end, frame.sampling_rate_hz_, self.max_gap_s)):
            if sl is not None:
                lean[i] = float(np.mean(tilt[sl]))
        self.metrics_ = pd.DataFrame({"trunk_lean_deg": lean}, index=strides.index)
        return self
