"""Registry of supported sensor models, keyed by the name used on the command line and in recordings."""

from __future__ import annotations

from imu_logger.errors import UserError
from imu_logger.sensors.base import SensorModel
from imu_logger.sensors.movella_dot import MovellaDot
from imu_logger.sensors.open_nrf import OpenNrf
from imu_logger.sensors.polar_pmd import PolarVeritySense
from imu_logger.sensors.thingy52 import Thingy52
from imu_logger.sensors.witmotion import WitMotion

MODELS: dict[str, SensorModel] = {
    m.key: m for m in (WitMotion(), MovellaDot(), PolarVeritySense(), Thingy52(), OpenNrf())
}


def get_model(key: str) -> SensorModel:
    """The model registered under ``key``; a clear error naming the known models otherwise."""
    try:
        return MODELS[key]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise UserError(f"unknown sensor model {key!r}: supported models are {known}") from None


def model_for_advertisement(local_name: str | None) -> SensorModel | None:
    """The model whose advertised name prefix (or an older firmware's, in any case) matches ``local_name``."""
    if not local_name:
        return None
    for model in MODELS.values():
        if local_name.startswith(model.name_prefix) or any(
                local_name.casefold().startswith(p.casefold()) for p in model.legacy_name_prefixes):
            return model
    return None
