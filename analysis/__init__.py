"""Offline gait analysis: per-sensor DataFrames in, ankle angles, strides and day summaries out.

Public API::

    from analysis import GaitPipeline, GaitResults
    pipe = GaitPipeline(filter="smoothed").run(samples, gaps)   # samples: placement -> DataFrame
    pipe.strides_, pipe.bouts_, pipe.summary_, pipe.angles_, pipe.warnings_
    pipe.results_.save("results/")                               # strides.csv, bouts.csv, ...
    GaitResults.load("results/")

``samples`` maps a placement (``left_shin``, ``left_foot``, ``right_shin``, ``right_foot``) to a
DataFrame with analysis.columns.SAMPLE_COLUMNS (time in s, acceleration in m/s², angular rate in
rad/s, sensor frame, any mounting). This package never imports imu_logger, bleak, Bumble or the
capture side.
"""

from analysis.bouts import BoutRules
from analysis.errors import UserError
from analysis.pipeline import GaitPipeline, analyze
from analysis.results import GaitResults

__all__ = ["BoutRules", "GaitPipeline", "GaitResults", "UserError", "analyze"]
