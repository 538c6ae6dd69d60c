"""One virtual sensor: a Bumble controller and device on the world's link, serving a model's GATT.

The device advertises the model's name and services, hosts the model's characteristics wired to
its :class:`~imu_logger.sensors.base.DeviceEmulator` (writes go to ``on_write`` and its replies are
notified back; reads go to ``read``), and, while the emulator is streaming, samples its signal
source in real time on its own (possibly drifting) clock, encodes the samples and notifies them.
Everything it puts on air, or loses to an injected fault, goes in its ledger.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
from bumble import att, gatt, hci
from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import AdvertisingEventProperties, AdvertisingParameters, Connection, Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from imu_logger.ble import uuids
from imu_logger.ble.faults import FaultInjector, Faults
from imu_logger.ble.sources import ReplaySource, SignalSource, at_rate
from imu_logger.errors import UserError
from imu_logger.sensors.base import SensorModel

logger = logging.getLogger(__name__)

#: advertising interval, ms: short, so scans and reconnections are quick
ADVERTISING_INTERVAL_MS = 50.0
#: largest ATT MTU the virtual devices accept (a common nRF52 SoftDevice setting) unless a model needs more
DEVICE_MAX_MTU = 247
#: how much of the signal source a streaming device computes at a time, s
PREFETCH_S = 1.0
#: legacy advertising payload limit, bytes; longer payloads go out as extended advertising
LEGACY_ADVERTISING_MAX = 31
EXTENDED_ADVERTISING_MAX = 251
#: HCI reason a device gives when it drops the link (Core spec Vol 1 Part F: 0x13)
REASON_REMOTE_USER_TERMINATED = hci.HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR

_PROPERTY_FLAGS = {
    "read": gatt.Characteristic.Properties.READ,
    "write": gatt.Characteristic.Properties.WRITE,
    "write-without-response": gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    "notify": gatt.Characteristic.Properties.NOTIFY,
    "indicate": gatt.Characteristic.Properties.INDICATE,
}


@dataclass(frozen=True, slots=True)
class SentNotification:
    """One notification the device sent, or lost to an injected drop.

    ``data`` is what went on air (after corruption or MTU truncation); for a dropped notification,
    what would have gone. ``time_s`` is host monotonic time; ``connection`` counts the device's
    connections from 1.
    """

    uuid: str
    data: bytes
    time_s: float
    connection: int
    dropped: bool
    corrupted: bool


@dataclass
class EncodedSamples:
    """The samples a device encoded, in order: what a perfect decoder would give back.

    ``time_s`` is the world time (s since the world started) at which each sample was taken,
    ``sensor_time_s`` the device clock passed to the encoder, ``connection`` the connection number.
    """

    time_s: np.ndarray
    sensor_time_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_radps: np.ndarray
    mag_ut: np.ndarray
    connection: np.ndarray

    def __len__(self) -> int:
        return int(self.time_s.shape[0])


def advertising_payload(name: str, service_uuids: list[str]) -> bytes:
    """Flags, complete local name and the service UUID lists, as many UUIDs as fit."""
    structures = [(AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
                  (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode())]
    short = [u for u in service_uuids if len(uuids.to_bumble(u).to_bytes()) == 2]
    long = [u for u in service_uuids if u not in short]
    size = sum(2 + len(v) for _, v in structures)
    for ad_type, group, width in ((AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, short, 2),
                                  (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, long, 16)):
        fit = group[:max(0, (EXTENDED_ADVERTISING_MAX - size - 2) // width)]
        if fit:
            value = b"".join(uuids.to_bumble(u).to_bytes() for u in fit)
            structures.append((ad_type, value))
            size += 2 + len(value)
    return bytes(AdvertisingData(structures))


class VirtualSensor:
    """A model's device on a Bumble link; see the module docstring."""

    def __init__(self, link: LocalLink, model: SensorModel, address: str, name: str,
                 source: SignalSource | ReplaySource, rate_hz: float | None, faults: Faults,
                 clock_origin_s: float, tick_s: float, keep_ledger: bool) -> None:
        self.model = model
        self.address = address
        self.name = name
        self.source = source
        self.faults = faults
        self.emulator = model.new_device(rate_hz)
        self.emulator.set_battery(faults.battery_percent)
        self.connections = 0
        self._injector = FaultInjector(faults)
        self._origin = clock_origin_s
        self._tick_s = tick_s
        self._keep_ledger = keep_ledger
        self._ledger: list[SentNotification] = []
        self._blocks: list[tuple[np.ndarray, ...]] = []
        self._connection: Connection | None = None
        self._subscribed: set[str] = set()
        self._stream_task: asyncio.Task | None = None
        self._replay_origin: float | None = None
        self._warned_truncation = False

        controller = Controller(f"virtual {name}", link=link)
        self.device = Device(name=name, address=hci.Address(address),
                             host=Host(controller, AsyncPipeSink(controller)))
        self.device.gatt_server.max_mtu = max(DEVICE_MAX_MTU, model.min_mtu)
        self._chars = self._build_gatt()
        if isinstance(source, ReplaySource):
            unknown = sorted(set(source.uuids) - set(self._chars))
            if unknown:
                raise UserError(f"virtual sensor {address} ({model.key}): the replayed frames use "
                                f"characteristics the model does not have: {', '.join(unknown)}")
        self.device.on(Device.EVENT_CONNECTION, self._on_connection)

    # ----------------------------------------------------------------------------- GATT

    def _build_gatt(self) -> dict[str, gatt.Characteristic]:
        chars: dict[str, gatt.Characteristic] = {}
        services = []
        for spec in self.model.services():
            members = [self._characteristic(c.uuid, c.properties, c.initial_value, chars)
                       for c in spec.characteristics]
            services.append(gatt.Service(uuids.to_bumble(spec.uuid), members))
        self._service_uuids = [uuids.normalize(s.uuid) for s in self.model.services()]
        battery = self.model.battery_uuid
        if battery is not None and uuids.normalize(battery) not in chars:
            if uuids.normalize(battery) != uuids.BATTERY_LEVEL:
                raise UserError(f"model {self.model.key}: battery characteristic {battery} is in none of its services")
            # the standard Battery Service, which the model reads but does not list
            level = self._characteristic(uuids.BATTERY_LEVEL, ("read", "notify"), b"", chars)
            services.append(gatt.Service(uuids.to_bumble(uuids.BATTERY_SERVICE), [level]))
        self.device.add_services(services)
        return chars

    def _characteristic(self, uuid: str, properties: tuple[str, ...], initial: bytes,
                        chars: dict[str, gatt.Characteristic]) -> gatt.Characteristic:
        key = uuids.normalize(uuid)
        flags = gatt.Characteristic.Properties(0)
        for p in properties:
            flags |= _PROPERTY_FLAGS[p]
        permissions = gatt.Characteristic.Permissions(0)
        if "read" in properties:
            permissions |= gatt.Characteristic.READABLE
        if "write" in properties or "write-without-response" in properties:
            permissions |= gatt.Characteristic.WRITEABLE
        value = gatt.CharacteristicValue(read=functools.partial(self._on_read, key, initial),
                                         write=functools.partial(self._on_write, key))
        char = gatt.Characteristic(uuids.to_bumble(key), flags, permissions, value)
        char.on(gatt.Characteristic.EVENT_SUBSCRIPTION, functools.partial(self._on_subscription, key))
        chars[key] = char
        return char

    def _on_read(self, uuid: str, initial: bytes, _connection: Connection) -> bytes:
        value = self.emulator.read(uuid)
        if value is not None:
            return value
        if uuid == uuids.BATTERY_LEVEL:
            return bytes([self.emulator.battery_percent])
        return initial

    def _on_write(self, uuid: str, connection: Connection, value: bytes) -> None:
        try:
            replies = self.emulator.on_write(uuid, bytes(value))
        except Exception as error:  # the device rejects the write; the host sees an ATT error
            logger.warning("virtual sensor %s rejected a write to %s: %s", self.address, uuid, error)
            raise att.ATT_Error(att.ATT_UNLIKELY_ERROR_ERROR) from error
        # replies and streaming start after the write response, as on a real device
        asyncio.get_running_loop().create_task(self._after_write(connection, replies))

    def _on_subscription(self, uuid: str, bearer: object, notify: bool, indicate: bool) -> None:
        if bearer is not self._connection:
            return
        if notify or indicate:
            self._subscribed.add(uuid)
            self._maybe_start_stream(self._connection)
        else:
            self._subscribed.discard(uuid)

    async def _after_write(self, connection: Connection, replies: list[tuple[str, bytes]]) -> None:
        for uuid, data in replies:
            await self._send(connection, uuid, data, streamed=False)
        self._maybe_start_stream(connection)

    def _streams_to(self, connection: Connection) -> bool:
        """Whether the device streams on ``connection``: its protocol says so and the host listens."""
        return self.emulator.streaming and self._connection is connection and bool(self._subscribed)

    def _maybe_start_stream(self, connection: Connection) -> None:
        if self._streams_to(connection) and (self._stream_task is None or self._stream_task.done()):
            self._stream_task = asyncio.get_running_loop().create_task(self._stream(connection))

    # ----------------------------------------------------------------------------- link

    async def start(self) -> None:
        """Power on and advertise (again after every disconnection)."""
        await self.device.power_on()
        payload = advertising_payload(self.name, self._service_uuids)
        properties = AdvertisingEventProperties(is_connectable=True, is_scannable=False,
                                                is_legacy=len(payload) <= LEGACY_ADVERTISING_MAX)
        await self.device.create_advertising_set(
            advertising_parameters=AdvertisingParameters(
                advertising_event_properties=properties,
                primary_advertising_interval_min=ADVERTISING_INTERVAL_MS,
                primary_advertising_interval_max=ADVERTISING_INTERVAL_MS),
            advertising_data=payload, auto_restart=True)

    async def stop(self) -> None:
        """Stop streaming and power off."""
        if self._stream_task is not None:
            self._stream_task.cancel()
            await asyncio.gather(self._stream_task, return_exceptions=True)
        await self.device.power_off()

    def _on_connection(self, connection: Connection) -> None:
        self.connections += 1
        self._connection = connection
        self._subscribed = set()
        connection.on(Connection.EVENT_DISCONNECTION, functools.partial(self._on_disconnection, connection))

    def _on_disconnection(self, connection: Connection, _reason: int) -> None:
        if connection is not self._connection:
            return
        self._connection = None
        self._subscribed = set()
        # the device stops measuring when its link goes, as if the host had stopped it
        for write in self.model.stop_commands():
            self.emulator.on_write(uuids.normalize(write.uuid), write.data)
        if self._stream_task is not None:
            self._stream_task.cancel()

    # ----------------------------------------------------------------------------- streaming

    async def _send(self, connection: Connection, uuid: str, data: bytes, streamed: bool) -> None:
        if uuid not in self._subscribed:
            return  # nobody listens: the device's stack sends nothing
        dropped = corrupted = False
        if streamed:
            data, dropped, corrupted = self._injector.apply(data)
        limit = connection.att_mtu - 3
        if len(data) > limit:
            if not self._warned_truncation:
                logger.warning("virtual sensor %s: %d-byte notification truncated to the ATT MTU (%d): "
                               "the host did not negotiate a large enough MTU", self.address, len(data),
                               connection.att_mtu)
                self._warned_truncation = True
            data, corrupted = data[:limit], True
        if self._keep_ledger:
            self._ledger.append(SentNotification(uuid, data, time.monotonic(), self.connections,
                                                 dropped, corrupted))
        if not dropped:
            await self.device.notify_subscriber(connection, self._chars[uuid], data)

    async def _stream(self, connection: Connection) -> None:
        start = time.monotonic()
        if isinstance(self.source, ReplaySource):
            step = self._replay_step(self.source)
        else:
            step = self._sample_step(self.source)
        next_wake = start
        while self._streams_to(connection):
            now = time.monotonic()
            for uuid, data in step(now):
                await self._send(connection, uuid, data, streamed=True)
            if self._injector.disconnect_due(now - start):
                # the device ends the session itself: it first says so where its protocol can (Polar's
                # "measurement stopped" 01 <types>, as when put on its charger), then drops the link
                for uuid, data in self.emulator.device_stop():
                    await self._send(connection, uuid, data, streamed=False)
                await connection.disconnect(REASON_REMOTE_USER_TERMINATED)
                return
            next_wake = max(next_wake + self._tick_s, now)
            await asyncio.sleep(next_wake - time.monotonic())

    def _sample_step(self, source: SignalSource):
        """A function giving, at host time ``now``, the notifications of the samples taken since."""
        scale = self.faults.clock_scale
        state = {"rate": 0.0, "k": 0, "source": source}
        cache: dict[str, object] = {"k0": 0, "arrays": None}

        def fetch(src: SignalSource, k: int, n: int, fs: float) -> tuple[np.ndarray, ...]:
            # the source is asked for about a second at a time: one call per tick would cost more than the encoding
            arrays = cache["arrays"]
            k0 = cache["k0"]
            if arrays is None or cache["source"] is not src or k < k0 or k + n > k0 + len(arrays[0]):
                arrays = src.block(k / fs, max(n, math.ceil(fs * PREFETCH_S)))
                cache.update(k0=k, arrays=arrays, source=src)
                k0 = k
            return tuple(a[k - k0:k - k0 + n] for a in arrays)

        def step(now: float) -> list[tuple[str, bytes]]:
            rate = float(self.emulator.rate_hz)
            sensor_now = (now - self._origin) * scale  # the device's clock
            if rate != state["rate"]:
                state.update(rate=rate, k=math.ceil(sensor_now * rate), source=at_rate(source, rate * scale))
            k, k_due = state["k"], math.floor(sensor_now * rate)
            if k_due < k:
                return []
            n = k_due - k + 1
            acc, gyr, mag = fetch(state["source"], k, n, rate * scale)
            sensor_t = (k + np.arange(n)) / rate
            state["k"] = k_due + 1
            if self._keep_ledger:
                self._blocks.append((sensor_t / scale, sensor_t, acc, gyr, mag,
                                     np.full(n, self.connections)))
            return self.emulator.encode(acc, gyr, mag, sensor_t)

        return step

    def _replay_step(self, source: ReplaySource):
        """A function giving, at host time ``now``, the recorded frames due since the last call."""
        scale = self.faults.clock_scale
        now = time.monotonic()
        if self._replay_origin is None:
            self._replay_origin = now  # replay time runs from the first start, through any disconnection
        origin = self._replay_origin
        state = {"t": (now - origin) * scale}

        def step(now: float) -> list[tuple[str, bytes]]:
            t = (now - origin) * scale
            frames = [(source.uuids[i], source.payloads[i]) for i in source.frame_indices(state["t"], t)]
            state["t"] = t
            return frames

        return step

    # ----------------------------------------------------------------------------- records

    def sent(self) -> list[SentNotification]:
        """Every notification sent or dropped so far, in order."""
        return list(self._ledger)

    def samples(self) -> EncodedSamples:
        """Every sample encoded so far, in order."""
        if not self._blocks:
            empty = np.zeros((0, 3))
            return EncodedSamples(np.zeros(0), np.zeros(0), empty, empty, empty, np.zeros(0, dtype=np.int64))
        cols = list(zip(*self._blocks))
        return EncodedSamples(*(np.concatenate(c) for c in cols))
