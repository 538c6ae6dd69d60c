"""The virtual world: virtual sensors and a host adapter, each a Bumble controller on one LocalLink.

``async with VirtualWorld(specs) as world:`` powers everything on; while it runs,
:func:`current_world` returns it, which is how the bleak backend in
:mod:`imu_logger.ble.virtual_backend` finds the host adapter (``world.central``) it scans and
connects with.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Sequence

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from imu_logger.ble.faults import Faults
from imu_logger.ble.sources import ReplaySource, SignalSource, SimpleMotionSource
from imu_logger.ble.virtual_sensor import EncodedSamples, SentNotification, VirtualSensor
from imu_logger.errors import UserError

#: random static address of the host adapter (top two bits set, Core spec Vol 6 Part B 1.3.2.1)
CENTRAL_ADDRESS = "F0:F0:F0:F0:F0:F0"
_ADDRESS = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")

_current: VirtualWorld | None = None


@dataclass(frozen=True)
class VirtualSensorSpec:
    """One virtual sensor: its model, address, advertised name, what it measures and its faults.

    ``name`` defaults to the model's name prefix and the address's last two bytes; ``source`` to a
    :class:`SimpleMotionSource`; ``rate_hz`` (the rate the device starts at, before the host
    configures it) to the model's default. ``placement`` is informative (``left_shin``...).
    """

    model_key: str
    address: str
    name: str | None = None
    source: SignalSource | ReplaySource | None = None
    rate_hz: float | None = None
    faults: Faults = field(default_factory=Faults)
    placement: str | None = None


def current_world() -> VirtualWorld:
    """The running virtual world; a clear error when there is none."""
    if _current is None:
        raise UserError("no virtual sensors running: start them with --backend virtual")
    return _current


class VirtualWorld:
    """Virtual sensors on a real Bumble stack, and the host adapter that reaches them.

    ``tick_s`` is how often a streaming sensor wakes to send the samples taken since its last
    wake-up (like a BLE connection interval). With ``keep_ledger`` false the world keeps no record
    of what it sent (for long runs).
    """

    def __init__(self, specs: Sequence[VirtualSensorSpec], *, tick_s: float = 0.02,
                 keep_ledger: bool = True) -> None:
        self.specs = list(specs)
        addresses = [s.address.upper() for s in self.specs]
        for address in addresses:
            if not _ADDRESS.match(address):
                raise UserError(f"virtual sensor address {address!r} is not of the form C0:11:22:33:44:55")
        if len(set(addresses)) != len(addresses) or CENTRAL_ADDRESS in addresses:
            raise UserError(f"virtual sensor addresses must be distinct (and not {CENTRAL_ADDRESS}): {addresses}")
        if not tick_s > 0:
            raise UserError(f"tick_s must be positive, got {tick_s}")
        self.tick_s = tick_s
        self.keep_ledger = keep_ledger
        self.sensors: dict[str, VirtualSensor] = {}
        self.central: Device | None = None
        #: host monotonic time (s) at which the world's clock started: sample times are counted from it
        self.origin_s = 0.0
        #: the adapter makes one LE connection at a time (a single HCI LE Create Connection)
        self.connect_lock = asyncio.Lock()
        self._scanners = 0
        self._scan_lock = asyncio.Lock()

    async def __aenter__(self) -> VirtualWorld:
        global _current
        if _current is not None:
            raise UserError("a virtual world is already running")
        from imu_logger.sensors import get_model  # the registry, imported when a world starts

        origin = self.origin_s = time.monotonic()
        link = LocalLink()
        for spec in self.specs:
            model = get_model(spec.model_key)
            address = spec.address.upper()
            name = spec.name or f"{model.name_prefix.rstrip()} {address[-5:].replace(':', '')}"
            self.sensors[address] = VirtualSensor(
                link, model, address, name, spec.source or SimpleMotionSource(), spec.rate_hz,
                spec.faults, origin, self.tick_s, self.keep_ledger)
        controller = Controller("host adapter", link=link)
        self.central = Device(name="imu-logger", address=hci.Address(CENTRAL_ADDRESS),
                              host=Host(controller, AsyncPipeSink(controller)))
        await self.central.power_on()
        for sensor in self.sensors.values():
            await sensor.start()
        _current = self
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        global _current
        _current = None
        for sensor in self.sensors.values():
            await sensor.stop()
        if self.central is not None:
            await self.central.power_off()

    def sensor(self, address: str) -> VirtualSensor:
        """The virtual sensor at ``address``; a clear error naming the known ones otherwise."""
        try:
            return self.sensors[address.upper()]
        except KeyError:
            raise UserError(f"no virtual sensor at {address}: the virtual sensors are "
                            f"{', '.join(self.sensors)}") from None

    def sent(self, address: str) -> list[SentNotification]:
        """Every notification the sensor at ``address`` sent or lost to a fault, in order."""
        return self.sensor(address).sent()

    def samples(self, address: str) -> EncodedSamples:
        """Every sample the sensor at ``address`` encoded, in order (the ground truth)."""
        return self.sensor(address).samples()

    async def start_scanning(self, active: bool = True) -> None:
        """Scan on the host adapter (shared by every scanner that runs at the same time)."""
        async with self._scan_lock:
            self._scanners += 1
            if self._scanners == 1:
                await self.central.start_scanning(active=active, filter_duplicates=False)

    async def stop_scanning(self) -> None:
        """Stop scanning once the last scanner stops."""
        async with self._scan_lock:
            self._scanners -= 1
            if self._scanners == 0 and self.central.powered_on:
                await self.central.stop_scanning()
