"""Offline gait analysis: per-sensor DataFrames in, ankle angles, strides and day summaries out.

Public API::

    from analysis import GaitPipeline, GaitResults
    pipe = GaitPipeline(filter="smoothed").run(samples, gaps)   # samples: placement -> DataFrame
    pipe.strides_, pipe.bouts_, pipe.summary_, pipe.angles_, pipe.warnings_
    pipe.results_.save("results/")                               # strides.csv, events.csv, bouts.csv, ...
    GaitResults.load("results/")

Tuning: ``GaitPipeline(stride_detector=StrideDetector(foot_events=SwingEventDetector(to_fraction=0.7),
zero_velocity=ZeroVelocityDetector(gyr_thresh_radps=0.8)), walking_bouts=WalkingBouts(max_break_s=2))``;
every parameter's unit and source is in its class's docstring.

``samples`` maps a placement (``left_shin``, ``left_foot``, ``right_shin``, ``right_foot``) to a
DataFrame with analysis.columns.SAMPLE_COLUMNS (time in s, acceleration in m/s², angular rate in
rad/s, sensor frame, any mounting). This package never imports imu_logger, bleak, Bumble or the
capture side.
"""

from analysis.errors import UserError
from analysis.events import SwingEventDetector
from analysis.pipeline import GaitPipeline, analyze
from analysis.results import GaitResults
from analysis.stride_checks import StrideChecks
from analysis.strides import StrideDetector
from analysis.walking_bouts import WalkingBouts
from analysis.zupt import ZeroVelocityDetector

__all__ = ["GaitPipeline", "GaitResults", "StrideChecks", "StrideDetector", "SwingEventDetector", "UserError",
           "WalkingBouts", "ZeroVelocityDetector", "analyze"]
