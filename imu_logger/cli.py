"""`imu-logger`: record, inspect, import and export ankle-motion recordings."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from analysis.conventions import LEG_PLACEMENTS, PLACEMENTS
from imu_logger.errors import UserError
from imu_logger.output_paths import refuse_overwrite

BACKENDS = ("platform", "virtual")


#: recordings, tables and reports are health data: whatever any command creates is owner-only
PRIVATE_UMASK = 0o077


class _Cli(click.Group):
    """Turns a UserError anywhere below into one clear line and exit status 2; every file and
    directory a command creates is owner-only (files 0600, directories 0700)."""

    def invoke(self, ctx: click.Context):
        previous = os.umask(PRIVATE_UMASK)
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        finally:
            os.umask(previous)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ankle-motion-logger")
def cli() -> None:
    """Record shin and foot IMUs all day and analyse ankle motion offline."""


def _backend(name: str):
    if name == "virtual":
        from imu_logger.ble.virtual import VIRTUAL_BACKEND
        return VIRTUAL_BACKEND
    from imu_logger.capture.session import Backend
    return Backend("platform")


@cli.command()
@click.option("--backend", type=click.Choice(BACKENDS), default="platform", show_default=True,
              help="platform: this computer's Bluetooth; virtual: built-in virtual sensors.")
@click.option("--timeout", type=click.FloatRange(min=0.5), default=5.0, show_default=True,
              help="Scan time in seconds.")
def scan(backend: str, timeout: float) -> None:
    """List the supported sensors nearby: model, address, RSSI, battery."""
    from imu_logger.capture.scan import scan_nearby

    async def run():
        if backend == "virtual":
            from imu_logger.ble import virtual
            async with virtual.running(virtual.default_specs()):
                return await scan_nearby(_backend(backend), timeout)
        return await scan_nearby(_backend(backend), timeout)

    found = asyncio.run(run())
    if not found:
        click.echo("no supported sensors found")
        return
    for s in found:
        battery = f"{s.battery_percent}%" if s.battery_percent is not None else "n/a"
        click.echo(f"{s.model:<13} {s.address:<18} {s.rssi:5d} dBm  battery {battery:>4}  {s.name}")


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML file naming the sensors (see the README and imu_logger/capture/config.py).")
@click.option("--sensor", "sensor_opts", multiple=True, metavar="PLACEMENT=MODEL[@ADDRESS]",
              help=f"A sensor to record; placements: {', '.join(PLACEMENTS)}.")
@click.option("--backend", type=click.Choice(BACKENDS), default="platform", show_default=True)
@click.option("--duration", type=click.FloatRange(min=0.1), default=None,
              help="Seconds to record once every sensor is connected (default: until Ctrl-C).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Output .mcap file (default: recordings/<date-time>.mcap).")
@click.option("--subject", default="", help="Subject id stored in the recording.")
@click.option("--virtual-source", type=click.Choice(["walk", "simple"]), default="walk",
              show_default=True, help="What virtual sensors stream: a simulated walk or a simple sway.")
@click.option("--replay", type=click.Path(dir_okay=False), default=None,
              help="Virtual sensors replay the raw frames of this recording.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--json", "as_json", is_flag=True, help="End summary as JSON (the same as `info --json`).")
@click.option("--quiet", is_flag=True, help="No live status; at the end only what needs attention.")
def record(config_path, sensor_opts, backend, duration, out, subject, virtual_source, replay,
           overwrite, as_json, quiet) -> None:
    """Record sensors to one MCAP file, until --duration or Ctrl-C."""
    from imu_logger.capture.config import RecordConfig, load_config, parse_sensor_option
    from imu_logger.capture.job import record_session, virtual_specs

    cfg = load_config(config_path) if config_path else RecordConfig()
    if sensor_opts:
        cfg.targets = [parse_sensor_option(s) for s in sensor_opts]
    if duration is not None:
        cfg.duration_s = duration
    if subject:
        cfg.subject_id = subject
    if replay and backend != "virtual":
        raise UserError("--replay needs --backend virtual")
    if not cfg.targets and backend != "virtual":
        raise UserError("no sensors named: use --sensor PLACEMENT=MODEL[@ADDRESS] or --config FILE "
                        "(or --backend virtual for the built-in virtual sensors)")
    out_path = refuse_overwrite(out, overwrite) if out else _default_out()
    say = (lambda line: None) if quiet or as_json else (lambda line: click.echo(line, err=True))
    try:
        specs = None
        if backend == "virtual":
            if virtual_source == "walk" and not replay:
                say("preparing the virtual sensors' simulated walker ...")
            specs = virtual_specs(cfg, virtual_source, replay)
        marker_fd = sys.stdin.fileno() if sys.stdin.isatty() else None  # a note + Enter marks the time
        summary = record_session(cfg, out_path, backend, status=None if quiet or as_json else _status_printer(),
                                 specs=specs, say=say, marker_fd=marker_fd)
    except KeyboardInterrupt:  # before the session's own Ctrl-C handling is in place
        raise UserError("interrupted before recording started: nothing was recorded") from None
    if as_json or quiet:
        ctx = click.get_current_context()
        ctx.invoke(info, source=str(out_path), as_json=as_json, quiet=quiet)
    else:
        click.echo(summary)


def _default_out() -> Path:
    import time
    return Path("recordings") / time.strftime("%Y%m%d-%H%M%S.mcap")


def _status_printer():
    """Refresh the per-sensor status block in place on a terminal; every 10 s otherwise."""
    tty = sys.stderr.isatty()
    state = {"lines": 0, "ticks": 0}

    def show(text: str) -> None:
        state["ticks"] += 1
        if tty:
            if state["lines"]:
                sys.stderr.write(f"\x1b[{state['lines']}F")
            sys.stderr.write("\n".join(line + "\x1b[K" for line in text.splitlines()) + "\n")
            state["lines"] = text.count("\n") + 1
        elif state["ticks"] % 10 == 0:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
    return show


@cli.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON (for scripts).")
@click.option("--quiet", is_flag=True, help="Print only what needs attention: warnings, an unclean close.")
def info(source: str, as_json: bool, quiet: bool) -> None:
    """Describe a recording (sensors, duration, samples, gaps, reconnects, clock drift, battery) or
    a results folder of `analyze` (strides, bouts, warnings, calibration messages)."""
    import json

    if Path(source).is_dir():
        from imu_logger.results import Results

        res = Results.load(source)
        facts, text = res.facts(), res.describe()
        problems = [f"warning: {w}" for w in facts["warnings"]]
    else:
        from imu_logger.recording.reader import read_recording
        from imu_logger.samples.decode import decode_recording
        from imu_logger.samples.inventory import decoder_notes, describe, describe_json, inventory

        rec = read_recording(source)
        decoded = decode_recording(rec)
        table, notes = inventory(rec, decoded), decoder_notes(decoded)
        facts, text = {**describe_json(rec, table), "notes": notes}, describe(rec, table, notes)
        problems = [f"warning {w['placement']}: {w['message']}" for w in facts["warnings"]]
        if not facts["closed_cleanly"]:
            problems.insert(0, f"{source}: session did not close cleanly (crash or kill)")
    if as_json:
        click.echo(json.dumps(facts, indent=1, default=str))
    elif quiet:
        for line in problems:
            click.echo(line)
    else:
        click.echo(text)


@cli.group("import")
def import_group() -> None:
    """Build a recording from files made elsewhere."""


@import_group.command("csv")
@click.option("--placement", "placements", multiple=True, required=True, metavar="PLACEMENT=FILE",
              help="A generic CSV per sensor (time_s, acc_x..z, gyr_x..z[, mag_x..z]).")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--acc-unit", type=click.Choice(["m/s2", "g"]), default="m/s2", show_default=True)
@click.option("--gyro-unit", type=click.Choice(["rad/s", "deg/s"]), default="rad/s", show_default=True)
@click.option("--subject", default="")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def import_csv_cmd(placements, out, acc_unit, gyro_unit, subject, overwrite) -> None:
    """Import generic per-sensor CSV files into a recording."""
    from imu_logger.capture.config import check_placement
    from imu_logger.formats.csv_import import import_csv

    refuse_overwrite(out, overwrite)
    files: dict[str, Path] = {}
    for item in placements:
        placement, sep, file = item.partition("=")
        if not sep or not file:
            raise UserError(f"--placement {item}: expected PLACEMENT=FILE")
        check_placement(placement, f"--placement {item}")
        if placement in files:
            raise UserError(f"--placement {placement} given twice")
        files[placement] = Path(file)
    counts = import_csv(files, Path(out), acc_unit=acc_unit, gyro_unit=gyro_unit, subject_id=subject)
    for placement, n in counts.items():
        click.echo(f"{placement}: {n} samples from {files[placement]}")
    click.echo(f"wrote {out}")


@cli.command()
@click.option("--minutes", type=click.FloatRange(min=0.05), default=10.0, show_default=True)
@click.option("--fs", "fs_hz", type=click.FloatRange(min=1.0), default=100.0, show_default=True,
              help="Sampling rate in Hz (the model must support it).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--mounting", type=click.Choice(["nominal", "random"]), default="random",
              show_default=True, help="Sensor orientation on each segment.")
@click.option("--scenario", type=click.Choice(["day", "walk"]), default="day", show_default=True,
              help="day: free-living mix; walk: walking bouts between turns and standing.")
@click.option("--stiff-side", type=click.Choice(["left", "right"]), default=None,
              help="Give one ankle a restricted dorsiflexion range.")
@click.option("--model", "model_key", default="open_nrf", show_default=True,
              help="Sensor model whose bytes carry the signals (every placement).")
@click.option("--placements", default=",".join(LEG_PLACEMENTS), show_default=True,
              help=f"Sensors worn, comma-separated, from {', '.join(PLACEMENTS)}.")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--overwrite", is_flag=True, help="Replace --out and its truth tables if they exist.")
def simulate(minutes, fs_hz, seed, mounting, scenario, stiff_side, model_key, placements, out, overwrite) -> None:
    """Simulate a walker's day and write it as a recording, with the truth tables beside it."""
    import dataclasses

    from imu_logger.sensors import get_model
    from imu_logger.capture.config import check_placement
    from imu_logger.recording.simulated import check_rate, write_chunked_recording, write_simulated_recording
    from gait_sim import Scenario, SimConfig, write_truth
    from gait_sim import simulate as simulate_whole
    from gait_sim.chunked import ChunkedSimulation, TruthWriter

    out_path = refuse_overwrite(out, overwrite)
    truth_dir = refuse_overwrite(out_path.with_name(out_path.stem + "_truth"), overwrite,
                                 "truth tables of --out")
    check_rate(get_model(model_key), fs_hz)
    worn = tuple(p.strip() for p in placements.split(",") if p.strip())
    for p in worn:
        check_placement(p, "--placements")
    cfg = SimConfig(minutes=minutes, fs_hz=fs_hz, seed=seed, mounting=mounting, placements=worn,
                    scenario=dataclasses.replace(Scenario(), kind=scenario, stiff_side=stiff_side))
    models = {p: model_key for p in cfg.placements}
    if "lower_back" in worn:  # the pelvis model needs the whole day at once: memory grows with --minutes
        sim = simulate_whole(cfg)
        delivered = write_simulated_recording(sim, out_path, models, seed)
        write_truth(sim, truth_dir)
    else:
        sim = ChunkedSimulation(cfg)  # about an hour at a time: a week fits in the memory of an hour
        truth = TruthWriter(sim, truth_dir)
        delivered = write_chunked_recording(sim, out_path, models, seed, on_chunk=truth.add)
        truth.close()
    click.echo(f"simulated {minutes:g} min at {fs_hz:g} Hz, {len(sim.truth_strides)} strides, "
               f"{len(sim.truth_bouts)} bouts; notifications: "
               + ", ".join(f"{p} {n}" for p, n in delivered.items()))
    click.echo(f"wrote {out_path} and the truth tables in {truth_dir}")


def _register_commands() -> None:
    """Commands kept in imu_logger/commands/, one module each."""
    from imu_logger.commands import analyze, demo, export, report
    from imu_logger.k2w import command as k2w
    cli.add_command(analyze.analyze)
    cli.add_command(export.export)
    cli.add_command(demo.demo)
    cli.add_command(report.report)
    cli.add_command(k2w.k2w)
    from imu_logger.commands.import_formats import COMMANDS as import_formats
    for command in import_formats:
        import_group.add_command(command)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="imu-logger")
