"""`imu-logger demo`: the whole path on the built-in default, no hardware.

1. Four virtual sensors of four models stream a simulated walker with a stiff left ankle through
   bleak and Bumble; the recorder captures them live for ``--duration`` seconds.
2. A longer simulated day of the same walker is written faster than real time, through the same
   sensor bytes.
3. Both recordings are analysed; a virtual knee-to-wall test is run on the shin sensors.
4. The clinician's report of the day is written, and its path printed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

STIFF_SIDE = "left"
SEED = 7
#: five sensors of the five models: the four leg placements and the lower back
DEMO_MODELS = {"left_shin": "movella_dot", "left_foot": "open_nrf", "right_shin": "polar_verity",
               "right_foot": "witmotion", "lower_back": "thingy52"}


@click.command()
@click.option("--duration", type=click.FloatRange(min=5.0), default=120.0, show_default=True,
              help="Seconds of live capture from the virtual sensors.")
@click.option("--day-minutes", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
              help="Length of the simulated day recorded faster than real time.")
@click.option("--k2w-trials", type=click.IntRange(0, 3), default=1, show_default=True,
              help="Knee-to-wall trials per side (0 skips the test).")
@click.option("--out", type=click.Path(file_okay=False), default="recordings/demo", show_default=True)
def demo(duration: float, day_minutes: float, k2w_trials: int, out: str) -> None:
    """Run capture, simulation, analysis and the report on virtual sensors; print the report's path."""
    from imu_logger.api import analyze_recording, load_recording
    from imu_logger.commands.analyze import headline
    from imu_logger.k2w.command import SIDES, run_test
    from imu_logger.report.html import build_report
    from imu_logger.capture.config import RecordConfig
    from imu_logger.capture.session import SensorTarget
    from imu_logger.samples.inventory import describe
    from imu_logger.recording.reader import read_recording
    from imu_logger.capture.job import record_session, virtual_specs
    from imu_logger.recording.simulated import write_simulated_recording
    from gait_sim import Scenario, SimConfig, simulate, write_truth

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    live = out_dir / "live.mcap"
    click.echo(f"1/4 recording {duration:g} s live from five virtual sensors (walker with a stiff "
               f"{STIFF_SIDE} ankle) through bleak and Bumble ...")
    cfg = RecordConfig(targets=[SensorTarget(p, m) for p, m in DEMO_MODELS.items()], duration_s=duration,
                       subject_id="demo")
    specs = virtual_specs(cfg, "walk", stiff_side=STIFF_SIDE, seed=SEED)
    click.echo(record_session(cfg, live, "virtual", specs=specs))
    rec = read_recording(live)
    live_data = load_recording(rec)
    click.echo(describe(rec, live_data.inventory))
    del rec  # decoded: the raw frames are not needed again

    click.echo(f"2/4 simulating a {day_minutes:g}-minute day of the same walker, faster than real time ...")
    sim_cfg = SimConfig(minutes=day_minutes, seed=SEED, mounting="random", placements=tuple(DEMO_MODELS),
                        scenario=dataclasses.replace(Scenario(), stiff_side=STIFF_SIDE))
    sim = simulate(sim_cfg)
    day = out_dir / "day.mcap"
    write_simulated_recording(sim, day, {p: "open_nrf" for p in sim.signals}, seed=SEED,
                              subject_id="demo")
    write_truth(sim, out_dir / "day_truth")

    click.echo("3/4 analysing both recordings ...")
    for data, results_dir in ((live_data, out_dir / "live_results"), (load_recording(day), out_dir / "day_results")):
        day_res = analyze_recording(data)  # the last one analysed, the day, is the report's
        day_res.save(results_dir)
        click.echo(headline(day_res, results_dir))
    if k2w_trials:
        click.echo(f"    knee-to-wall test on the virtual shin sensors, {k2w_trials} trial(s) per side ...")
        k2w_path = out_dir / "k2w.mcap"
        asyncio.run(run_test("virtual", (), SIDES, k2w_path, k2w_trials, 40.0, "demo", True))
        day_res.add_k2w(read_recording(k2w_path).events)

    click.echo("4/4 writing the report ...")
    html = out_dir / "report.html"
    html.write_text(build_report([day_res]), encoding="utf-8")
    click.echo(f"report: {html.resolve()}")
