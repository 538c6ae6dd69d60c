"""Virtual sensors for running without hardware: the default set and the backend that reaches them."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import SignalSource, SimpleMotionSource
from imu_logger.ble.virtual_backend import VirtualBleakClient, VirtualBleakScanner
from imu_logger.ble.world import VirtualSensorSpec, VirtualWorld
from imu_logger.session import Backend, SensorTarget

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
            faults=(faults or {}).get(placement, Faults()))
        for i, (placement, model) in enumerate(models.items())
    }


def targets_for(specs: dict[str, VirtualSensorSpec]) -> list[SensorTarget]:
    """Session targets that record exactly these virtual sensors."""
    return [SensorTarget(placement, spec.model_key, spec.address, spec.rate_hz)
            for placement, spec in specs.items()]


@contextlib.asynccontextmanager
async def running(specs: dict[str, VirtualSensorSpec]) -> AsyncIterator[VirtualWorld]:
    """Power the virtual sensors for the duration of the block."""
    async with VirtualWorld(list(specs.values())) as world:
        yield world
