"""The ankle-to-lower-back chain over a simulated day: the within-walker slopes find the simulated
compensation (restricted dorsiflexion -> larger pelvic tilt range, less attenuation) and stay silent without it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis.lower_back import LowerBackFrame, PelvisMotion, SacralShock
from analysis.lower_back.chain import NOT_A_DIAGNOSIS, AnkleChain
from gait_sim import BoutSpec, Scenario, SimConfig, simulate

# 14 bouts at one speed (speed changes the heel strike, hence the attenuation, and the dorsiflexion: a
# confound this test keeps out); a steep fatigue drift makes the dorsiflexion differ between bouts
BOUTS = tuple(b for _ in range(14) for b in (BoutSpec("walking", 12, speed_mps=1.3), BoutSpec("standing", 3)))


def _chain(compensation: float) -> AnkleChain:
    scen = Scenario(stiff_side="left", stiff_factor=0.4, fatigue_dorsiflexion_drop_deg=6.0)
    cfg = SimConfig(minutes=3.8, seed=5, placements=("left_shin", "right_shin", "lower_back"), scenario=scen,
                    bouts=BOUTS)
    sim = simulate(dataclasses.replace(cfg, pelvis=dataclasses.replace(cfg.pelvis, compensation=compensation)))
    frame = LowerBackFrame().align(sim.signals["lower_back"])
    ts = sim.truth_strides
    found = pd.concat([PelvisMotion().compute(frame, ts).metrics_,
                       SacralShock().compute(sim.signals["lower_back"], ts).metrics_], axis=1)
    # the leg side of the chain from the simulator's truth: this test is about the lower back's half
    return AnkleChain().relate(pd.concat([ts[["side", "bout_id", "peak_dorsiflexion_deg"]], found], axis=1))


@pytest.fixture(scope="module")
def chains():
    return _chain(0.0), _chain(1.0)


def _slope(chain: AnkleChain, side: str, y: str) -> pd.Series:
    r = chain.relations_
    return r[(r.side == side) & (r.y == y)].iloc[0]


def test_compensation_found_with_its_slope(chains):
    _, comp = chains
    tilt = _slope(comp, "left", "pelvic_tilt_range_deg")
    att = _slope(comp, "left", "shock_attenuation_pct")
    assert tilt.n_bouts == 14
    assert tilt.ci_high < 0 and att.ci_low > 0
    # the model asks 3 points of attenuation per degree of that side's deficit, of a nominal 3 g tibial
    # peak: about 2 points against the simulated tibial peak
    assert 1.0 < att.slope_per_deg < 3.5
    assert any(c.startswith("On the left side") and "less shock attenuation" in c for c in comp.callouts_)
    assert all(c.endswith(NOT_A_DIAGNOSIS) for c in comp.callouts_)


def test_no_compensation_no_callout(chains):
    plain, _ = chains
    assert plain.callouts_ == []
    for side in ("left", "right"):
        att = _slope(plain, side, "shock_attenuation_pct")
        assert att.ci_low < 0 < att.ci_high
        assert abs(att.slope_per_deg) < 0.5


def test_too_few_bouts_gives_no_slope():
    strides = pd.DataFrame({"side": "left", "bout_id": np.repeat([0, 1], 5), "peak_dorsiflexion_deg": 8.0,
                            "pelvic_tilt_range_deg": 3.0, "shock_attenuation_pct": 60.0})
    chain = AnkleChain().relate(strides)
    assert len(chain.per_bout_) == 2
    assert chain.relations_["slope_per_deg"].isna().all() and chain.callouts_ == []
