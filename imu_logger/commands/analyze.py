"""`imu-logger analyze REC --out DIR`: strides, bouts, summary and continuous ankle angles of a recording.

Writes strides.csv, bouts.csv, summary.csv (columns in analysis.columns / analysis.summary),
angles.parquet (analysis.angles.angle_table) and analysis.json (warnings, calibration messages,
the recording's gaps, whether it was cut short). A file cut short by a crash is analysed up to its
last complete record, with a warning; a sensor missing part of the day is analysed where it has
data and its strides are flagged (analysis.pipeline).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from imu_logger.errors import UserError

#: show a progress bar for recordings longer than this (seconds of data)
PROGRESS_MIN_S = 600.0


def _parse_neutral(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        raise UserError(f"--neutral must be START,END in seconds (for example 2,8), not {text!r}") from None
    if not 0 <= a < b:
        raise UserError(f"--neutral START,END must satisfy 0 <= START < END, not {text!r}")
    return a, b


def _filters() -> tuple[str, ...]:
    from analysis.orientation.filters import FILTERS
    return FILTERS


def _default_filter() -> str:
    from analysis.orientation.filters import DEFAULT_FILTER
    return DEFAULT_FILTER


@click.command()
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for strides.csv, bouts.csv, summary.csv, angles.parquet, analysis.json.")
@click.option("--filter", "method", type=click.Choice(_filters()), default=_default_filter(), show_default=True,
              help="Orientation filter for the ankle angles.")
@click.option("--neutral", default=None, metavar="START,END",
              help="Quiet-standing interval (s from the recording start) to use as 0°; default: found automatically.")
def analyze(recording: str, out_dir: str, method: str, neutral: str | None) -> None:
    """Find walking bouts, strides, gait events and ankle metrics in RECORDING."""
    from analysis.pipeline import analyze as run_analysis
    from imu_logger.recording.reader import read_recording
    from imu_logger.samples.decode import GAP_COLUMNS, decode_recording

    interval = _parse_neutral(neutral)
    rec = read_recording(recording)
    decoded = decode_recording(rec)
    truncated = rec.truncated
    del rec  # the raw frames are decoded: free them before the analysis
    samples = {p: s.data for p, s in decoded.items() if len(s.data)}
    if not samples:
        raise UserError(f"{recording}: the recording holds no sensor samples")
    gap_frames = [s.gaps for s in decoded.values() if len(s.gaps)]
    gaps = pd.concat(gap_frames, ignore_index=True) if gap_frames else pd.DataFrame(columns=list(GAP_COLUMNS))
    span = max(df["time_s"].iloc[-1] for df in samples.values())
    warnings = []
    if truncated:
        warnings.append(f"the recording was cut short (no proper end): analysed its first {span:.0f} s, "
                        "up to the last complete record")
    for p in decoded:
        if p not in samples:
            warnings.append(f"{p}: no samples in the recording")

    if span >= PROGRESS_MIN_S:
        with click.progressbar(length=100, label="analysing", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(frac: float, stage: str) -> None:
                step = int(round(100 * frac)) - state["done"]
                bar.label = f"analysing: {stage}"
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            result = run_analysis(samples, gaps, progress, neutral_interval_s=interval, method=method)
    else:
        result = run_analysis(samples, gaps, neutral_interval_s=interval, method=method)
    warnings.extend(result.warnings)

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        result.strides.to_csv(out / "strides.csv", index=False)
        result.bouts.to_csv(out / "bouts.csv", index=False)
        result.summary.to_csv(out / "summary.csv", index=False)
        result.angles.to_parquet(out / "angles.parquet", index=False)
        info = {"recording": str(Path(recording).resolve()), "truncated": bool(truncated), "duration_s": float(span),
                "filter": method, "neutral_s": list(interval) if interval else None, "warnings": warnings,
                "calibration_messages": result.calibration_messages,
                "gaps": json.loads(gaps.to_json(orient="records"))}
        (out / "analysis.json").write_text(json.dumps(info, indent=1))
    except OSError as exc:
        raise UserError(f"--out {out_dir}: cannot write the results ({exc.strerror})") from None

    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    s, b = result.strides, result.bouts
    walking = b[b["activity"] == "walking"] if len(b) else b
    if len(walking) == 0:
        click.echo(f"no walking found in {span / 60:.1f} min: empty strides and summary tables written to {out}")
        return
    n_left = int((s["side"] == "left").sum())
    n_right = int((s["side"] == "right").sum())
    click.echo(f"{span / 3600:.2f} h analysed: {len(walking)} walking bouts, "
               f"{n_left} left and {n_right} right strides")
    for side in ("left", "right"):
        ss = s[(s["side"] == side) & s["bout_id"].isin(walking["bout_id"])]
        if len(ss):
            click.echo(f"  {side:5s}: stride {ss['stride_time_s'].median():.2f} s, "
                       f"{ss['stride_length_m'].median():.2f} m, {ss['speed_mps'].median():.2f} m/s, "
                       f"peak dorsiflexion {ss['peak_dorsiflexion_deg'].median():.1f}°")
    click.echo(f"results in {out}")
