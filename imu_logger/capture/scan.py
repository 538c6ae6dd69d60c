"""Find supported sensors nearby and read their battery."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from imu_logger.capture.adapter import bluetooth_available
from imu_logger.sensors import model_for_advertisement
from imu_logger.sensors.base import SensorModel
from imu_logger.capture.session import Backend


@dataclass
class FoundSensor:
    """A supported sensor seen in a scan."""

    model: str
    address: str
    name: str
    rssi: int
    battery_percent: int | None


async def read_battery(client: BleakClient, model: SensorModel, wait_s: float = 2.0) -> int | None:
    """Battery percent: read where the model has a characteristic, else ask and await the reply."""
    if model.battery_uuid is not None:
        return model.decode_battery(bytes(await client.read_gatt_char(model.battery_uuid)))
    requests = model.battery_request_commands()
    if not requests:
        return None
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_notify(_char, data: bytearray) -> None:
        try:
            level = model.decode_battery(bytes(data))
        except ValueError:
            return  # a data frame, not the answer
        if not answer.done():
            answer.set_result(level)
    for uuid in model.notify_uuids:
        await client.start_notify(uuid, on_notify)
    for write in requests:
        await client.write_gatt_char(write.uuid, write.data, response=write.response)
    return await asyncio.wait_for(answer, wait_s)


async def scan_nearby(backend: Backend, timeout_s: float) -> list[FoundSensor]:
    """Scan, keep the supported models, connect briefly to each to read its battery."""
    with bluetooth_available():
        seen = await BleakScanner.discover(timeout_s, return_adv=True, **backend.kwargs("scanner"))
    found = []
    for device, adv in seen.values():
        model = model_for_advertisement(adv.local_name or device.name)
        if model is None:
            continue
        try:
            async with BleakClient(device, timeout=timeout_s, **backend.kwargs("client")) as client:
                battery = await read_battery(client, model)
        except (BleakError, asyncio.TimeoutError, OSError, ValueError):
            battery = None  # shown as n/a: the sensor may be busy with another host
        found.append(FoundSensor(model.key, device.address, adv.local_name or device.name or "",
                                 adv.rssi, battery))
    return sorted(found, key=lambda s: -s.rssi)
