"""`imu-logger analyze REC --out DIR`: strides, bouts, summary and continuous ankle angles of a recording.

Writes strides.csv, bouts.csv, summary.csv (columns in analysis.columns / analysis.summary),
angles.parquet (analysis.angles.angle_table) and analysis.json (warnings, calibration messages,
the recording's gaps, whether it was cut short). A file cut short by a crash is analysed up to its
last complete record, with a warning; a sensor missing part of the day is analysed where it has
data and its strides are flagged (analysis.pipeline).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

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
@click.option("--overwrite", is_flag=True, help="Replace the results already in --out.")
def analyze(recording: str, out_dir: str, method: str, neutral: str | None, overwrite: bool) -> None:
    """Find walking bouts, strides, gait events and ankle metrics in RECORDING."""
    from analysis import GaitPipeline
    from imu_logger.api import analyze_recording, load_recording
    from imu_logger.output_paths import refuse_overwrite

    out = refuse_overwrite(out_dir, overwrite)
    pipeline = GaitPipeline(filter=method, neutral_interval_s=_parse_neutral(neutral))
    data = load_recording(recording)
    if data.duration_s >= PROGRESS_MIN_S:
        with click.progressbar(length=100, label="analysing", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(frac: float, stage: str) -> None:
                step = int(round(100 * frac)) - state["done"]
                bar.label = f"analysing: {stage}"
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            res = analyze_recording(data, pipeline, progress)
    else:
        res = analyze_recording(data, pipeline)
    del data  # the samples are analysed: free them before writing
    res.save(out)

    for w in res.gait.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(headline(res, out))


def headline(res, out: Path) -> str:
    """What the terminal shows after an analysis: walking found, strides and medians per side."""
    s, b = res.strides, res.bouts
    span = res.gait.duration_s
    walking = b[b["activity"] == "walking"] if len(b) else b
    if len(walking) == 0:
        return f"no walking found in {span / 60:.1f} min: empty strides and summary tables written to {out}"
    lines = [f"{span / 3600:.2f} h analysed: {len(walking)} walking bouts, "
             f"{int((s['side'] == 'left').sum())} left and {int((s['side'] == 'right').sum())} right strides"]
    for side in ("left", "right"):
        ss = s[(s["side"] == side) & s["bout_id"].isin(walking["bout_id"])]
        if len(ss):
            lines.append(f"  {side:5s}: stride {ss['stride_time_s'].median():.2f} s, "
                         f"{ss['stride_length_m'].median():.2f} m, {ss['speed_mps'].median():.2f} m/s, "
                         f"peak dorsiflexion {ss['peak_dorsiflexion_deg'].median():.1f}°")
    lines.append(f"results in {out}")
    return "\n".join(lines)
