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

from typing import TYPE_CHECKING

import click
import numpy as np

from imu_logger.errors import UserError

if TYPE_CHECKING:
    from imu_logger.results import Results

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
@click.argument("recordings", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Results folder; for several recordings or a folder, one subfolder each and cohort.csv.")
@click.option("--filter", "method", type=click.Choice(_filters()), default=_default_filter(), show_default=True,
              help="Orientation filter for the ankle angles.")
@click.option("--neutral", default=None, metavar="START,END",
              help="Quiet-standing interval (s from the recording start) to use as 0°; default: found automatically.")
@click.option("--overwrite", is_flag=True,
              help="Replace the results in --out (a cohort: analyse again those that are up to date).")
@click.option("--scheduler", default="local", show_default=True, metavar="local|serial|ADDRESS",
              help="Cohort: a local Dask cluster, this process alone, or a dask.distributed scheduler "
                   "address (tcp://host:8786).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Cohort on the local Dask cluster: worker processes (default: one per core).")
@click.option("--json", "as_json", is_flag=True,
              help="End summary as JSON: the results (as `info --json`), or a cohort's table.")
@click.option("--quiet", is_flag=True, help="No progress; at the end only warnings and failures.")
@click.option("--stream-over", "stream_over_s", type=click.FloatRange(min=0), default=None,
              metavar="SECONDS",
              help="A recording longer than this (default 7200: imu_logger.api.STREAM_OVER_S) is decoded to a "
                   "private temporary store and analysed in pieces, in bounded memory; shorter ones whole.")
def analyze(recordings: tuple[str, ...], out_dir: str, method: str, neutral: str | None, overwrite: bool,
            scheduler: str, workers: int | None, as_json: bool, quiet: bool, stream_over_s: float | None) -> None:
    """Find walking bouts, strides, gait events and ankle metrics in each of RECORDINGS.

    One recording file: its results go into --out. Several, or a folder of recordings: a cohort,
    each into --out/<recording name>/, with one row per recording in --out/cohort.csv.
    """
    from analysis import GaitPipeline

    pipeline = GaitPipeline(filter=method, neutral_interval_s=_parse_neutral(neutral))
    if len(recordings) == 1 and not Path(recordings[0]).is_dir():
        _analyze_one(recordings[0], out_dir, pipeline, overwrite, as_json, quiet, stream_over_s)
    else:
        _analyze_cohort(recordings, Path(out_dir), pipeline, overwrite, scheduler, workers, as_json, quiet)


def _analyze_one(recording: str, out_dir: str, pipeline, overwrite: bool, as_json: bool, quiet: bool,
                 stream_over_s: float | None) -> None:
    from imu_logger.api import STREAM_OVER_S, analyze_recording, recording_span_s
    from imu_logger.output_paths import refuse_overwrite

    out = refuse_overwrite(out_dir, overwrite)
    stream_over_s = STREAM_OVER_S if stream_over_s is None else stream_over_s
    # a long recording is decoded into a private store beside the results (removed afterwards)
    work = out.parent if out.parent.exists() else None
    if recording_span_s(recording) >= PROGRESS_MIN_S and not (quiet or as_json):
        with click.progressbar(length=100, label="analysing", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(frac: float, stage: str) -> None:
                step = int(round(100 * frac)) - state["done"]
                bar.label = f"analysing: {stage}"
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            res = analyze_recording(recording, pipeline, progress, stream_over_s=stream_over_s, work_dir=work)
    else:
        res = analyze_recording(recording, pipeline, stream_over_s=stream_over_s, work_dir=work)
    res.save(out)

    if as_json:
        click.echo(json.dumps({**res.facts(), "results": str(out)}, indent=1, default=str))
        return
    for w in res.gait.warnings:
        click.echo(f"warning: {w}", err=True)
    if quiet:
        return
    for m in res.gait.calibration_messages:
        click.echo(f"calibration: {m}", err=True)
    click.echo(headline(res, out))


def _analyze_cohort(recordings: tuple[str, ...], out: Path, pipeline, overwrite: bool, scheduler: str,
                    workers: int | None, as_json: bool, quiet: bool) -> None:
    from imu_logger.cohort import find_recordings, run_cohort

    found = find_recordings(recordings)
    where = {"local": "a local Dask cluster", "serial": "this process"}.get(scheduler, f"the Dask cluster at {scheduler}")
    if quiet or as_json:
        table = run_cohort(found, out, pipeline, scheduler, workers, overwrite)
    else:
        click.echo(f"{len(found)} recordings, analysed on {where}", err=True)
        with click.progressbar(length=len(found), label="cohort", file=sys.stderr) as bar:
            def done(row: dict) -> None:
                bar.label = f"cohort: {row['recording']} {row['status']}"
                bar.update(1)

            table = run_cohort(found, out, pipeline, scheduler, workers, overwrite, done)
    if as_json:
        click.echo(table.to_json(orient="records", indent=1))
        return
    for row in table[table["status"] == "failed"].itertuples():
        click.echo(f"warning: {row.recording}: {row.error}", err=True)
    if quiet:
        return
    counts = table["status"].value_counts()
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()) + f"; cohort table in {out / 'cohort.csv'}")


def headline(res: Results, out: Path) -> str:
    """What the terminal shows after an analysis: walking found, strides and the medians per side of
    the trusted strides (those of summary.csv); a median no walking stride can have is marked."""
    from analysis.report_data import plausible
    from analysis.summary import representative_strides

    s, b = res.strides, res.bouts
    span = res.gait.duration_s
    walking = b[b["activity"] == "walking"] if len(b) else b
    if len(walking) == 0:
        return f"no walking found in {span / 60:.1f} min: empty strides and summary tables written to {out}"
    lines = [f"{span / 3600:.2f} h analysed: {len(walking)} walking bouts, "
             f"{int((s['side'] == 'left').sum())} left and {int((s['side'] == 'right').sum())} right strides"]
    trusted = representative_strides(s, b)
    for side in ("left", "right"):
        ss = trusted[trusted["side"] == side]
        if len(ss):
            medians = {c: float(ss[c].median()) for c in
                       ("stride_time_s", "stride_length_m", "speed_mps", "peak_dorsiflexion_deg")}
            impossible = [c for c, v in medians.items() if np.isfinite(v) and not plausible(c, v)]
            lines.append(f"  {side:5s}: stride {medians['stride_time_s']:.2f} s, "
                         f"{medians['stride_length_m']:.2f} m, {medians['speed_mps']:.2f} m/s, "
                         f"peak dorsiflexion {medians['peak_dorsiflexion_deg']:.1f}°"
                         + (f"  NOT RELIABLE: {', '.join(impossible)} outside what walking allows; see the "
                            "calibration lines above" if impossible else ""))
    lines.append(f"results in {out}")
    return "\n".join(lines)
