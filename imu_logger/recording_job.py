"""Run one recording session on the chosen backend and summarise it in plain words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from imu_logger.config import RecordConfig
from imu_logger.session import Session, SessionResult


async def _run(cfg: RecordConfig, out: Path, backend_name: str,
               status: Callable[[str], None] | None) -> SessionResult:
    if backend_name == "virtual":
        from imu_logger import virtual
        specs = virtual.default_specs()
        if cfg.targets:  # named sensors: serve exactly those models at those placements
            specs = virtual.default_specs(models={t.placement: t.model for t in cfg.targets})
        async with virtual.running(specs):
            session = Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                              subject_id=cfg.subject_id, duration_s=cfg.duration_s, status=status)
            return await session.run()
    from imu_logger.session import Backend
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
                   status: Callable[[str], None] | None = None) -> str:
    """Record until the duration elapses or Ctrl-C; return the summary text."""
    return summarise(asyncio.run(_run(cfg, out, backend_name, status)))
