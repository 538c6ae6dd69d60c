"""`imu-logger export`: a recording or a results folder as tables with units and wall-clock times."""

from __future__ import annotations

from pathlib import Path

import click

from imu_logger.errors import UserError


@click.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--raw", is_flag=True,
              help="Decoded samples per sensor in the generic import CSV format (re-importable).")
@click.option("--what", "what", multiple=True, type=click.Choice(
    ["strides", "bouts", "summary", "angles", "samples", "events"]),
              help="Tables to export (repeatable; default: strides, bouts, summary, events).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Output directory.")
def export(source: str, raw: bool, what: tuple[str, ...], fmt: str, out: str) -> None:
    """Export a recording or an analysis results directory: tables with units and wall-clock times.

    SOURCE is a recording (.mcap; analysed first when analysis tables are asked for) or the
    results directory of `imu-logger analyze`.
    """
    from imu_logger.api import analyze_recording, load_recording, load_results, recording_results
    from imu_logger.formats.csv_import import export_raw_csv
    from imu_logger.formats.export import DEFAULT_TABLES, export_tables

    if raw and fmt != "csv":
        raise UserError("--raw writes the generic CSV format: use --format csv "
                        "(or --what samples --format parquet)")
    chosen = tuple(dict.fromkeys(what or (() if raw else DEFAULT_TABLES)))
    path = Path(source)
    if path.is_dir():
        if raw:
            raise UserError(f"{source}: --raw needs a recording (.mcap), not a results directory")
        res = load_results(path)
        wants_samples = "samples" in chosen
        if wants_samples and (res.recording is None or not res.recording.is_file()):
            raise UserError(f"{source}: samples need the recording; export from the .mcap file")
        data = load_recording(res.recording) if wants_samples else None
    else:
        data = load_recording(path)  # decoded once, for the samples and for the analysis
        needs_analysis = any(w not in ("samples", "events") for w in chosen)
        res = analyze_recording(data) if needs_analysis else recording_results(data)

    paths: list[Path] = []
    if raw:
        paths += export_raw_csv(data.samples, Path(out))
    if chosen:
        if res.start_wall_ns is None:
            click.echo("note: wall-clock start unknown (no recording behind the results): "
                       "*_wall_iso columns are empty", err=True)
        paths += export_tables(res, chosen, fmt, Path(out), data.samples if data else None)
    for p in paths:
        click.echo(f"wrote {p}")
