"""`imu-logger report`: the clinician's self-contained HTML day report (and session comparison)."""

from __future__ import annotations

from pathlib import Path

import click

from imu_logger.errors import UserError


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@click.option("--k2w", "k2w_recordings", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Recording of `imu-logger k2w` whose results join the last session (repeatable).")
@click.option("--open", "open_it", is_flag=True, help="Open the report in the default browser.")
def report(sources: tuple[str, ...], out: str, k2w_recordings: tuple[str, ...], open_it: bool) -> None:
    """Write the day report of SOURCES (results directories of `analyze` or recordings).

    With several SOURCES (oldest first) the last one is the day shown and each session is compared
    with the one before it. A recording is analysed in memory with the default settings. The file
    needs no network: open it in any browser or attach it to an email.
    """
    from imu_logger.api import load_results
    from imu_logger.recording.reader import read_recording
    from imu_logger.report.html import build_report

    sessions = [load_results(s) for s in sources]
    day = sessions[-1]
    for path in k2w_recordings:
        rec = read_recording(path)
        if not day.add_k2w(rec.events):
            raise UserError(f"{path}: no knee-to-wall results in this recording")
        theirs, ours = rec.session.get("subject_id", ""), day.session.get("subject_id", "")
        if theirs != ours:
            warning = (f"the knee-to-wall recording {Path(path).name} is of subject {theirs or '(none)'}, "
                       f"the day of subject {ours or '(none)'}: check that they belong together")
            day.gait.warnings.append(warning)
            click.echo(f"warning: {warning}", err=True)
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(build_report(sessions), encoding="utf-8")
    click.echo(f"wrote {out_path}")
    if open_it:
        import webbrowser

        if not webbrowser.open(out_path.resolve().as_uri()):
            click.echo("note: no browser could be started here; open the file yourself", err=True)
