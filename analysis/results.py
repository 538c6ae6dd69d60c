"""The results of one analysed recording, and their folder on disk.

A results folder holds (the layout ``imu-logger analyze --out DIR`` writes):

* ``strides.csv``: one row per stride, analysis.columns.STRIDE_COLUMNS;
* ``events.csv``: one row per footstep of each foot, first and last of a bout included,
  analysis.footsteps.FOOTSTEP_COLUMNS;
* ``bouts.csv``: walking bouts and periods of other activities, analysis.columns.BOUT_COLUMNS;
* ``summary.csv``: the day summary, analysis.summary.SUMMARY_COLUMNS;
* ``angles.parquet``: continuous ankle angles, analysis.angles.angle_table;
* ``analysis.json``: recording path, whether it was cut short, duration (s), orientation filter,
  neutral interval (s), warnings, calibration messages, the recording's gaps (one record per gap)
  and any further keys a caller added (for example ``start_wall_ns``).

Times are in seconds from the recording start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.columns import BOUT_COLUMNS, STRIDE_COLUMNS, TIME
from analysis.errors import UserError
from analysis.tables import read_csv_table

#: the keys of analysis.json that GaitResults holds as fields, in the order they are written
INFO_KEYS = ("recording", "truncated", "duration_s", "filter", "neutral_s", "warnings",
             "calibration_messages", "gaps")


@dataclass
class GaitResults:
    """Tables and messages of one analysed recording (times in s from the recording start)."""

    strides: pd.DataFrame  # STRIDE_COLUMNS
    bouts: pd.DataFrame  # BOUT_COLUMNS
    summary: pd.DataFrame  # analysis.summary.SUMMARY_COLUMNS
    angles: pd.DataFrame  # analysis.angles.angle_table (time_s only when no calibration)
    calibration_messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: side, stride_id and the per-stride columns not in strides.csv (mid_stance_s, foot_clearance_m,
    #: turning_angle_deg); None when loaded from a folder
    strides_extra: pd.DataFrame | None = None
    events: pd.DataFrame | None = None  # footsteps, analysis.footsteps.FOOTSTEP_COLUMNS; None if unknown
    gaps: pd.DataFrame | None = None  # the recording's gaps (imu_logger.samples.decode.GAP_COLUMNS)
    filter: str = ""  # orientation filter of the angles (analysis.orientation.filters.FILTERS)
    neutral_s: tuple[float, float] | None = None  # neutral interval given by the user (s), or None
    duration_s: float = 0.0  # last sample time of any sensor (s)
    recording: str | None = None  # path of the recording analysed, when known
    truncated: bool = False  # the recording was cut short (no proper end)
    extra: dict = field(default_factory=dict)  # further keys of analysis.json, written back as they are

    def info(self) -> dict:
        """The content of analysis.json."""
        gaps = [] if self.gaps is None or len(self.gaps) == 0 else json.loads(self.gaps.to_json(orient="records"))
        return {"recording": self.recording, "truncated": bool(self.truncated), "duration_s": float(self.duration_s),
                "filter": self.filter, "neutral_s": list(self.neutral_s) if self.neutral_s else None,
                "warnings": list(self.warnings), "calibration_messages": list(self.calibration_messages),
                "gaps": gaps, **self.extra}

    def save(self, out_dir: str | Path) -> Path:
        """Write the results folder (module docstring) to ``out_dir``, created if needed; returns it."""
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
            self.strides.to_csv(out / "strides.csv", index=False)
            if self.events is not None:
                self.events.to_csv(out / "events.csv", index=False)
            self.bouts.to_csv(out / "bouts.csv", index=False)
            self.summary.to_csv(out / "summary.csv", index=False)
            self.angles.to_parquet(out / "angles.parquet", index=False)
            (out / "analysis.json").write_text(json.dumps(self.info(), indent=1))
        except OSError as exc:
            raise UserError(f"{out}: cannot write the results ({exc.strerror})") from None
        return out

    @classmethod
    def load(cls, directory: str | Path) -> GaitResults:
        """Read a results folder. strides.csv and bouts.csv are required; a missing summary.csv is
        recomputed from them (analysis.summary), missing angles are an empty table. UserError naming
        the file when one is missing or unreadable."""
        d = Path(directory)
        if not d.is_dir():
            raise UserError(f"{d}: no such results directory")
        strides = read_table(d / "strides.csv", ("side", "start_s", "end_s"))
        bouts = read_table(d / "bouts.csv", tuple(c for c in BOUT_COLUMNS if not c.startswith("n_strides_")))
        for c in STRIDE_COLUMNS:
            if c not in strides:
                strides[c] = pd.NA if c == "quality" else float("nan")
        events = read_table(d / "events.csv", ("side", "initial_contact_s")) if (d / "events.csv").is_file() else None
        angles_path = d / "angles.parquet"
        angles = pd.read_parquet(angles_path) if angles_path.is_file() else pd.DataFrame({TIME: []})
        if (d / "summary.csv").is_file():
            summary = read_table(d / "summary.csv", ())
        else:
            from analysis.summary import summarise
            summary = summarise(strides, bouts)
        info: dict = {}
        info_path = d / "analysis.json"
        if info_path.is_file():
            try:
                info = json.loads(info_path.read_text())
            except json.JSONDecodeError as exc:
                raise UserError(f"{info_path}: not valid JSON ({exc})") from None
        neutral = info.get("neutral_s")
        gaps = info.get("gaps") or []
        return cls(strides=strides, bouts=bouts, summary=summary, angles=angles, events=events,
                   calibration_messages=list(info.get("calibration_messages", [])),
                   warnings=list(info.get("warnings", [])),
                   gaps=pd.DataFrame.from_records(gaps) if gaps else None,
                   filter=str(info.get("filter") or ""),
                   neutral_s=(float(neutral[0]), float(neutral[1])) if neutral else None,
                   duration_s=float(info.get("duration_s") or 0.0), recording=info.get("recording"),
                   truncated=bool(info.get("truncated", False)),
                   extra={k: v for k, v in info.items() if k not in INFO_KEYS})


def read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A CSV table of a results folder with the ``required`` columns; UserError naming the file."""
    return read_csv_table(path, required, absent="missing (is this an 'imu-logger analyze' results directory?)")
