"""The contract every supported sensor model implements.

A model has two sides that speak the same bytes:

* the **host side** (used by the recorder and by the offline decoder): GATT layout, the writes that
  configure and start streaming, and a pure decoder from raw notification bytes to SI samples;
* the **device side** (used by the virtual sensors on the Bumble stack): a small state machine that
  answers the host's writes exactly as the real device does and encodes SI samples into the model's
  notification bytes, quantisation and range included.

Units everywhere: acceleration in m/s² (specific force, gravity included), angular rate in rad/s,
magnetic field in µT, times in seconds (a sensor clock with nanosecond ticks also as integer ns).
Axes are the sensor's own axes as printed on its case.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np



@dataclass(frozen=True)
class CharacteristicSpec:
    """One GATT characteristic of a model (UUIDs are lower-case 128-bit strings)."""

    uuid: str
    properties: tuple[str, ...]  # subset of "read", "write", "write-without-response", "notify"
    initial_value: bytes = b""
    description: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    """One GATT service with its characteristics."""

    uuid: str
    characteristics: tuple[CharacteristicSpec, ...]


@dataclass(frozen=True)
class GattWrite:
    """A write the host performs on the device: characteristic UUID, payload, with response or not."""

    uuid: str
    data: bytes
    response: bool = True


@dataclass
class DecodedStream:
    """Samples decoded from a sequence of notifications of one sensor, one row per sample.

    ``host_time_s`` is the receive time (host monotonic clock, seconds) of the notification that carried
    the sample; ``notification_index`` its index in the input. ``sensor_time_s`` is the sensor's own
    clock, unwrapped, in seconds (None for models without a clock). ``counter`` is an unwrapped
    per-sample counter where consecutive samples differ by exactly 1 (None for models without one;
    a model with per-packet sequence numbers expands them to samples). ``corrupt`` lists the
    notifications that were rejected, as (index, reason), so they can be reported, never hidden.
    ``notes`` lists conditions in valid notifications that a report should show, as (index, text):
    a sensor FIFO overflow the device flagged, samples that could not be paired, a stop the device
    announced, an implausible gravity norm at rest (a wrong scale). ``sensor_time_ns`` is the sensor
    clock as int64 nanoseconds for models whose clock ticks in ns (Polar): float64 seconds resolve
    only ~120 ns at the Polar epoch, so the time base starts from the integers.
    """

    acc_mps2: np.ndarray  # (n, 3) float64
    gyr_radps: np.ndarray  # (n, 3) float64
    mag_ut: np.ndarray | None  # (n, 3) float64, NaN where the model sent no field for that sample
    host_time_s: np.ndarray  # (n,) float64
    notification_index: np.ndarray  # (n,) int64
    sensor_time_s: np.ndarray | None = None  # (n,) float64
    counter: np.ndarray | None = None  # (n,) int64
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    sensor_time_ns: np.ndarray | None = None  # (n,) int64

    def __len__(self) -> int:
        return int(self.acc_mps2.shape[0])


class DeviceEmulator(abc.ABC):
    """Device-side protocol state of one virtual sensor (no I/O, no asyncio).

    The virtual GATT server calls :meth:`on_write` for every write the host makes and sends back any
    notifications it returns; while :attr:`streaming` is true it calls :meth:`encode` with each new
    block of samples and sends the returned notifications in order.
    """

    streaming: bool = False
    rate_hz: float

    @abc.abstractmethod
    def on_write(self, uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        """Apply a host write (start, stop, rate, unlock...). Return notifications to send in reply."""

    @abc.abstractmethod
    def encode(self, acc_mps2: np.ndarray, gyr_radps: np.ndarray, mag_ut: np.ndarray,
               sensor_time_s: np.ndarray) -> list[tuple[str, bytes]]:
        """Encode a block of samples, (n, 3) each, into (characteristic uuid, notification bytes).

        ``sensor_time_s`` is the device clock of each sample (it may drift from the host's); the
        emulator uses it for the model's timestamps and keeps its own counters. Values beyond the
        model's range saturate exactly as the device does; quantisation is the device's.
        """

    def device_stop(self) -> list[tuple[str, bytes]]:
        """The device ends its measurements on its own, before it drops the link: the notifications
        it sends to say so. Most models have no such message (default: none, state unchanged)."""
        return []

    def read(self, uuid: str) -> bytes | None:
        """Current value of a readable characteristic (battery, device info), or None for default."""
        return None

    def set_battery(self, percent: int) -> None:
        """Set the battery level the device reports."""
        self.battery_percent = percent

    battery_percent: int = 100


class SensorModel(abc.ABC):
    """A supported sensor model. Implementations are stateless singletons in the registry."""

    #: registry key, used on the command line and in recordings, e.g. ``"witmotion"``
    key: str
    #: human name, e.g. "WitMotion WT901BLECL"
    display_name: str
    #: advertised local-name prefix used to recognise the model in a scan (and given to virtual sensors)
    name_prefix: str
    #: further prefixes older firmware advertises, matched without regard to case
    legacy_name_prefixes: tuple[str, ...] = ()
    #: sampling rates the model supports, Hz; the first is the default for gait
    rates_hz: tuple[float, ...]
    #: full-scale ranges as configured by :meth:`start_commands`
    acc_range_mps2: float
    gyr_range_radps: float
    #: whether decoded streams carry a sensor clock / a per-sample counter
    has_sensor_time: bool
    has_counter: bool
    #: smallest ATT MTU the model needs to stream (23 is the BLE default)
    min_mtu: int = 23

    @abc.abstractmethod
    def services(self) -> tuple[ServiceSpec, ...]:
        """The GATT services the device exposes (host and virtual sensor both use this)."""

    @property
    @abc.abstractmethod
    def notify_uuids(self) -> tuple[str, ...]:
        """Characteristics the host subscribes to, in order."""

    @abc.abstractmethod
    def start_commands(self, rate_hz: float) -> list[GattWrite]:
        """Writes that configure the rate and ranges and start streaming (after subscribing)."""

    @abc.abstractmethod
    def stop_commands(self) -> list[GattWrite]:
        """Writes that stop streaming."""

    @property
    @abc.abstractmethod
    def battery_uuid(self) -> str | None:
        """Characteristic to read for the battery level, or None if the model has none."""

    @abc.abstractmethod
    def decode_battery(self, data: bytes) -> int:
        """Battery level in percent from the bytes read at :attr:`battery_uuid`."""

    def battery_request_commands(self) -> list[GattWrite]:
        """For a model without a readable battery characteristic (:attr:`battery_uuid` is None): the
        writes that make the device send its level as a notification on :attr:`notify_uuids`, which
        :meth:`decode_battery` reads. Empty for models that have none."""
        return []

    @abc.abstractmethod
    def decode(self, uuids: Sequence[str], payloads: Sequence[bytes], host_time_s: np.ndarray,
               rate_hz: float | None = None) -> DecodedStream:
        """Decode a whole sequence of notifications (in receive order) of one connection.

        ``rate_hz`` is the rate the host configured (None: the model's default); a model that cannot
        space a lone frame's samples from its own timestamps uses it (Polar, as its SDK does).

        Pure: the same input gives the same output. Handles frames split across notifications,
        counter and timestamp wrap-around, and multi-sample frames. A malformed notification is
        listed in ``DecodedStream.corrupt`` and skipped; it never raises.
        """

    def sets_decoding_state(self, uuid: str, payload: bytes) -> bool:
        """Whether a notification sets how the rest of its connection decodes (Polar's start answers
        carry the factors): a host that decodes only part of a connection passes these along."""
        return False

    @abc.abstractmethod
    def new_device(self, rate_hz: float | None = None) -> DeviceEmulator:
        """A fresh device-side emulator (for virtual sensors and for simulated recordings)."""

    def nominal_rate(self, rate_hz: float | None) -> float:
        """The supported rate closest to ``rate_hz`` (the default rate when None)."""
        if rate_hz is None:
            return self.rates_hz[0]
        return min(self.rates_hz, key=lambda r: abs(r - rate_hz))
