"""The live virtual path gives the simulator's truth, on a busy host.

A simulated walker streams through four virtual sensors of four models (a clock, a counter, frame
timestamps, and none) over bleak and Bumble while the host is made busy: every notification reaches
it up to 30 ms late, each sensor goes silent for 0.6 s every 7-10 s and then delivers its backlog,
and the event loop stalls for 0.5 s every 3 s. The recording is analysed as `imu-logger analyze`
does; each stride's peak dorsiflexion must be the simulator's within 1.5°. (Before the time base
was fixed for such loads, its errors reached 8.5° and the recording showed a 180-sample false gap.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pandas as pd
import pytest

from analysis.columns import ACC, GYR, MAG
from analysis.validation import stride_errors
from gait_sim import Scenario, SimConfig, simulate
from imu_logger.api import analyze_recording
from imu_logger.ble import virtual
from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import ArraySource
from imu_logger.capture.session import Session
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

SECONDS = 60.0
PEAK_DORSIFLEXION_TOLERANCE_DEG = 1.5  # the accuracy the live path must keep (issue 12)


async def _busy_host(every_s: float = 3.0, stall_s: float = 0.5) -> None:
    """CPU work that holds the event loop (sensors and recorder alike) for ``stall_s``."""
    while True:
        await asyncio.sleep(every_s)
        end = time.monotonic() + stall_s
        while time.monotonic() < end:
            pass


@pytest.fixture(scope="module")
def live_walk(tmp_path_factory):
    cfg = SimConfig(minutes=SECONDS / 60 + 0.5, seed=3, mounting="random",
                    scenario=dataclasses.replace(Scenario(), kind="walk"))
    # the sensors add their own losses and clocks: the signals carry none
    cfg = dataclasses.replace(cfg, errors=dataclasses.replace(
        cfg.errors, drop_fraction=0.0, clock_offset_max_s=0.0, clock_drift_ppm=0.0))
    sim = simulate(cfg)
    sources = {p: ArraySource(df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float),
                              df[list(MAG)].to_numpy(float), cfg.fs_hz) for p, df in sim.signals.items()}
    faults = {p: Faults(receive_jitter_s=0.03, latency_burst_every_s=7.0 + i, latency_burst_s=0.6, seed=i)
              for i, p in enumerate(virtual.DEFAULT_MODELS)}
    specs = virtual.default_specs(sources=sources, faults=faults)
    out = tmp_path_factory.mktemp("live") / "busy.mcap"

    async def record() -> float:
        async with virtual.running(specs) as world:
            hog = asyncio.create_task(_busy_host())
            try:
                await Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                              duration_s=SECONDS).run()
            finally:
                hog.cancel()
            return world.origin_s

    origin_s = asyncio.run(record())
    rec = read_recording(out)
    truth = sim.truth_strides.copy()
    shift_s = origin_s - rec.start_mono_ns * 1e-9  # the walker's time 0 on the recording's time base
    for column in ("start_s", "toe_off_s", "end_s"):
        truth[column] += shift_s
    gaps = pd.concat([s.gaps for s in decode_recording(rec).values()], ignore_index=True)
    return analyze_recording(out), truth, gaps


def test_each_strides_peak_dorsiflexion_is_the_simulators_within_1_5_degrees(live_walk):
    res, truth, _ = live_walk
    errors = stride_errors(res.strides, truth)
    # the strides found are true strides (detection itself is the gait tests' subject)
    assert len(errors) >= max(0.95 * len(res.strides), 40), (len(errors), len(res.strides))
    worst = errors.peak_dorsiflexion_deg_err.abs().max()
    assert worst <= PEAK_DORSIFLEXION_TOLERANCE_DEG, errors.sort_values("peak_dorsiflexion_deg_err")


def test_a_busy_host_makes_no_false_gaps(live_walk):
    _, _, gaps = live_walk
    inner = gaps[gaps.source != "disconnect"]
    assert inner.missing_samples.sum() <= 2, inner  # nothing was lost: at most noise-sized estimates
