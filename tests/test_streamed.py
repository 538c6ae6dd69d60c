"""The streamed analysis (analysis.streamed) against the whole-file one (analysis.pipeline) on a simulated
recording of 40 minutes: walks of 1-7 minutes, a turn, standing and sitting, random mounting, dropped
samples. Blocks of 5 min and pieces of at most 200 s put many block and piece edges inside walking.

Measured on this recording (seed 5): the same 2851 strides with the same flags and bouts; contact times
within 2e-6 s; stride length within 0.29 % (strides without a gap; 0.85 % with one, whose integration
bridges the missing samples with each piece's own rest bias); peak dorsiflexion within 0.0007°, peak
eversion 0.005°, eversion excursion 0.09°. The limits below are those rounded up (stride length: 0.5 %
and 1 %, as the figures move by some 0.05 % when the detectors change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.pipeline import GaitPipeline
from analysis.sample_source import InMemorySource
from analysis.streamed import StreamedPipeline
from analysis.validation import stride_errors
from gait_sim import SimConfig, simulate
from gait_sim.config import BoutSpec

BOUTS = (BoutSpec("walking", 240), BoutSpec("standing", 40), BoutSpec("walking", 150, turn_deg=90),
         BoutSpec("turn", 3, turn_deg=180), BoutSpec("walking", 200), BoutSpec("sitting", 400),
         BoutSpec("walking", 330), BoutSpec("standing", 20), BoutSpec("walking", 60), BoutSpec("sitting", 300),
         BoutSpec("walking", 420), BoutSpec("standing", 60), BoutSpec("walking", 180))
BLOCK_S, PIECE_S = 300.0, 200.0


@pytest.fixture(scope="module")
def sim():
    minutes = sum(b.duration_s for b in BOUTS) / 60 + 0.5
    return simulate(SimConfig(minutes=minutes, seed=5, mounting="random", bouts=BOUTS))


@pytest.fixture(scope="module")
def whole(sim):
    return GaitPipeline().run(sim.signals).results_


@pytest.fixture(scope="module")
def streamed(sim):
    return StreamedPipeline(block_s=BLOCK_S, piece_s=PIECE_S).run(InMemorySource(sim.signals))


def test_edges_fall_inside_walking(streamed):
    """The comparison means something: piece and survey-block edges cut walking bouts."""
    res = streamed.results_
    walk = res.bouts.loc[res.bouts["activity"] == "walking", ["start_s", "end_s"]].to_numpy(float)
    cores = np.array([p.core_end_s for p in streamed.pieces_[:-1]])
    blocks = streamed.survey_.start_s + BLOCK_S * np.arange(1, int(streamed.survey_.end_s // BLOCK_S) + 1)
    for edges in (cores, blocks):
        inside = [(walk[:, 0] < e).any() and ((walk[:, 0] < e) & (walk[:, 1] > e)).any() for e in edges]
        assert sum(inside) >= 4


def test_same_strides_and_bouts(whole, streamed):
    """One to one, in the same order, with the same flags and bouts; times within 1 ms."""
    a, b = whole.strides, streamed.results_.strides
    assert len(a) == len(b) and len(a) > 2000
    assert (a["side"].to_numpy() == b["side"].to_numpy()).all()
    assert (a["bout_id"].to_numpy() == b["bout_id"].to_numpy()).all()
    assert (a["quality"].astype(str).to_numpy() == b["quality"].astype(str).to_numpy()).all()
    for c in ("start_s", "toe_off_s", "end_s", "stride_time_s"):
        assert np.abs(a[c] - b[c]).max() < 1e-3, c
    pd.testing.assert_frame_equal(whole.bouts.drop(columns=["start_s", "end_s"]),
                                  streamed.results_.bouts.drop(columns=["start_s", "end_s"]))
    for c in ("start_s", "end_s"):
        assert np.abs(whole.bouts[c] - streamed.results_.bouts[c]).max() < 1e-3
    assert whole.calibration_messages == streamed.results_.calibration_messages
    assert len(whole.events) == len(streamed.results_.events)


def test_same_stride_metrics(whole, streamed):
    a, b = whole.strides, streamed.results_.strides
    rel = (np.abs(a["stride_length_m"] - b["stride_length_m"]) / a["stride_length_m"]).to_numpy()
    gap = a["quality"].astype(str).str.contains("gap").to_numpy()
    assert rel[~gap].max() <= 0.005 and rel[gap].max() <= 0.01
    for c, tol in (("peak_dorsiflexion_deg", 0.01), ("peak_plantarflexion_deg", 0.01), ("sagittal_range_deg", 0.01),
                   ("peak_eversion_deg", 0.01), ("eversion_excursion_deg", 0.1), ("peak_tibial_accel_g", 1e-9)):
        d = np.abs(a[c] - b[c]).to_numpy()
        assert np.isnan(a[c]).sum() == np.isnan(b[c]).sum() and np.nanmax(d) <= tol, (c, np.nanmax(d))


def test_same_summary(whole, streamed):
    """Day and hourly medians: stride length within 0.1 %, angles within 0.01°, counts equal."""
    keys = ["period", "hour_start_s", "side", "metric"]
    m = whole.summary.merge(streamed.results_.summary, on=keys, suffixes=("_w", "_s"))
    assert len(m) == len(whole.summary) == len(streamed.results_.summary)
    assert (m["n_strides_w"] == m["n_strides_s"]).all()
    for metric, tol in (("stride_length_m", 0.001 * 1.5), ("peak_dorsiflexion_deg", 0.01), ("peak_eversion_deg", 0.01),
                        ("stride_time_s", 1e-4)):
        rows = m[(m["metric"] == metric) & (m["side"] != "asymmetry")]
        assert len(rows) and np.abs(rows["median_w"] - rows["median_s"]).max() <= tol, metric


def test_angles_cover_the_walking(whole, streamed):
    """The streamed angle table holds the moving windows, on the whole table's times and values."""
    a, b = whole.angles, streamed.results_.angles
    assert 0.5 * len(a) < len(b) < len(a)
    j = np.searchsorted(a["time_s"].to_numpy(), b["time_s"].to_numpy())
    assert np.abs(a["time_s"].to_numpy()[j] - b["time_s"].to_numpy()).max() < 1e-9
    walking = b["left_gap"].to_numpy() == False  # noqa: E712
    d = np.abs(a["left_dorsiflexion_deg"].to_numpy()[j] - b["left_dorsiflexion_deg"].to_numpy())[walking]
    assert np.nanpercentile(d, 99) < 0.01


def test_as_accurate_as_whole_on_truth(sim, whole, streamed):
    """Against the simulator's true strides, the streamed errors are those of the whole-file analysis."""
    def errors(res):
        s = res.strides[res.strides["quality"] == "ok"]
        return stride_errors(s, sim.truth_strides)

    ew, es = errors(whole), errors(streamed.results_)
    assert len(es) == len(ew) > 1500
    for c in ("peak_dorsiflexion_deg_err", "peak_eversion_deg_err", "len_err_pct", "ic_err_ms"):
        w, s = np.abs(ew[c].to_numpy()), np.abs(es[c].to_numpy())
        assert np.percentile(s, 95) <= np.percentile(w, 95) * 1.02 + 1e-3, c
        assert s.max() <= w.max() * 1.05 + 1e-3, c
