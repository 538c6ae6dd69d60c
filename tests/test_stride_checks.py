"""Stride plausibility checks: each flag fires on the failure it names and leaves normal walking ok."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stride_checks import IPOL_STEP_MODEL, StepModel, StrideChecks
from conftest import load_benchmark


def walk(n: int = 12, stride_s: float = 1.07, length_m: float = 1.3, seed: int = 0) -> pd.DataFrame:
    """Both feet, ``n`` strides each, one bout: left contacts with 2 % stride-to-stride variation,
    each right contact midway between two left ones (± 1 %)."""
    rng = np.random.default_rng(seed)
    left = 10.0 + np.concatenate([[0.0], np.cumsum(stride_s * (1 + 0.02 * rng.standard_normal(n + 1)))])
    right = 0.5 * (left[1:] + left[:-1]) + 0.01 * stride_s * rng.standard_normal(n + 1)
    rows = []
    for side, c in (("left", left[:n + 1]), ("right", right[:n + 1])):
        t = np.diff(c)
        rows.append(pd.DataFrame({"side": side, "bout_id": 0, "start_s": c[:-1], "toe_off_s": c[:-1] + 0.6 * t,
                                  "end_s": c[1:], "stride_time_s": t,
                                  "stride_length_m": length_m * (1 + 0.02 * rng.standard_normal(n)),
                                  "quality": "ok"}))
    return pd.concat(rows, ignore_index=True)


def recut(s: pd.DataFrame, side: str, after_s: float, factor: float) -> tuple[pd.DataFrame, np.ndarray]:
    """``side``'s strides after ``after_s`` re-cut at ``factor`` of their time and length, marked ok."""
    mine = (s["side"] == side) & (s["start_s"] >= after_s)
    a = s[mine]
    t, length = factor * a["stride_time_s"].median(), factor * a["stride_length_m"].median()
    start = np.arange(a["start_s"].min(), a["end_s"].max() - t + 1e-9, t)
    new = pd.DataFrame({"side": side, "bout_id": 0, "start_s": start, "toe_off_s": start + 0.6 * t,
                        "end_s": start + t, "stride_time_s": t, "stride_length_m": length, "quality": "ok"})
    out = pd.concat([s[~mine], new], ignore_index=True)
    return out, np.r_[np.zeros((~mine).sum(), bool), np.ones(len(new), bool)]


@pytest.mark.parametrize("seed", range(5))
def test_normal_walking_stays_ok(seed):
    c = StrideChecks().check(walk(seed=seed))
    assert (c.strides_["quality"] == "ok").all()


@pytest.mark.parametrize("factor", [0.7, 0.75, 0.8])
def test_one_foot_locked_onto_a_faster_rhythm_is_never_ok(factor):
    """Issue 11: true strides 1.07 s, one foot at 0.78-0.81 s after the turn, all marked ok."""
    s, wrong = recut(walk(n=20), "right", 20.0, factor)
    c = StrideChecks().check(s)
    q = c.strides_["quality"]
    assert (q[wrong] != "ok").all()
    assert q[wrong].str.contains("rhythm").all()
    assert q[wrong].str.contains("swing_count").all()  # more and shorter strides over the same path


def test_a_stride_of_one_centimetre_is_atypical():
    s = walk()
    s.loc[5, "stride_length_m"] = 0.01
    c = StrideChecks().check(s)
    assert c.strides_["quality"].iat[5] == "atypical"
    assert (c.strides_["quality"].drop(index=5) == "ok").all()


def test_a_missed_contact_of_the_other_foot_breaks_alternation():
    s = walk()
    # the right foot's strides 4 and 5 merged into one: its contact between them was missed
    r = s.index[s["side"] == "right"]
    s.loc[r[4], ["end_s", "stride_time_s"]] = s.loc[r[5], "end_s"], s.loc[r[5], "end_s"] - s.loc[r[4], "start_s"]
    s = s.drop(index=r[5]).reset_index(drop=True)
    c = StrideChecks().check(s)
    flagged = c.strides_[c.flags_["alternation"]]
    # the left stride around the missed contact holds no right contact, the merged right stride two left ones
    assert sorted(flagged["side"]) == ["left", "right"]
    assert c.flags_.loc[c.flags_["alternation"] & (c.strides_["side"] == "right"), "rhythm"].all()


