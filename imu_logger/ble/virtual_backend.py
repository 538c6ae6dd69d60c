"""A bleak backend that reaches the virtual sensors over Bumble's in-process link.

Use it through bleak's public API::

    BleakScanner(backend=VirtualBleakScanner)
    BleakClient(address, backend=VirtualBleakClient)

Both drive the running world's host adapter (a Bumble ``Device`` on its own controller): real
advertising reports, LE connections, ATT MTU exchange, GATT discovery, reads, writes and
notifications. A :func:`~imu_logger.ble.world.VirtualWorld` must be running.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any, Callable

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt import Characteristic

from imu_logger.ble import uuids
from imu_logger.ble.faults import ReceiveDelay
from imu_logger.ble.world import VirtualWorld, current_world

logger = logging.getLogger(__name__)

#: the ATT MTU the host asks for right after connecting, as BlueZ and CoreBluetooth do
HOST_REQUESTED_MTU = 517

_PROPERTY_NAMES = {
    Characteristic.Properties.BROADCAST: "broadcast",
    Characteristic.Properties.READ: "read",
    Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    Characteristic.Properties.WRITE: "write",
    Characteristic.Properties.NOTIFY: "notify",
    Characteristic.Properties.INDICATE: "indicate",
    Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}
_UUID_LISTS = (
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)
_SERVICE_DATA = (AdvertisingData.SERVICE_DATA_16_BIT_UUID, AdvertisingData.SERVICE_DATA_32_BIT_UUID,
                 AdvertisingData.SERVICE_DATA_128_BIT_UUID)


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """bleak's view of one Bumble advertising report."""
    data = advertisement.data
    name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
    service_uuids: list[str] = []
    for ad_type in _UUID_LISTS:
        for group in data.get_all(ad_type):
            service_uuids.extend(uuids.from_bumble(u) for u in group if uuids.from_bumble(u) not in service_uuids)
    service_data = {uuids.from_bumble(u): bytes(v) for ad_type in _SERVICE_DATA for u, v in data.get_all(ad_type)}
    manufacturer_data = {company: bytes(v) for company, v in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)}
    tx_power = data.get(AdvertisingData.TX_POWER_LEVEL)
    return AdvertisementData(local_name=name, manufacturer_data=manufacturer_data, service_data=service_data,
                             service_uuids=service_uuids, tx_power=tx_power, rssi=advertisement.rssi,
                             platform_data=(advertisement,))


