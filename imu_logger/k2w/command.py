"""`imu-logger k2w`: the guided knee-to-wall (weight-bearing lunge) test with the shin sensors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from imu_logger.errors import UserError
from imu_logger.output_paths import refuse_overwrite

SIDES = ("left", "right")


def _targets(sensor_opts: tuple[str, ...], sides: tuple[str, ...]):
    from imu_logger.capture.config import parse_sensor_option

    targets = {}
    for text in sensor_opts:
        t = parse_sensor_option(text)
        side, _, segment = t.placement.partition("_")
        if segment != "shin":
            raise UserError(f"--sensor {text}: the knee-to-wall test uses shin sensors "
                            "(left_shin, right_shin)")
        targets[side] = t
    missing = [s for s in sides if s not in targets]
    if missing:
        raise UserError(f"no shin sensor named for the {', '.join(missing)} side: use "
                        f"--sensor {missing[0]}_shin=MODEL[@ADDRESS] (or --backend virtual)")
    return {s: targets[s] for s in sides}


async def run_test(backend: str, sensor_opts, sides, out: Path, trials: int, timeout_s: float,
                   subject: str, yes: bool):
    """Run the guided test on ``backend`` ("virtual" or "platform") and write ``out``; returns the outcome."""
    from imu_logger.k2w.session import K2wSession

    async def wait_ready(text: str) -> None:
        await asyncio.to_thread(click.prompt, text, default="", show_default=False)

    kwargs = dict(trials=trials, trial_timeout_s=timeout_s, subject_id=subject, say=click.echo,
                  wait_ready=None if yes else wait_ready)
    if backend == "virtual":
        from imu_logger.ble import virtual
        from imu_logger.k2w.motion import VIRTUAL_LUNGE_DEG, LungeSource

        models = {f"{s}_shin": virtual.DEFAULT_MODELS[f"{s}_shin"] for s in sides}
        specs = virtual.default_specs(
            sources={f"{s}_shin": LungeSource(angles_deg=VIRTUAL_LUNGE_DEG[s]) for s in sides},
            models=models)
        async with virtual.running(specs):
            targets = {t.placement.split("_")[0]: t for t in virtual.targets_for(specs)}
            return await K2wSession(targets, out, virtual.VIRTUAL_BACKEND, **kwargs).run()
    from imu_logger.capture.session import Backend
    return await K2wSession(_targets(sensor_opts, sides), out, Backend("platform"), **kwargs).run()


@click.command()
@click.option("--sensor", "sensor_opts", multiple=True, metavar="SIDE_shin=MODEL[@ADDRESS]",
              help="A shin sensor, e.g. left_shin=movella_dot@AA:BB:CC:DD:EE:FF.")
@click.option("--backend", type=click.Choice(["platform", "virtual"]), default="platform",
              show_default=True, help="virtual: built-in virtual shin sensors doing lunges.")
@click.option("--side", "side", type=click.Choice(["both", *SIDES]), default="both", show_default=True)
@click.option("--trials", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Trials per side (the best counts).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=5.0), default=40.0,
              show_default=True, help="Seconds to wait for each trial's held end position.")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Recording (.mcap) to write: raw shin data plus the test results as events.")
@click.option("--subject", default="", help="Subject id stored in the recording.")
@click.option("--yes", is_flag=True, help="Do not wait for Enter before each trial (prompts only).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def k2w(sensor_opts, backend, side, trials, timeout_s, out, subject, yes, overwrite) -> None:
    """Guide the knee-to-wall test: tibial inclination per side, best of the trials.

    Each trial: stand with the shin upright and still, lunge the knee towards the wall with the
    heel down, hold the end position for 2 s, come back. The result is the shin's forward
    inclination (degrees from its upright pose) at the held end position, from the shin sensor's
    accelerometer. Results go into the recording given by --out; pass that recording to
    `imu-logger report ... --k2w REC` to show them in the day report.
    """
    sides = SIDES if side == "both" else (side,)
    out_path = refuse_overwrite(out, overwrite)
    outcome = asyncio.run(run_test(backend, sensor_opts, sides, out_path, trials, timeout_s, subject, yes))
    click.echo("knee-to-wall result (tibial inclination, best of "
               f"{trials} trial{'s' if trials > 1 else ''}):")
    for s in sides:
        best = outcome.best.get(s)
        click.echo(f"  {s:<5}: " + (f"{best:.1f}°" if best is not None else "no valid trial"))
    if outcome.difference_deg is not None:
        d = outcome.difference_deg
        click.echo(f"  left - right: {d:+.1f}° (about {d / 3.6:+.1f} cm of toe-wall distance at "
                   "3.6° per cm)")
    click.echo(f"wrote {out}")
    if not outcome.best:
        raise UserError("no trial had a held end position: nothing to report")