def test_strides_outside_a_bout_are_not_ok():
    s = walk()
    s.loc[s["start_s"] > 20.0, "bout_id"] = -1
    c = StrideChecks().check(s)
    assert (c.strides_.loc[s["bout_id"] < 0, "quality"] == "no_bout").all()


def test_existing_flags_are_kept():
    s = walk()
    s.loc[3, "quality"] = "gap"
    s.loc[3, "stride_length_m"] = 0.01
    assert StrideChecks().check(s).strides_["quality"].iat[3] == "gap|atypical"


def test_step_model_fit_recovers_a_known_mixture():
    rng = np.random.default_rng(1)
    steady = rng.multivariate_normal([0.0, 0.0], [[4e-4, -1e-4], [-1e-4, 6e-4]], 4000)
    edge = rng.multivariate_normal([0.05, -0.7], [[6e-3, 0.0], [0.0, 0.05]], 400)
    m = StepModel.fit(np.vstack([steady, edge]), components=2)
    i = int(np.argmax(m.weights))
    assert m.weights[i] == pytest.approx(4000 / 4400, abs=0.01)
    assert m.means[i] == pytest.approx((0.0, 0.0), abs=2e-3)
    assert m.means[1 - i] == pytest.approx((0.05, -0.7), abs=0.03)
    assert np.asarray(m.covs[i]) == pytest.approx(np.array([[4e-4, -1e-4], [-1e-4, 6e-4]]), abs=5e-5)
    # the limit leaves 0.5 % of the fitting strides above it
    assert np.mean(m.nll(np.vstack([steady, edge])) > m.max_nll) == pytest.approx(0.005, abs=0.001)


def test_step_model_needs_enough_strides():
    with pytest.raises(ValueError, match="complete strides"):
        StepModel.fit(np.zeros((20, 2)), components=3)


@pytest.fixture(scope="module")
def ipol(ipol_feet):
    bench = load_benchmark("bench_stride_checks")
    return bench, bench.all_strides(ipol_feet)


def test_the_default_model_is_the_fit_on_ipol_subjects_1_to_5(ipol):
    bench, strides = ipol
    m, _ = bench.fit_model(strides[strides["subject"].isin(bench.TUNE)])
    assert m.max_nll == pytest.approx(IPOL_STEP_MODEL.max_nll, rel=1e-3)
    assert np.asarray(m.means) == pytest.approx(np.asarray(IPOL_STEP_MODEL.means), rel=1e-3)
    assert np.asarray(m.covs) == pytest.approx(np.asarray(IPOL_STEP_MODEL.covs), rel=1e-3)


def test_held_out_ipol_subjects_keep_their_right_strides_and_lose_a_wrong_rhythm(ipol):
    """Subjects 6-10 were not used for tuning: 97 % of their right ok strides stay ok (measured
    644/664), and every stride of a foot re-cut at 0.75 of its rhythm after the U-turn is flagged."""
    bench, strides = ipol
    held = strides[strides["subject"].isin(bench.REPORT)]
    c = bench.checked(held, StrideChecks())
    right_ok = c["right"] & (c["quality_before"] == "ok")
    assert (c.loc[right_ok, "quality"] == "ok").mean() >= 0.96
    inj = bench.checked(bench.wrong_rhythm(held), StrideChecks())
    inj = inj[inj["locked"]]
    assert len(inj) > 200
    assert (inj["quality"] != "ok").all()


def test_one_foot_recorded_is_checked_against_its_own_neighbours():
    s = walk()
    s = s[s["side"] == "left"].reset_index(drop=True)
    assert (StrideChecks().check(s).strides_["quality"] == "ok").all()
    s.loc[5, "stride_length_m"] = 0.01
    assert StrideChecks().check(s).strides_["quality"].tolist() == ["ok"] * 5 + ["atypical"] + ["ok"] * 6
