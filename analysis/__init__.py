"""Offline gait analysis: per-sensor DataFrames in, ankle angles, strides and day summaries out.

Public API::

    from analysis import GaitPipeline, GaitResults
    pipe = GaitPipeline(filter="smoothed").run(samples, gaps)   # samples: placement -> DataFrame
    pipe.strides_, pipe.bouts_, pipe.summary_, pipe.angles_, pipe.warnings_
    pipe.results_.save("results/")                               # strides.csv, bouts.csv, ...
    GaitResults.load("results/")

Tuning: ``GaitPipeline(stride_detector=StrideDetector(foot_events=SwingEventDetector(to_fraction=0.7),
zero_velocity=ZeroVelocityDetector(gyr_thresh_radps=0.8)), bout_rules=BoutRules(max_pause_s=3))``;
every parameter's unit and source is in its class's docstring.

``samples`` maps a placement (``left_shin``, ``left_foot``, ``right_shin``, ``right_foot``) to a
DataFrame with analysis.columns.SAMPLE_COLUMNS (time in s, acceleration in m/s², angular rate in
rad/s, sensor frame, any mounting). This package never imports imu_logger, bleak, Bumble or the
capture side.
"""

from analysis.bouts import BoutRules
from analysis.errors import UserError
from analysis.events import SwingEventDetector
from analysis.pipeline import GaitPipeline, analyze
from analysis.results import GaitResults
from analysis.strides import StrideDetector
from analysis.zupt import ZeroVelocityDetector

__all__ = ["BoutRules", "GaitPipeline", "GaitResults", "StrideDetector", "SwingEventDetector", "UserError",
           "ZeroVelocityDetector", "analyze"]
