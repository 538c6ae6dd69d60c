"""Virtual sensors for running without hardware: the default set and the backend that reaches them."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import ArraySource, ReplaySource, SignalSource, SimpleMotionSource
from imu_logger.errors import UserError
from imu_logger.recording import generic
from imu_logger.ble.virtual_backend import VirtualBleakClient, VirtualBleakScanner
from imu_logger.ble.world import VirtualSensorSpec, VirtualWorld
from imu_logger.capture.session import Backend, SensorTarget

#: one sensor per placement, of mixed models, so the default run exercises four protocols
DEFAULT_MODELS = {
    "left_shin": "movella_dot",
    "left_foot": "open_nrf",
    "right_shin": "polar_verity",
    "right_foot": "witmotion",
}

VIRTUAL_BACKEND = Backend("virtual", VirtualBleakScanner, VirtualBleakClient)


def virtual_address(index: int) -> str:
    """Deterministic, locally administered static address of virtual sensor ``index``."""
    return f"F0:00:00:00:00:{index + 1:02X}"


def default_specs(sources: dict[str, SignalSource] | None = None,
                  faults: dict[str, Faults] | None = None,
                  models: dict[str, str] | None = None) -> dict[str, VirtualSensorSpec]:
    """Virtual sensor specs keyed by placement (default models, simple motion, no faults)."""
    models = models or DEFAULT_MODELS
    return {
        placement: VirtualSensorSpec(
            model_key=model, address=virtual_address(i),
            source=(sources or {}).get(placement) or SimpleMotionSource(),
            faults=(faults or {}).get(placement, Faults()), placement=placement)
        for i, (placement, model) in enumerate(models.items())
    }


def simulated_walk_sources(minutes: float, seed: int = 0, stiff_side: str | None = None,
                           placements: tuple[str, ...] = tuple(DEFAULT_MODELS)) -> dict[str, SignalSource]:
    """A simulated walker (walking bouts, turns, standing; random sensor mounting) per placement worn.

    Signals carry the simulator's noise and bias but no dropped samples or clock errors: the
    virtual sensors add their own faults and clocks.
    """
    import dataclasses

    from analysis.columns import ACC, GYR, MAG
    from gait_sim import Scenario, SimConfig, simulate

    cfg = SimConfig(minutes=minutes, seed=seed, mounting="random", placements=placements,
                    scenario=dataclasses.replace(Scenario(), kind="walk", stiff_side=stiff_side))
    cfg = dataclasses.replace(cfg, errors=dataclasses.replace(
        cfg.errors, drop_fraction=0.0, clock_offset_max_s=0.0, clock_drift_ppm=0.0))
    sim = simulate(cfg)
    return {p: ArraySource(df[list(ACC)].to_numpy(float), df[list(GYR)].to_numpy(float),
                           df[list(MAG)].to_numpy(float), cfg.fs_hz)
            for p, df in sim.signals.items()}


def replay_specs(path: str) -> dict[str, VirtualSensorSpec]:
    """Virtual sensors that replay, byte for byte, the raw frames of every sensor in a recording."""
    from imu_logger.recording.reader import read_recording

    rec = read_recording(path)
    specs = {}
    for i, (placement, info) in enumerate(rec.sensors.items()):
        log = rec.raw[placement]
        if info.model == generic.MODEL_KEY:
            raise UserError(f"{path}: {placement} was imported from CSV ({info.model}); "
                            "only BLE recordings can be replayed")
        frames = [(info.notify_uuids[c], p, t * 1e-9)
                  for c, p, t in zip(log.char_index.tolist(), log.payloads, log.host_mono_ns.tolist())]
        if not frames:
            raise UserError(f"{path}: {placement} has no frames to replay")
        specs[placement] = VirtualSensorSpec(model_key=info.model, address=virtual_address(i),
                                             source=ReplaySource(frames), rate_hz=info.rate_hz)
    return specs


def targets_for(specs: dict[str, VirtualSensorSpec]) -> list[SensorTarget]:
    """Session targets that record exactly these virtual sensors."""
    return [SensorTarget(placement, spec.model_key, spec.address, spec.rate_hz)
            for placement, spec in specs.items()]


@contextlib.asynccontextmanager
async def running(specs: dict[str, VirtualSensorSpec]) -> AsyncIterator[VirtualWorld]:
    """Power the virtual sensors for the duration of the block."""
    async with VirtualWorld(list(specs.values())) as world:
        yield world
