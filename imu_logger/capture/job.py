"""Run one recording session on the chosen backend and summarise it in plain words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from imu_logger.capture.config import RecordConfig
from imu_logger.capture.session import Session, SessionResult

#: seconds of simulated walk the virtual sensors loop when the recording has no --duration
OPEN_ENDED_WALK_S = 180.0


def virtual_specs(cfg: RecordConfig, source: str = "walk", replay: str | None = None,
                  stiff_side: str | None = None, seed: int = 0) -> dict:
    """The virtual sensors to serve: a replayed recording, or the named (default: four) sensors
    streaming a simulated walk or the simple built-in motion."""
    from imu_logger.ble import virtual
    if replay:
        return virtual.replay_specs(replay)
    models = {t.placement: t.model for t in cfg.targets} or None
    sources = None
    if source == "walk":
        # long enough that the walk does not loop within a recording of known length; an open-ended
        # one loops a few minutes' walk (10 minutes took 4.3 s to simulate before the first sample)
        minutes = (cfg.duration_s or OPEN_ENDED_WALK_S) / 60.0 + 0.5
        sources = virtual.simulated_walk_sources(minutes, seed, stiff_side, tuple(models or virtual.DEFAULT_MODELS))
    return virtual.default_specs(sources=sources, models=models)


async def _run(cfg: RecordConfig, out: Path, backend_name: str,
               status: Callable[[str], None] | None, specs: dict | None,
               say: Callable[[str], None] | None, marker_fd: int | None) -> SessionResult:
    kwargs = dict(subject_id=cfg.subject_id, duration_s=cfg.duration_s, status=status, say=say,
                  marker_fd=marker_fd)
    if backend_name == "virtual":
        from imu_logger.ble import virtual
        specs = specs if specs is not None else virtual_specs(cfg)
        async with virtual.running(specs):
            return await Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                                 **kwargs).run()
    from imu_logger.capture.session import Backend
    return await Session(cfg.targets, out, Backend("platform"), **kwargs).run()


def summarise(result: SessionResult) -> str:
    """End-of-session summary: how long was recorded and why it stopped, then one line per sensor
    with the same accounting as `imu-logger info` (the recording decoded, gaps from the time base)."""
    from imu_logger.recording.reader import read_recording
    from imu_logger.samples.decode import decode_recording
    from imu_logger.samples.inventory import inventory, sensor_line

    why = "--duration reached" if result.stopped_by == "duration" else "stopped by Ctrl-C or a signal"
    lines = [f"recorded {result.duration_s:.1f} s to {result.path} ({why}; connecting the sensors "
             f"took {result.connect_s:.1f} s before that)"]
    rec = read_recording(result.path)
    table = inventory(rec, decode_recording(rec))
    lines += [f"  {sensor_line(row)}" for row in table.itertuples()]
    return "\n".join(lines)


def record_session(cfg: RecordConfig, out: Path, backend_name: str,
                   status: Callable[[str], None] | None = None, specs: dict | None = None,
                   say: Callable[[str], None] | None = None, marker_fd: int | None = None) -> str:
    """Record until the duration elapses or Ctrl-C; return the summary text.

    ``specs`` (virtual backend only): the virtual sensors to serve, from :func:`virtual_specs`;
    ``say`` gets the connection progress lines, ``status`` the live status block; each line read
    from ``marker_fd`` (the terminal) is a marker with its time.
    """
    return summarise(asyncio.run(_run(cfg, out, backend_name, status, specs, say, marker_fd)))
