"""Run one recording session on the chosen backend and summarise it in plain words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from imu_logger.capture.config import RecordConfig
from imu_logger.capture.session import Session, SessionResult


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
        # long enough that the walk does not loop within the recording
        minutes = (cfg.duration_s or 600.0) / 60.0 + 0.5
        sources = virtual.simulated_walk_sources(minutes, seed, stiff_side)
    return virtual.default_specs(sources=sources, models=models)


async def _run(cfg: RecordConfig, out: Path, backend_name: str,
               status: Callable[[str], None] | None, specs: dict | None) -> SessionResult:
    if backend_name == "virtual":
        from imu_logger.ble import virtual
        specs = specs if specs is not None else virtual_specs(cfg)
        async with virtual.running(specs):
            session = Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                              subject_id=cfg.subject_id, duration_s=cfg.duration_s, status=status)
            return await session.run()
    from imu_logger.capture.session import Backend
    session = Session(cfg.targets, out, Backend("platform"), subject_id=cfg.subject_id,
                      duration_s=cfg.duration_s, status=status)
    return await session.run()


def summarise(result: SessionResult) -> str:
    """End-of-session summary: one line per sensor."""
    lines = [f"recorded {result.duration_s:.1f} s to {result.path}"]
    for placement, s in result.stats.items():
        battery = f"{s.battery_percent}%" if s.battery_percent is not None else "n/a"
        lines.append(f"  {placement:<11} {s.samples:8d} samples  {s.notifications:7d} notifications  "
                     f"{s.drops} lost  {s.corrupt} corrupt  {result.reconnects[placement]} reconnects  "
                     f"battery {battery}")
    return "\n".join(lines)


def record_session(cfg: RecordConfig, out: Path, backend_name: str,
                   status: Callable[[str], None] | None = None, specs: dict | None = None) -> str:
    """Record until the duration elapses or Ctrl-C; return the summary text.

    ``specs`` (virtual backend only): the virtual sensors to serve, from :func:`virtual_specs`.
    """
    return summarise(asyncio.run(_run(cfg, out, backend_name, status, specs)))
