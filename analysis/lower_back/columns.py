"""The lower back's strides.csv columns joined onto a strides table: the one call the pipeline makes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.columns import LOWER_BACK_COLUMNS
from analysis.errors import UserError

from .frame import LowerBackFrame
from .gait import LowerBackGait
from .pelvis import PelvisMotion
from .shock import SacralShock
from .trunk import TrunkLean

PLACEMENT = "lower_back"
#: columns the lower back adds to strides.csv, in order
LOWER_BACK_STRIDE_COLUMNS = LOWER_BACK_COLUMNS  # defined with every column name, in analysis.columns


def add_lower_back_columns(strides: pd.DataFrame, samples: dict[str, pd.DataFrame],
                           walking: np.ndarray | None = None, frame: LowerBackFrame | None = None
                           ) -> pd.DataFrame:
    """``strides`` (start_s, toe_off_s, end_s, optionally peak_tibial_accel_g; any index) with
    LOWER_BACK_STRIDE_COLUMNS added, NaN where there is no lower-back sensor, no walking in its data, or
    no samples in the stride. ``walking`` (k, 2) [start_s, end_s] and ``frame`` (an aligned
    LowerBackFrame) are optional: passed on or reused instead of found again."""
    out = strides.drop(columns=[c for c in LOWER_BACK_STRIDE_COLUMNS if c in strides])
    lb = samples.get(PLACEMENT)
    if frame is None and lb is not None and len(lb) and len(out):
        try:
            frame = LowerBackFrame().align(lb, walking=walking)
        except UserError:
            frame = None  # no walking in the lower back's data: its columns stay NaN
    if frame is None or len(out) == 0:
        for c in LOWER_BACK_STRIDE_COLUMNS:
            out[c] = np.nan
        return out
    return out.join(pd.concat([PelvisMotion().compute(frame, out).metrics_, TrunkLean().compute(frame, out).metrics_,
                               SacralShock().compute(lb, out).metrics_], axis=1))


def lower_back_strides(samples: dict[str, pd.DataFrame], sensor_height_m: float = 0.95) -> pd.DataFrame:
    """Strides from the lower-back sensor alone (LowerBackGait.strides_) with LOWER_BACK_STRIDE_COLUMNS;
    raises UserError naming the placement without its samples or without walking."""
    lb = samples.get(PLACEMENT)
    if lb is None or len(lb) == 0:
        raise UserError(f"{PLACEMENT}: no samples")
    frame = LowerBackFrame().align(lb)
    strides = LowerBackGait(sensor_height_m=sensor_height_m).detect(frame).strides_
    return add_lower_back_columns(strides, samples, frame=frame)
