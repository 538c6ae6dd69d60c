"""The calibration of a streamed analysis: the existing calibration run on a bounded digest of the recording.

The digest of each leg sensor holds the samples of the neutral window (quiet standing: the first rest
period all legs share, or the interval the user gives, with the walking that should follow it) and of
walking windows spread over the recording up to a budget of walking time. Its rest and walking masks
and gyroscope bias are the survey's (analysis.stream_survey), so the digest is calibrated as the whole
recording would be (analysis.calibration.calibrate_sensors): swaps and side relabelling, neutral
interval, mounting and axis signs, slip epochs (found between the digest's walking windows, so a slip
is dated to the gap between two of them), upside-down check, with the same messages.

What the analysis of the pieces needs is kept (StreamCalibration): per analysed placement its recorded
placement, mounting epochs and flags, per side the neutral interval and neutral quaternion, the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import columns as col
from analysis.angles import HEADING_WINDOW_S, neutral_quaternion
from analysis.calibration import Calibration, MountingEpoch, calibrate_sensors
from analysis.calibration.neutral import MIN_NEUTRAL_S, NEUTRAL_BEFORE_WALK_S
from analysis.calibration.sensor import SensorData
from analysis.calibration.bias import subtract_bias
from analysis.orientation import contiguous_segments
from analysis.sample_source import SampleSource
from analysis.stream_survey import Survey


@dataclass
class SensorMounting:
    """What a piece needs of one analysed sensor's calibration."""

    placement: str
    source: str
    mountings: list[MountingEpoch]
    upside_down: bool
    flexion_axis_sign_evidence: str


@dataclass
class StreamCalibration:
    """The calibration of a whole recording in compact form (see module docstring)."""

    sensors: dict[str, SensorMounting]
    neutral_s: dict[str, tuple[float, float]]
    neutral_quaternions: dict[str, np.ndarray]
    messages: list[str]
    method: str


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """(k, 2) intervals sorted and merged where they overlap or touch."""
    if len(iv) == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    out = [list(iv[0])]
    for a, b in iv[1:]:
        if a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return np.array(out, dtype=float)


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = [(max(x0, y0), min(x1, y1)) for x0, x1 in a for y0, y1 in b if min(x1, y1) > max(x0, y0)]
    return np.array(sorted(out), dtype=float).reshape(-1, 2)


def neutral_window(survey: Survey, legs: list[str], given: tuple[float, float] | None, *, context_s: float,
                   longest_s: float) -> tuple[float, float]:
    """The digest's neutral window (s): per side the first rest period its sensors share (at most
    ``longest_s`` of it), or the ``given`` interval, widened by ``context_s`` before and by the walking
    check's NEUTRAL_BEFORE_WALK_S plus ``context_s`` after."""
    spans = []
    for side in ("left", "right"):
        mine = [p for p in legs if p.startswith(side)]
        if not mine:
            continue
        if given is not None:
            spans.append(given)
            continue
        common = survey.sensors[mine[0]].rest.times()
        for p in mine[1:]:
            common = _intersect(common, survey.sensors[p].rest.times())
        long = common[common[:, 1] - common[:, 0] >= MIN_NEUTRAL_S]
        a = float(long[0, 0]) if len(long) else survey.start_s
        spans.append((a, min(float(long[0, 1]), a + longest_s) if len(long) else a + longest_s))
    a = min((x for x, _ in spans), default=survey.start_s)
    b = max((y for _, y in spans), default=survey.start_s)
    return a - context_s, b + NEUTRAL_BEFORE_WALK_S + context_s


def walking_windows(survey: Survey, legs: list[str], budget_s: float, pad_s: float, longest_s: float) -> np.ndarray:
    """(k, 2) walking windows (s) of the digest: the legs' walking periods padded by ``pad_s``, merged, each
    cut to its first ``longest_s``, chosen evenly over the recording (a golden-ratio sequence over their
    order) until their walking time reaches ``budget_s``."""
    iv = np.concatenate([survey.sensors[p].walking.times() for p in legs]) if legs else np.zeros((0, 2))
    win = merge_intervals(iv + np.array([-pad_s, pad_s]))
    if len(win) == 0:
        return win
    win[:, 1] = np.minimum(win[:, 1], win[:, 0] + longest_s)
    order = np.argsort(np.modf(np.arange(len(win)) * 0.6180339887498949)[0], kind="stable")
    length = win[order, 1] - win[order, 0] - 2 * pad_s
    take = order[np.cumsum(length) - length < budget_s]
    return win[np.sort(take)]


def _in_runs(t: np.ndarray, runs_s: np.ndarray) -> np.ndarray:
    """Boolean (n,): the sample time lies in one of the [first, last] runs."""
    if len(runs_s) == 0:
        return np.zeros(len(t), bool)
    j = np.searchsorted(runs_s[:, 0], t, side="right") - 1
    return (j >= 0) & (t <= runs_s[np.maximum(j, 0), 1])


def digest(source: SampleSource, survey: Survey, placement: str, windows: np.ndarray) -> SensorData:
    """The working data of one sensor over the digest ``windows`` (s), with the survey's masks and bias."""
    parts = [source.read(placement, a, b) for a, b in windows]
    df = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    t = df[col.TIME].to_numpy(float)
    acc = np.array(df[list(col.ACC)].to_numpy(np.float32), dtype=np.float32)
    gyr = np.array(df[list(col.GYR)].to_numpy(np.float32), dtype=np.float32)
    s = survey.sensors[placement]
    subtract_bias(t, gyr, s.bias_knots_s, s.bias_knots_radps)  # as analysis.calibration.sensor.prepare
    return SensorData(placement, t, acc, gyr, s.rate_hz, contiguous_segments(t), _in_runs(t, s.rest.times()),
                      _in_runs(t, s.walking.times()), s.bias_knots_s, s.bias_knots_radps)


def calibrate_stream(source: SampleSource, survey: Survey, legs: list[str], grid_of, *,
                     neutral_interval_s: tuple[float, float] | None, method: str, walking_budget_s: float,
                     pad_s: float, longest_s: float, neutral_longest_s: float) -> StreamCalibration:
    """Calibrate the legs on their digest (module docstring). ``grid_of(a, b)`` gives the whole
    recording's angle grid (s) between a and b, on which the neutral quaternion is found."""
    neutral = neutral_window(survey, legs, neutral_interval_s, context_s=pad_s + HEADING_WINDOW_S,
                             longest_s=neutral_longest_s)
    windows = merge_intervals(np.vstack([[neutral], walking_windows(survey, legs, walking_budget_s, pad_s, longest_s)]))
    prepared = {p: digest(source, survey, p, windows) for p in legs}
    cal: Calibration = calibrate_sensors(prepared, neutral_interval_s, method)
    q_neutral = {}
    for side, (a, b) in cal.neutral_s.items():
        q = neutral_quaternion(cal, side, grid_of(a - HEADING_WINDOW_S, b + HEADING_WINDOW_S))
        if q is not None:
            q_neutral[side] = q
    sensors = {p: SensorMounting(p, c.source, c.mountings, c.upside_down, c.flexion_axis_sign_evidence)
               for p, c in cal.sensors.items()}
    return StreamCalibration(sensors, dict(cal.neutral_s), q_neutral, cal.messages(), cal.method)
