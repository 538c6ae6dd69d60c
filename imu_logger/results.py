"""One session's results: the analysis tables (analysis.GaitResults) and what the recording says.

The recording's context (subject and session metadata, wall-clock start, per-sensor inventory, the
capture's events) is saved in the results folder's analysis.json beside the tables, so a report or
an export of a results folder never decodes the recording again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import GaitResults
from imu_logger.k2w.method import k2w_trials_from_events

@dataclass
class Results:
    """The results of one session: ``gait`` (tables, warnings, gaps) plus the recording's context."""

    source: Path  # what the user named: a results folder or a recording
    label: str  # how the report names the session
    gait: GaitResults
    recording: Path | None = None
    start_wall_ns: int | None = None  # wall clock of the recording start (ns since the Unix epoch)
    session: dict[str, str] = field(default_factory=dict)  # subject_id, notes, software_version, ...
    inventory: pd.DataFrame | None = None  # imu_logger.samples.inventory.INVENTORY_COLUMNS
    events: list[dict] = field(default_factory=list)  # connect, disconnect, battery, warning, k2w ...
    k2w: pd.DataFrame = field(default_factory=pd.DataFrame)  # knee-to-wall trials joined to this session

    @property
    def strides(self) -> pd.DataFrame:
        return self.gait.strides

    @property
    def bouts(self) -> pd.DataFrame:
        return self.gait.bouts

    @property
    def angles(self) -> pd.DataFrame:
        return self.gait.angles

    @property
    def summary(self) -> pd.DataFrame:
        return self.gait.summary

    @property
    def gaps(self) -> pd.DataFrame | None:
        return self.gait.gaps

    @property
    def analysis(self) -> dict:
        """The content of analysis.json (warnings, calibration messages, filter, ...)."""
        return self.gait.info()

    def add_k2w(self, events: list[dict]) -> int:
        """Join the knee-to-wall trials found in ``events`` to this session; returns how many."""
        trials = k2w_trials_from_events(events)
        if len(trials):
            self.k2w = pd.concat([self.k2w, trials], ignore_index=True) if len(self.k2w) else trials
        return len(trials)

    def facts(self) -> dict:
        """What the results hold, JSON-ready (``info --json``): recording, duration, strides, bouts, messages."""
        s, b = self.strides, self.bouts
        walking = b[b["activity"] == "walking"] if len(b) else b
        return {"results": str(self.source), "recording": str(self.recording) if self.recording else None,
                "subject_id": self.session.get("subject_id", ""), "duration_s": self.gait.duration_s,
                "strides": {side: int((s["side"] == side).sum()) for side in ("left", "right")},
                "strides_ok": int((s["quality"].astype(str) == "ok").sum()) if len(s) else 0,
                "walking_bouts": len(walking), "filter": self.gait.filter,
                "warnings": list(self.gait.warnings), "calibration_messages": list(self.gait.calibration_messages)}

    def describe(self) -> str:
        """``facts`` as the text of ``imu-logger info``."""
        f = self.facts()
        lines = [f"results {f['results']} of {f['recording'] or 'an unknown recording'}",
                 f"  subject {f['subject_id'] or '-'}, {f['duration_s'] / 3600:.2f} h, filter {f['filter'] or '-'}",
                 f"  {f['walking_bouts']} walking bouts, {f['strides']['left']} left and "
                 f"{f['strides']['right']} right strides ({f['strides_ok']} ok)"]
        lines += [f"  warning: {w}" for w in f["warnings"]]
        lines += [f"  calibration: {m}" for m in f["calibration_messages"]]
        return "\n".join(lines)

    def save(self, out_dir: str | Path) -> Path:
        """Write the results folder: the tables of ``gait`` and the context in analysis.json."""
        self.gait.extra.update({
            "start_wall_ns": self.start_wall_ns, "session": dict(self.session),
            "inventory": [] if self.inventory is None else self.inventory.to_dict(orient="records"),
            "events": list(self.events)})
        return self.gait.save(out_dir)

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """A results folder written by ``save`` (``imu-logger analyze``)."""
        d = Path(directory)
        gait = GaitResults.load(d)
        extra = gait.extra
        start = extra.get("start_wall_ns")
        inventory = extra.get("inventory")
        res = cls(source=d, label=d.name, gait=gait,
                  recording=Path(gait.recording) if gait.recording else None,
                  start_wall_ns=int(start) if start is not None else None,
                  session={str(k): str(v) for k, v in (extra.get("session") or {}).items()},
                  inventory=pd.DataFrame.from_records(inventory) if inventory else None,
                  events=list(extra.get("events") or []))
        res.add_k2w(res.events)
        return res


__all__ = ["Results"]
