"""What a recording holds, sensor by sensor: the numbers behind `imu-logger info`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.columns import TIME
from imu_logger.recording.reader import Recording
from imu_logger.samples.decode import SensorSamples
from imu_logger.samples.timebase import unseen_loss_bound
from imu_logger.sensors import MODELS

INVENTORY_COLUMNS = ("placement", "model", "address", "rate_hz", "duration_s", "samples",
                     "missing_samples", "gaps", "unseen_loss_max_samples", "reconnects",
                     "corrupt_notifications", "clock_drift_ppm", "battery_percent")
BAND_COLUMNS = ("connection", "start_s", "end_s", "unseen_loss_max_samples")


def unseen_loss_bands(s: SensorSamples) -> pd.DataFrame:
    """Per connection of a sensor with neither sample counter nor clock: the time span and the most
    samples it can have lost outside its gaps (:func:`~imu_logger.samples.timebase.unseen_loss_bound`).
    Empty for models whose counter or clock shows every loss."""
    rows = []
    if s.model in MODELS and not (MODELS[s.model].has_counter or MODELS[s.model].has_sensor_time):
        for connection, part in s.data.groupby("connection", sort=True):
            t = part[TIME].to_numpy()
            inner = s.gaps[(s.gaps.connection == connection) & (s.gaps.source != "disconnect")]
            bound = unseen_loss_bound(float(t[-1] - t[0]), int(t.size),
                                      int(inner.missing_samples.sum()), s.rate_hz)
            rows.append((int(connection), float(t[0]), float(t[-1]), bound))
    return pd.DataFrame(rows, columns=list(BAND_COLUMNS))


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
            "unseen_loss_max_samples": int(unseen_loss_bands(s).unseen_loss_max_samples.sum()),
            "reconnects": max(connects - 1, 0), "corrupt_notifications": len(s.corrupt),
            "clock_drift_ppm": float(np.median(drifts)) if drifts else float("nan"),
            "battery_percent": battery[-1] if battery else None,
        })
    return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS))


def describe(rec: Recording, table: pd.DataFrame, notes: list[str] = ()) -> str:
    """Human-readable text of a recording's inventory, gaps and state, and the decoders' ``notes``."""
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
    lines += [f"  note {n}" for n in notes]
    return "\n".join(lines)


def decoder_notes(samples: dict[str, SensorSamples]) -> list[str]:
    """The decoders' notes of every sensor, once each, as ``placement: text``."""
    return list(dict.fromkeys(f"{p}: {text}" for p, s in samples.items() for _, text in s.notes))


def describe_json(rec: Recording, table: pd.DataFrame) -> dict:
    """What ``describe`` says, as a JSON-ready dict (``imu-logger info --json``)."""
    duration = rec.end.get("duration_s") if rec.end is not None else None
    return {"recording": str(rec.path), "subject_id": rec.session.get("subject_id") or "",
            "backend": rec.session.get("backend") or "", "software_version": rec.session.get("software_version"),
            "closed_cleanly": rec.end is not None, "session_length_s": float(duration) if duration else None,
            "sensors": json.loads(table.to_json(orient="records")),
            "warnings": [{"placement": e.get("placement", ""), "message": e.get("message", "")}
                         for e in rec.events_of("warning")]}


def sensor_line(r) -> str:
    """One inventory row (a DataFrame itertuples row) as text: `info` and the recorder's end
    summary say the same thing in the same words."""
    battery = f"{r.battery_percent}%" if r.battery_percent is not None else "n/a"
    drift = "n/a" if np.isnan(r.clock_drift_ppm) else f"{r.clock_drift_ppm:+.0f} ppm"
    # a model without counter or clock cannot see small losses: say how many there can be
    unseen = f" (+ up to {r.unseen_loss_max_samples} unseen)" if r.unseen_loss_max_samples else ""
    return (f"{r.placement:<11} {r.model:<12} {r.address:<18} {r.rate_hz:g} Hz  "
            f"{r.duration_s:8.1f} s  {r.samples:9d} samples  {r.missing_samples} missing in "
            f"{r.gaps} gaps{unseen}  {r.reconnects} reconnects  {r.corrupt_notifications} corrupt  "
            f"clock {drift}  battery {battery}")
