"""The analysis of a recording read in pieces of time (a SampleSource), in memory bounded by the pieces.

``StreamedPipeline(...).run(source, gaps)`` gives the tables of analysis.pipeline.GaitPipeline (its
``results_`` is a GaitResults) for a recording too long to hold in memory (a week of four sensors):

1. survey (analysis.stream_survey): one pass in blocks of ``block_s``: per leg sensor its rest and
   walking periods, gyroscope bias knots and per-second activity sums, per placement its holes;
2. calibration (analysis.stream_calibration): the existing calibration on a digest of each leg sensor,
   the neutral window and walking windows spread over the recording up to ``walking_budget_s``;
3. pieces (analysis.stream_pieces): the moving windows cut into pieces of at most ``piece_s``, each read
   with ``overlap_s`` around it: strides (StrideDetector), orientation with the whole recording's bias,
   angles with its mounting and neutral, per-stride angle metrics; each stride counted in one piece;
4. the whole-recording steps on the compact tables, the same code as GaitPipeline's: walking bouts and
   activity periods (analysis.bouts.tables_from_strides, with the per-window sums standing for the
   samples), lower-back columns, then analysis.pipeline.finish_tables (gap and hole flags, stride
   checks, summary, footsteps).

Differences from the whole-file analysis (measured in tests/test_streamed.py): detectors that use a whole
recording's statistics (the strides' rotation axis and gyroscope and accelerometer rest bias of the
zero-velocity trajectory, the heading median's subsampling phase) see a piece; the calibration sees
the digest. The angle table holds the pieces' cores only (moving windows), not the rest between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import columns as col
from analysis.activity import MOVE_RADPS, WINDOW_S
from analysis.algorithm import Algorithm
from analysis.bouts import tables_from_strides
from analysis.columns import STRIDE_COLUMNS
from analysis.conventions import LEG_PLACEMENTS
from analysis.errors import UserError
from analysis.orientation.filters import DEFAULT_FILTER, FILTERS
from analysis.parallel import in_parallel
from analysis.pipeline import MISSING_S, Progress, finish_tables
from analysis.results import GaitResults
from analysis.sample_source import SampleSource
from analysis.stream_calibration import calibrate_stream
from analysis.stream_pieces import analyse_piece, join_columns, lower_back_columns, pieces
from analysis.stream_survey import Survey, bias_knots_of, survey
from analysis.stride_checks import StrideChecks
from analysis.strides import STRIDE_EXTRA_COLUMNS, StrideDetector
from analysis.walking_bouts import WalkingBouts


class StreamedPipeline(Algorithm):
    """GaitPipeline's analysis of a SampleSource read in pieces of time (see module docstring).

    Parameters shared with analysis.pipeline.GaitPipeline (same meaning and defaults): ``filter``,
    ``neutral_interval_s``, ``stride_detector``, ``walking_bouts``, ``stride_checks``, ``missing_s``.

    Pieces and memory:
    ``block_s`` (s, 3600): survey block; memory grows with it (one hour of four 100 Hz sensors is
    about 100 MB of samples), speed hardly (a block costs its margins, 2 x ``margin_s``).
    ``margin_s`` (s, 10): samples read around a survey block; longer than the rest and walking
    detectors' windows and minimum runs (0.5 s / 1 s, 2 s / 4 s), so a block's core gives what the
    whole recording gives.
    ``piece_s`` (s, 600): longest core of an analysis piece; a piece of 4 sensors at 100 Hz with its
    intermediate arrays is a few hundred MB at most.
    ``overlap_s`` (s, 60): samples read around a piece core: 20 time constants of the orientation
    filter's 3 s accelerometer low-pass, twice the 30 s heading median, and far more than the
    stride detectors need (a stride is at most 3 s, a stance search 1.5 s).
    ``moving_pad_s`` (s, 30): the moving windows are widened by this, so a stride's rest before and
    after (and the zero-velocity detector's still samples) are inside.
    ``moving_radps`` (rad/s, analysis.activity.MOVE_RADPS): a one-second window is moving when a leg
    sensor's mean gyroscope norm exceeds it (a walking stride's is above 1 rad/s).
    ``walking_budget_s`` (s, 3600): walking per sensor in the calibration's digest; an hour holds
    thousands of strides (the flexion axis of a single bout is already stable to ~3°, see
    analysis.calibration.axes) and costs ~100 MB per sensor.
    ``digest_pad_s`` (s, 10): context around each digest window (orientation filter warm-up).
    ``digest_window_s`` (s, 600): longest digest window, so the budget spreads over many bouts.
    ``neutral_longest_s`` (s, 120): longest part of the first rest period read as the neutral window.

    Action: ``run(source, gaps)``. Results as GaitPipeline (``strides_``, ``strides_extra_``,
    ``events_``, ``bouts_``, ``summary_``, ``angles_`` (moving windows only), ``warnings_``,
    ``calibration_messages_``, ``results_``), plus ``survey_`` (analysis.stream_survey.Survey),
    ``calibration_`` (analysis.stream_calibration.StreamCalibration or None) and ``pieces_``.
    """

    def __init__(self, filter: str = DEFAULT_FILTER, neutral_interval_s: tuple[float, float] | None = None,  # noqa: A002
                 stride_detector: StrideDetector = StrideDetector(), walking_bouts: WalkingBouts = WalkingBouts(),
                 stride_checks: StrideChecks = StrideChecks(), missing_s: float = MISSING_S,
                 block_s: float = 3600.0, margin_s: float = 10.0, piece_s: float = 600.0, overlap_s: float = 60.0,
                 moving_pad_s: float = 30.0, moving_radps: float = MOVE_RADPS, walking_budget_s: float = 3600.0,
                 digest_pad_s: float = 10.0, digest_window_s: float = 600.0, neutral_longest_s: float = 120.0) -> None:
        self.filter = filter
        self.neutral_interval_s = neutral_interval_s
        self.stride_detector = stride_detector
        self.walking_bouts = walking_bouts
        self.stride_checks = stride_checks
        self.missing_s = missing_s
        self.block_s = block_s
        self.margin_s = margin_s
        self.piece_s = piece_s
        self.overlap_s = overlap_s
        self.moving_pad_s = moving_pad_s
        self.moving_radps = moving_radps
        self.walking_budget_s = walking_budget_s
        self.digest_pad_s = digest_pad_s
        self.digest_window_s = digest_window_s
        self.neutral_longest_s = neutral_longest_s

    def run(self, source: SampleSource, gaps: pd.DataFrame | None = None, *,
            progress: Progress | None = None) -> StreamedPipeline:
        """Analyse the recording ``source`` (its placements' samples, sensor frame, any mounting) with the
        recording's ``gaps`` table. ``progress(fraction, stage)`` is called between steps. Returns self."""
        if self.filter not in FILTERS:
            raise UserError(f"filter: unknown orientation filter {self.filter!r} (one of {', '.join(FILTERS)})")

        def report(frac: float, stage: str) -> None:
            if progress is not None:
                progress(frac, stage)

        placements = [p for p in source.placements if np.isfinite(source.span_s(p)[0])]
        legs = [p for p in placements if p in LEG_PLACEMENTS]
        if not legs:
            raise UserError("streamed analysis: no leg sensor (shin or foot); a lower back alone is analysed whole")
        report(0.0, "survey")
        sv = survey(source, placements, legs, block_s=self.block_s, margin_s=self.margin_s, window_s=WINDOW_S,
                    missing_s=self.missing_s)
        warnings = [f"{p}: fewer than 10 samples, not analysed" for p in placements if sv.sensors[p].samples < 10]
        placements = [p for p in placements if sv.sensors[p].samples >= 10]
        legs = [p for p in legs if p in placements]
        if not legs:
            raise UserError("streamed analysis: no leg sensor has 10 samples or more")
        knots = in_parallel(lambda p: bias_knots_of(source, p, sv.sensors[p].rest, self.block_s), legs)
        for p, (at_s, radps) in zip(legs, knots):
            sv.sensors[p].bias_knots_s, sv.sensors[p].bias_knots_radps = at_s, radps
        report(0.2, "calibration")
        grid_of = _grid(sv, legs)
        cal, cal_messages = None, []
        try:
            cal = calibrate_stream(source, sv, legs, grid_of, neutral_interval_s=self.neutral_interval_s,
                                   method=self.filter, walking_budget_s=self.walking_budget_s,
                                   pad_s=self.digest_pad_s, longest_s=self.digest_window_s,
                                   neutral_longest_s=self.neutral_longest_s)
            cal_messages = cal.messages
            if not cal.sensors:
                warnings.append("no ankle angles: no sensor could be calibrated")
        except UserError as exc:
            if self.neutral_interval_s is not None:
                raise
            warnings.append(f"no ankle angles: {exc}")
        parts = pieces(sv, legs, moving_radps=self.moving_radps, pad_s=self.moving_pad_s, piece_s=self.piece_s,
                       overlap_s=self.overlap_s)
        found, angle_parts = [], []
        for k, piece in enumerate(parts):
            report(0.3 + 0.6 * k / max(len(parts), 1), "strides and ankle angles")
            s, a = analyse_piece(source, sv, piece, legs, cal, self.stride_detector, grid_of)
            if len(s):
                found.append(s)
            if len(a):
                angle_parts.append(a)
        strides = _in_order(found)
        strides, bouts = tables_from_strides(strides, activity_signals(sv, legs), self.walking_bouts)
        walking = bouts.loc[bouts["activity"] == "walking", ["start_s", "end_s"]].to_numpy(float) if len(bouts) else None
        strides = lower_back_columns(source, strides, parts, walking)
        angles = join_columns(angle_parts) if angle_parts else pd.DataFrame({col.TIME: np.zeros(0)})
        report(1.0, "done")
        self.survey_, self.calibration_, self.pieces_ = sv, cal, parts
        results = finish_tables(strides, bouts, angles, sv.holes(), sv.end_s - sv.start_s, gaps, warnings,
                                cal_messages, stride_checks=self.stride_checks, filter=self.filter,
                                neutral_interval_s=self.neutral_interval_s,
                                duration_s=max(sv.sensors[p].last_s for p in placements))
        self.strides_, self.strides_extra_, self.events_ = results.strides, results.strides_extra, results.events
        self.bouts_, self.summary_, self.angles_ = results.bouts, results.summary, results.angles
        self.warnings_, self.calibration_messages_ = results.warnings, results.calibration_messages
        self.results_ = results
        return self


#: a stride's end and the next stride's start found in two pieces are one contact when this close (s): the
#: pieces' event times differ by ~1e-6 s (their own rotation axis), a real step by more than 0.2 s
SAME_CONTACT_S = 1e-3


def _in_order(found: list[pd.DataFrame]) -> pd.DataFrame:
    """The pieces' strides in the whole-file order: left then right, each in time, ``stride_id`` 0.. per side.

    A contact that ends a stride of one piece and starts the next stride in the next piece is one
    contact: the stride's end takes the next piece's time (and its stride time, stance fraction and
    speed follow), so the other foot's checks (analysis.stride_checks) count it once."""
    cols = list(STRIDE_COLUMNS) + list(STRIDE_EXTRA_COLUMNS)
    if not found:
        return pd.DataFrame(columns=cols)
    out = pd.concat([f.assign(_piece=k) for k, f in enumerate(found)], ignore_index=True)
    side = out["side"].map({"left": 0, "right": 1}).to_numpy()
    out = out.iloc[np.lexsort((out["start_s"].to_numpy(float), side))].reset_index(drop=True)
    side, piece = out["side"].to_numpy(), out["_piece"].to_numpy()
    start, end = out["start_s"].to_numpy(float), out["end_s"].to_numpy(float)
    join = np.flatnonzero((side[1:] == side[:-1]) & (piece[1:] != piece[:-1])
                          & (np.abs(start[1:] - end[:-1]) < SAME_CONTACT_S))
    if len(join):
        rows = out.index[join]
        out.loc[rows, "end_s"] = start[join + 1]
        out.loc[rows, "stride_time_s"] = out.loc[rows, "end_s"] - out.loc[rows, "start_s"]
        out.loc[rows, "stance_fraction"] = (out.loc[rows, "toe_off_s"] - out.loc[rows, "start_s"]) \
            / out.loc[rows, "stride_time_s"]
        out.loc[rows, "speed_mps"] = out.loc[rows, "stride_length_m"] / out.loc[rows, "stride_time_s"]
    out["stride_id"] = out.groupby("side").cumcount()
    return out.drop(columns="_piece")


def activity_signals(sv: Survey, legs: list[str]) -> dict[str, pd.DataFrame]:
    """Per leg sensor, what analysis.activity.classify_activity reads of its samples, one second at a time:
    two rows per window with samples (its first and last sample time, so the recording's span is kept),
    both holding the window's mean accelerometer and, as x rate, its mean gyroscope norm."""
    out = {}
    for p in legs:
        s = sv.sensors[p]
        ok = np.flatnonzero(s.count > 0)
        acc = s.acc_sum[ok] / s.count[ok, None]
        gn = s.gyr_norm_sum[ok] / s.count[ok]
        t = np.column_stack([s.first_s[ok], s.last_in_s[ok]]).ravel()
        frame = {col.TIME: t}
        for i, c in enumerate(col.ACC):
            frame[c] = np.repeat(acc[:, i], 2)
        frame[col.GYR[0]] = np.repeat(gn, 2)
        frame[col.GYR[1]] = frame[col.GYR[2]] = np.zeros(len(t))
        out[p] = pd.DataFrame(frame)
    return out


def _grid(sv: Survey, legs: list[str]):
    """The whole recording's angle grid (analysis.angles: from the first leg sample at the highest leg
    rate) as a function of (start_s, end_s)."""
    start = min(sv.sensors[p].first_s[np.isfinite(sv.sensors[p].first_s)][0] for p in legs)
    stop = max(sv.sensors[p].last_s for p in legs)
    rate = max(sv.sensors[p].rate_hz for p in legs)
    last = int(np.floor((stop - start) * rate))

    def grid_of(a: float, b: float) -> np.ndarray:
        k0 = max(0, int(np.ceil((a - start) * rate)))
        k1 = min(last, int(np.floor((b - start) * rate)))
        return start + np.arange(k0, k1 + 1) / rate if k1 >= k0 else np.zeros(0)
    return grid_of


def analyze_source(source: SampleSource, gaps: pd.DataFrame | None = None, progress: Progress | None = None,
                   **params) -> GaitResults:
    """``StreamedPipeline(**params).run(source, gaps, progress=progress).results_`` in one call."""
    return StreamedPipeline(**params).run(source, gaps, progress=progress).results_
