"""Issue 11's U-turn on the simulator: 10 m out at 1.07 s strides, a spot turn, 10 m back at 0.85 s.

The project's analysis (GaitPipeline) runs on the simulated sensors (random mounting, the default
sensor errors); WalkingBouts and StrideChecks run on its strides. analysis.bouts makes three bouts of
this walk (out, turn, back); the Mobilise-D rules make one.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.footsteps import footsteps
from analysis.pipeline import GaitPipeline
from analysis.stride_checks import StrideChecks
from analysis.validation import match_strides
from analysis.walking_bouts import WalkingBouts
from gait_sim import simulate
from gait_sim.u_turn import lock_onto_rhythm, u_turn_config


@pytest.fixture(scope="module", params=[0, 1])
def u_turn(request):
    sim = simulate(u_turn_config(seed=request.param, mounting="random"))
    pipe = GaitPipeline().run(sim.signals)
    bouts = WalkingBouts().assemble(pipe.strides_)
    return sim, pipe, bouts, StrideChecks().check(bouts.strides_)


def true_contacts(sim, side: str) -> np.ndarray:
    return np.concatenate([p.walk.contacts[side].ic_s[1:] for p in sim.periods if p.walk is not None])


def test_the_simulated_cadence_changes_through_the_turn(u_turn):
    sim = u_turn[0]
    times = {p.activity: [] for p in sim.periods}
    for p in sim.periods:
        if p.walk is not None:
            times[p.activity].append(p.walk.stride_time_s)
    assert times["walking"] == pytest.approx([1.07, 0.85])
    assert len(times["turn"]) == 1


def test_the_turn_stays_inside_one_walking_bout(u_turn):
    sim, pipe, bouts, _ = u_turn
    assert len(bouts.bouts_) == 1
    first = min(true_contacts(sim, s)[0] for s in ("left", "right"))
    last = max(true_contacts(sim, s)[-1] for s in ("left", "right"))
    assert bouts.bouts_["start_s"].iat[0] == pytest.approx(first, abs=0.02)
    assert bouts.bouts_["end_s"].iat[0] == pytest.approx(last, abs=0.02)
    assert (bouts.strides_["bout_id"] == 0).all()


def test_no_wrong_stride_is_ok(u_turn):
    """Wrong: stride time off by more than 30 ms, or length by more than 5 % (spot-turn strides, whose
    heel-to-heel length the simulator marks ill-defined, by time only), or no true stride at all."""
    sim, _, _, checks = u_turn
    s, truth = checks.strides_, sim.truth_strides
    pairs = match_strides(s, truth, tol_s=0.1)
    d, t = s.loc[pairs["detected"]], truth.loc[pairs["truth"]]
    off_time = np.abs(d["stride_time_s"].to_numpy() - t["stride_time_s"].to_numpy()) > 0.03
    off_length = ((np.abs(d["stride_length_m"].to_numpy() / t["stride_length_m"].to_numpy() - 1) > 0.05)
                  & (t["quality"].to_numpy() != "spot_turn"))
    wrong = set(d.index[off_time | off_length]) | (set(s.index) - set(d.index))
    assert all(s.loc[i, "quality"] != "ok" for i in wrong)
    # and the checks keep the walking: the straight strides out and back stay ok
    straight = t["quality"].to_numpy() != "spot_turn"
    assert np.mean(d.loc[straight & ~off_time & ~off_length, "quality"] == "ok") >= 0.85


def test_a_foot_locked_onto_a_wrong_rhythm_after_the_turn_is_never_ok(u_turn):
    """Issue 11's failure on this walk: the right foot's strides after the turn re-cut at 0.75 of their
    stride time and length (0.64 s for 0.85 s), marked ok by the pipeline."""
    sim, pipe, _, _ = u_turn
    turn_end = max(p.end_s for p in sim.periods if p.activity == "turn")
    locked = lock_onto_rhythm(pipe.strides_, "right", turn_end, 0.75)
    q = StrideChecks().check(WalkingBouts().assemble(locked).strides_).strides_
    assert q["locked"].sum() >= 8
    assert (q.loc[q["locked"], "quality"] != "ok").all()
    assert q.loc[q["locked"], "quality"].str.contains("atypical").all()


def test_every_footstep_is_in_the_events_table(u_turn):
    """The first and last footsteps of the walk and of the turn included: each true contact once, within 20 ms."""
    sim, pipe, _, checks = u_turn
    f = footsteps(checks.strides_, pipe.strides_extra_["mid_stance_s"].to_numpy())
    for side in ("left", "right"):
        ic = f.loc[f["side"] == side, "initial_contact_s"].to_numpy()
        truth = true_contacts(sim, side)
        assert len(ic) == len(truth)
        assert np.max(np.abs(ic - truth)) <= 0.02