class VirtualBleakScanner(BaseBleakScanner):
    """Scans with the virtual world's host adapter."""

    def __init__(self, detection_callback: AdvertisementDataCallback | None, service_uuids: list[str] | None,
                 scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"
        self._world: VirtualWorld | None = None

    async def start(self) -> None:
        world = current_world()
        self.seen_devices = {}
        world.central.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        try:
            await world.start_scanning(self._active)
        except BaseException:
            world.central.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
            raise
        self._world = world

    async def stop(self) -> None:
        if self._world is None:
            return
        world, self._world = self._world, None
        world.central.remove_listener(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await world.stop_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = advertisement.address.to_string(False)
        device = self.create_or_update_device(address, address, adv.local_name, advertisement, adv)
        self.call_detection_callbacks(device, adv)


def _delayed(deliver: Callable[[bytes], None], delay: ReceiveDelay) -> Callable[[bytes], None]:
    """``deliver`` called for each value when ``delay`` says it arrives, in arrival order."""
    loop = asyncio.get_running_loop()
    queue: collections.deque[tuple[float, bytes]] = collections.deque()

    def drain() -> None:
        while queue and queue[0][0] <= time.monotonic():
            deliver(queue.popleft()[1])

    def on_value(value: bytes) -> None:
        now = time.monotonic()
        due = delay.due(now)
        queue.append((due, value))
        loop.call_later(due - now, drain)
    return on_value


def _protocol_error(error: att.ATT_Error) -> BleakGATTProtocolError:
    return BleakGATTProtocolError(error.error_code)


class VirtualBleakClient(BaseBleakClient):
    """A GATT client on the virtual world's host adapter."""

    def __init__(self, address_or_ble_device: BLEDevice | str, *,
                 disconnected_callback: Callable[[], None] | None = None, timeout: float = 10.0,
                 services: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self.address = self.address.upper()
        self._wanted_services = services
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._name: str | None = None
        self._closing = False
        self._handlers: dict[int, Callable[[bytes], None]] = {}

    # ----------------------------------------------------------------------------- connection

    @property
    def name(self) -> str:
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if pair:
            logger.info("virtual sensors need no pairing: connecting to %s without it", self.address)
        world = current_world()
        if self.address not in world.sensors:
            raise BleakDeviceNotFoundError(self.address, f"no virtual sensor at {self.address}")
        timeout = kwargs.get("timeout", self._timeout)
        async with world.connect_lock:
            try:
                connection = await world.central.connect(
                    hci.Address(self.address), transport=core.PhysicalTransport.LE, timeout=timeout)
            except (core.TimeoutError, asyncio.TimeoutError) as error:
                raise TimeoutError(f"virtual sensor {self.address} did not accept a connection "
                                   f"within {timeout} s (not advertising?)") from error
        self._connection = connection
        self._closing = False
        connection.on(Connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            self._peer = Peer(connection)
            await self._peer.request_mtu(HOST_REQUESTED_MTU)
            self.services = await self._discover()
            name_char = self.services.get_characteristic(uuids.DEVICE_NAME)
            if name_char is not None:
                self._name = bytes(await self._peer.read_value(name_char.handle)).decode("utf-8", "replace")
        except BaseException:
            await self.disconnect()
            raise

    async def _discover(self) -> BleakGATTServiceCollection:
        client = self._peer.gatt_client
        wanted = [uuids.to_bumble(u) for u in self._wanted_services] if self._wanted_services else ()
        collection = BleakGATTServiceCollection()
        for service_proxy in await client.discover_services(wanted):
            service = BleakGATTService(service_proxy, service_proxy.handle, uuids.from_bumble(service_proxy.uuid))
            collection.add_service(service)
            for char_proxy in await client.discover_characteristics((), service_proxy):
                properties = [name for flag, name in _PROPERTY_NAMES.items() if char_proxy.properties & flag]
                char = BleakGATTCharacteristic(char_proxy, char_proxy.handle, uuids.from_bumble(char_proxy.uuid),
                                               properties, lambda: self.mtu_size - 3, service)
                collection.add_characteristic(char)
                for desc_proxy in await client.discover_descriptors(char_proxy):
                    collection.add_descriptor(BleakGATTDescriptor(desc_proxy, desc_proxy.handle,
                                                                  uuids.from_bumble(desc_proxy.type), char))
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        self._handlers.clear()
        solicited, self._closing = self._closing, False
        if not solicited and self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._closing = True
        try:
            await connection.disconnect()
        except (core.BaseBumbleError, hci.HCI_Error) as error:
            if self._connection is not None:
                raise BleakError(f"could not disconnect from {self.address}: {error}") from error

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        logger.info("virtual sensors need no pairing (%s)", self.address)

    async def unpair(self) -> None:
        logger.info("virtual sensors keep no bonds (%s)", self.address)

    # ----------------------------------------------------------------------------- I/O

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False,
                             **kwargs: Any) -> bytearray:
        return await self._read(characteristic.handle, use_cached)

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False,
                                   **kwargs: Any) -> bytearray:
        return await self._read(descriptor.handle, use_cached)

    async def _read(self, handle: int, use_cached: bool) -> bytearray:
        client = self._require_peer().gatt_client
        if use_cached and handle in client.cached_values:
            return bytearray(client.cached_values[handle][1])
        try:
            return bytearray(await client.read_value(handle))
        except att.ATT_Error as error:
            raise _protocol_error(error) from error

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        await self._write(characteristic.handle, data, response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._write(descriptor.handle, data, True)

    async def _write(self, handle: int, data: Any, response: bool) -> None:
        client = self._require_peer().gatt_client
        try:
            await client.write_value(handle, bytes(data), with_response=response)
        except att.ATT_Error as error:
            raise _protocol_error(error) from error

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback,
                           **kwargs: Any) -> None:
        client = self._require_peer().gatt_client
        world = current_world()
        faults = world.sensor(self.address).faults

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        if faults.delays_reception:
            on_value = _delayed(on_value, ReceiveDelay(faults, world.origin_s))

        try:
            await client.subscribe(characteristic.obj, on_value, prefer_notify=True)
        except att.ATT_Error as error:
            raise _protocol_error(error) from error
        self._handlers[characteristic.handle] = on_value

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        client = self._require_peer().gatt_client
        handler = self._handlers.pop(characteristic.handle, None)
        try:
            await client.unsubscribe(characteristic.obj, handler)
        except att.ATT_Error as error:
            raise _protocol_error(error) from error
