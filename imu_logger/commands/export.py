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
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "bids", "mcap"]), default="csv",
              show_default=True, help="bids: the samples as a BIDS motion dataset (added to --out); "
              "mcap: the recording with its decoded samples in Foxglove schemas.")
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
    path = Path(source)
    if fmt in ("bids", "mcap"):
        if raw or what:
            raise UserError(f"--format {fmt} writes the recording's samples: no --raw or --what")
        for p in _export_samples(path, fmt, Path(out)):
            click.echo(f"wrote {p}")
        return
    chosen = tuple(dict.fromkeys(what or (() if raw else DEFAULT_TABLES)))
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
        paths += export_raw_csv(data.samples, Path(out), data.start_wall_ns)
    if chosen:
        if res.start_wall_ns is None:
            click.echo("note: wall-clock start unknown (no recording behind the results): "
                       "*_wall_iso columns are empty", err=True)
        paths += export_tables(res, chosen, fmt, Path(out), data.samples if data else None)
    for p in paths:
        click.echo(f"wrote {p}")


def _export_samples(source: Path, fmt: str, out: Path) -> list[Path]:
    """A recording (or the one behind a results directory) as a BIDS dataset or a Foxglove MCAP."""
    from imu_logger.api import load_recording, load_results

    recording = load_results(source).recording if source.is_dir() else source
    if recording is None or not recording.is_file():
        raise UserError(f"{source}: --format {fmt} needs the recording; export from the .mcap file")
    data = load_recording(recording)
    if fmt == "mcap":
        from imu_logger.formats.foxglove import write_foxglove_mcap
        out.mkdir(parents=True, exist_ok=True)
        target = out / recording.name
        if target.resolve() == recording.resolve():
            raise UserError(f"--out {out}: would replace the recording itself")
        write_foxglove_mcap(recording, data.samples, data.start_wall_ns or 0, target)
        return [target]
    from imu_logger.formats.bids import DEFAULT_TASK, export_bids
    inv = data.inventory.set_index("placement")
    return export_bids(data.samples, inv["rate_hz"].astype(float).to_dict(), inv["model"].to_dict(),
                       data.start_wall_ns or 0, data.session.get("subject_id", ""), out,
                       data.session.get("bids_task") or DEFAULT_TASK)
