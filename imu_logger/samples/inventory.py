"""What a recording holds, sensor by sensor: the numbers behind `imu-logger info`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.columns import TIME
from imu_logger.recording.reader import Recording
from imu_logger.samples.decode import SensorSamples

INVENTORY_COLUMNS = ("placement", "model", "address", "rate_hz", "duration_s", "samples",
                     "missing_samples", "gaps", "reconnects", "corrupt_notifications",
                     "clock_drift_ppm", "battery_percent")


def inventory(rec: Recording, samples: dict[str, SensorSamples]) -> pd.DataFrame:
    """One row per sensor with INVENTORY_COLUMNS."""
    rows = []
    for placement, info in rec.sensors.items():
        s = samples[placement]
        t = s.data[TIME].to_numpy()
        connects = len(rec.events_of("connect", placement))
        battery = [e["percent"] for e in rec.events_of("battery", placement)]
        drifts = [c.drift_ppm for c in s.clocks.values() if not np.isnan(c.drift_ppm)]
        rows.append({
            "placement": placement, "model": info.model, "address": info.address,
            "rate_hz": info.rate_hz,
            "duration_s": float(t[-1] - t[0]) if t.size else 0.0,
            "samples": int(t.size), "missing_samples": s.missing_samples, "gaps": len(s.gaps),
            "reconnects": max(connects - 1, 0), "corrupt_notifications": len(s.corrupt),
            "clock_drift_ppm": float(np.median(drifts)) if drifts else float("nan"),
            "battery_percent": battery[-1] if battery else None,
        })
    return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS))


def describe(rec: Recording, table: pd.DataFrame) -> str:
    """Human-readable text of a recording's inventory, gaps and state."""
    # the end metadata is written only by a clean close, whatever it holds
    duration = rec.end.get("duration_s") if rec.end is not None else None
    lines = [f"recording {rec.path}",
             f"  subject {rec.session.get('subject_id') or '-'}, backend "
             f"{rec.session.get('backend') or '-'}, software {rec.session.get('software_version')}",
             "  session did not close cleanly (crash or kill): read up to the last complete second"
             if rec.end is None else f"  session length {float(duration):.1f} s" if duration else
             "  session closed cleanly"]
    if table.empty:
        lines.append("  no sensors")
    lines += [f"  {sensor_line(r)}" for r in table.itertuples()]
    warnings = rec.events_of("warning")
    for e in warnings:
        lines.append(f"  warning {e['placement']}: {e.get('message', '')}")
    return "\n".join(lines)


def sensor_line(r) -> str:
    """One inventory row (a DataFrame itertuples row) as text: `info` and the recorder's end
    summary say the same thing in the same words."""
    battery = f"{r.battery_percent}%" if r.battery_percent is not None else "n/a"
    drift = "n/a" if np.isnan(r.clock_drift_ppm) else f"{r.clock_drift_ppm:+.0f} ppm"
    return (f"{r.placement:<11} {r.model:<12} {r.address:<18} {r.rate_hz:g} Hz  "
            f"{r.duration_s:8.1f} s  {r.samples:9d} samples  {r.missing_samples} missing in "
            f"{r.gaps} gaps  {r.reconnects} reconnects  {r.corrupt_notifications} corrupt  "
            f"clock {drift}  battery {battery}")
