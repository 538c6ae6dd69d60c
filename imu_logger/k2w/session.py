"""The live knee-to-wall session: shin sensors over BLE, prompts, detection, results in a recording.

The shin sensors are connected with the session's :class:`SensorLink` and every notification is
written raw to a recording (``RecordingWriter``), like ``imu-logger record``; the test adds a
``k2w_trial`` event per trial, a ``k2w_result`` event per side and the best values in the
session-end metadata (``k2w_best_left_deg``, ``k2w_best_right_deg``, ``k2w_difference_deg``). The
report reads those events from the recording.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import numpy as np
import pandas as pd

from imu_logger.errors import UserError
from imu_logger.k2w.method import (K2W_RESULT_EVENT, K2W_TRIAL_EVENT, Trial, best_per_side,
                                   evaluate_trial, trial_event)
from imu_logger.recording.writer import RecordingWriter, SessionInfo
from imu_logger.capture.session import Backend, SensorLink, SensorTarget

PUMP_S = 0.25  # how often notifications are written and fed to the detector


@dataclass
class K2wOutcome:
    """All trials of the test and the best inclination per side (degrees)."""

    trials: list[Trial] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)

    @property
    def difference_deg(self) -> float | None:
        """Left minus right best inclination, when both sides have one."""
        if "left" in self.best and "right" in self.best:
            return self.best["left"] - self.best["right"]
        return None


def _table(trials: list[Trial]) -> pd.DataFrame:
    return pd.DataFrame([{"side": t.side, "inclination_deg": t.inclination_deg} for t in trials],
                        columns=["side", "inclination_deg"])


class K2wSession:
    """Connect the shin sensors, guide the trials, write everything to ``out``."""

    def __init__(self, targets: dict[str, SensorTarget], out: Path, backend: Backend, *,
                 trials: int = 3, trial_timeout_s: float = 40.0, subject_id: str = "",
                 say: Callable[[str], None] = print,
                 wait_ready: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.targets, self.out, self.backend = targets, Path(out), backend
        self.trials, self.trial_timeout_s, self.subject_id = trials, trial_timeout_s, subject_id
        self.say, self.wait_ready = say, wait_ready
        self._events: list[tuple] = []
        self.links = {side: SensorLink(t, backend, self._emit) for side, t in targets.items()}
        self._active = ""  # side of the trial in progress ("" between trials)
        self._raw: list[tuple[str, bytes, float]] = []  # that trial's notifications so far
        # per side, the notifications that set how later ones decode (Polar's factors), from before the trial
        self._state: dict[str, list[tuple[str, bytes, float]]] = {side: [] for side in targets}
        self._trial = Trial("", 0)

    def _emit(self, kind: str, placement: str = "", **fields) -> None:
        self._events.append((kind, time.monotonic_ns(), time.time_ns(), placement, fields))

    def _pump(self, writer: RecordingWriter) -> None:
        for side, link in self.links.items():
            for batch in link.take_batches():
                writer.write_batch(link.target.placement, batch)
                assert link.model is not None
                notes = [(link.model.notify_uuids[i], p, m * 1e-9) for i, p, m in
                         zip(batch.char_index, batch.payloads, batch.host_mono_ns)]
                self._state[side] += [n for n in notes if link.model.sets_decoding_state(n[0], n[1])]
                if side == self._active:
                    self._raw += notes
            if side == self._active and self._raw:
                self._trial = self._evaluate(link)
        events, self._events = self._events, []
        for kind, mono, wall, placement, fields in events:
            writer.write_event(kind, mono, wall, placement, **fields)
        writer.flush()

    def _evaluate(self, link: SensorLink) -> Trial:
        # the whole trial is decoded again each time: models that pair frames (acc with gyro)
        # or decode deltas need the neighbouring notifications, which a lone batch may lack
        assert link.model is not None
        uuids, payloads, host_s = zip(*(self._state[self._trial.side] + self._raw))
        stream = link.model.decode(list(uuids), list(payloads), np.asarray(host_s))
        ok = np.isfinite(stream.acc_mps2).all(axis=1) & np.isfinite(stream.gyr_radps).all(axis=1)
        return evaluate_trial(stream.acc_mps2[ok], stream.gyr_radps[ok], link.rate_hz,
                              self._trial.side, self._trial.number)

    async def _pump_forever(self, writer: RecordingWriter) -> None:
        while True:
            await asyncio.sleep(PUMP_S)
            self._pump(writer)

    async def _run_trial(self, side: str, number: int) -> Trial:
        link = self.links[side]
        self.say(f"{side.upper()} trial {number}/{self.trials}: foot flat, heel down, stand with the "
                 f"{side} shin upright and still.")
        if self.wait_ready is not None:
            await self.wait_ready("Press Enter when ready")
        self.say("  now lunge: knee forward to the wall, heel on the floor; hold the end position "
                 "for 2 seconds, then come back upright.")
        self._trial, self._raw, self._active = Trial(side, number), [], side
        deadline = time.monotonic() + self.trial_timeout_s
        announced = False
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(PUMP_S)
                if link.disconnected.is_set():
                    raise UserError(f"{link.target.placement}: sensor disconnected during the test")
                trial = self._trial
                if trial.detected and not announced:
                    self.say(f"  end position held: {trial.inclination_deg:.1f}° - come back upright")
                    announced = True
                if trial.complete:
                    break
        finally:
            trial, self._active, self._raw = self._trial, "", []
        if trial.detected:
            self.say(f"  {side} trial {number}: tibial inclination {trial.inclination_deg:.1f}° "
                     f"(held {trial.hold_s:.1f} s)")
        else:
            self.say(f"  {side} trial {number}: no held end position detected within "
                     f"{self.trial_timeout_s:g} s")
        self._emit(K2W_TRIAL_EVENT, link.target.placement, **trial_event(trial))
        return trial

    async def run(self) -> K2wOutcome:
        """Connect, run ``trials`` trials per side, write results; returns the outcome.

        The file is created once the sensors are connected: a sensor not found leaves no file.
        """
        start_wall, start_mono = time.time_ns(), time.monotonic_ns()
        outcome = K2wOutcome()
        writer = pump = None
        try:
            for link in self.links.values():
                self.say(f"{link.target.placement}: connecting ...")
                await link.connect(10.0)
            writer = RecordingWriter(self.out, SessionInfo(start_wall, start_mono, self.subject_id,
                                                           self.backend.name,
                                                           extra={"test": "knee_to_wall"}))
            for link in self.links.values():
                writer.add_sensor(link.info())
            pump = asyncio.create_task(self._pump_forever(writer))
            for side in self.links:
                for number in range(1, self.trials + 1):
                    outcome.trials.append(await self._run_trial(side, number))
            outcome.best = best_per_side(_table(outcome.trials))
            for side, best in outcome.best.items():
                self._emit(K2W_RESULT_EVENT, self.links[side].target.placement, side=side,
                           best_inclination_deg=best)
        finally:
            if pump is not None:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
            for link in self.links.values():
                await link.stop()
            if writer is not None:
                self._pump(writer)
                end = {"duration_s": f"{(time.monotonic_ns() - start_mono) * 1e-9:.3f}"}
                end |= {f"k2w_best_{side}_deg": f"{v:.2f}" for side, v in outcome.best.items()}
                if outcome.difference_deg is not None:
                    end["k2w_difference_deg"] = f"{outcome.difference_deg:.2f}"
                writer.close(end)
        return outcome
