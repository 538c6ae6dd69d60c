"""Faults a virtual sensor can suffer, and the deterministic injector that applies them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from imu_logger.errors import UserError


@dataclass(frozen=True)
class Faults:
    """Faults injected into one virtual sensor (all off by default).

    * ``drop_probability`` / ``drop_every``: streamed notifications lost on the way (random, or every
      n-th one counted from the device's first streamed notification);
    * ``disconnect_at_s``: the device drops the link this many seconds after streaming starts (once);
      it then advertises again and accepts a reconnection;
    * ``disconnect_every_s``: the device drops the link each time it has streamed this long on one
      connection (a soak's repeated disconnects);
    * ``clock_drift_ppm``: the sensor's clock runs fast (> 0) or slow: it samples and timestamps on
      its own clock, so samples arrive ``1 + ppm·1e-6`` times as often in host time;
    * ``corrupt_probability``: one byte of a streamed notification flipped;
    * ``receive_jitter_s``: each notification reaches the host up to this much later (uniform; the
      order is kept, as BLE keeps it);
    * ``latency_burst_every_s`` / ``latency_burst_s``: every so often the host receives nothing from
      the sensor for ``latency_burst_s``, then the backlog at once (a busy host or radio);
    * ``battery_percent``: the battery level the device reports;
    * ``seed``: seeds the random faults, so a run is reproducible.
    """

    drop_probability: float = 0.0
    drop_every: int | None = None
    disconnect_at_s: float | None = None
    disconnect_every_s: float | None = None
    clock_drift_ppm: float = 0.0
    corrupt_probability: float = 0.0
    receive_jitter_s: float = 0.0
    latency_burst_every_s: float | None = None
    latency_burst_s: float = 0.0
    battery_percent: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop_probability", "corrupt_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UserError(f"fault {name} must be within [0, 1], got {value}")
        if self.drop_every is not None and self.drop_every < 1:
            raise UserError(f"fault drop_every must be at least 1, got {self.drop_every}")
        if self.disconnect_at_s is not None and self.disconnect_at_s < 0:
            raise UserError(f"fault disconnect_at_s must not be negative, got {self.disconnect_at_s}")
        if self.disconnect_every_s is not None and not self.disconnect_every_s > 0:
            raise UserError(f"fault disconnect_every_s must be positive, got {self.disconnect_every_s}")
        if self.receive_jitter_s < 0 or self.latency_burst_s < 0:
            raise UserError("faults receive_jitter_s and latency_burst_s must not be negative")
        if self.latency_burst_every_s is not None and not self.latency_burst_every_s > self.latency_burst_s:
            raise UserError(f"fault latency_burst_every_s must exceed latency_burst_s, got "
                            f"{self.latency_burst_every_s}")
        if not -1e5 < self.clock_drift_ppm < 1e5:
            raise UserError(f"fault clock_drift_ppm must be within ±100000, got {self.clock_drift_ppm}")
        if not 0 <= self.battery_percent <= 100:
            raise UserError(f"fault battery_percent must be within [0, 100], got {self.battery_percent}")

    @property
    def delays_reception(self) -> bool:
        """Whether the host receives this sensor's notifications late."""
        return self.receive_jitter_s > 0 or (self.latency_burst_every_s is not None and self.latency_burst_s > 0)

    @property
    def clock_scale(self) -> float:
        """Sensor seconds per host second."""
        return 1.0 + self.clock_drift_ppm * 1e-6


class FaultInjector:
    """Applies a :class:`Faults` to the streamed notifications of one device, deterministically."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._count = 0
        self._disconnect_pending = faults.disconnect_at_s is not None

    def apply(self, data: bytes) -> tuple[bytes, bool, bool]:
        """(bytes put on air, dropped, corrupted) for the next streamed notification."""
        f = self.faults
        self._count += 1
        dropped = (f.drop_every is not None and self._count % f.drop_every == 0) or (
            f.drop_probability > 0.0 and self._rng.random() < f.drop_probability)
        if dropped or not data or f.corrupt_probability == 0.0 or self._rng.random() >= f.corrupt_probability:
            return data, dropped, False
        position = self._rng.randrange(len(data))
        flipped = bytearray(data)
        flipped[position] ^= self._rng.randrange(1, 256)
        return bytes(flipped), False, True

    def disconnect_due(self, streaming_for_s: float) -> bool:
        """True when the device has streamed long enough on this connection to drop the link:
        once for ``disconnect_at_s``, on every connection for ``disconnect_every_s``."""
        every = self.faults.disconnect_every_s
        if every is not None and streaming_for_s >= every:
            return True
        if self._disconnect_pending and streaming_for_s >= self.faults.disconnect_at_s:  # type: ignore[operator]
            self._disconnect_pending = False
            return True
        return False


class ReceiveDelay:
    """When the host receives each notification of one connection, under a :class:`Faults`'s
    receive jitter and latency bursts (never before an earlier one: the order is kept)."""

    def __init__(self, faults: Faults, origin_s: float) -> None:
        self.faults = faults
        self._origin_s = origin_s
        self._rng = random.Random(faults.seed + 1)
        self._last_s = 0.0

    def due(self, now_s: float) -> float:
        """Host monotonic time (s) at which a notification that left the sensor at ``now_s`` arrives."""
        f = self.faults
        due = now_s + self._rng.uniform(0.0, f.receive_jitter_s)
        if f.latency_burst_every_s is not None:
            phase = (now_s - self._origin_s) % f.latency_burst_every_s
            if phase < f.latency_burst_s:
                due = max(due, now_s - phase + f.latency_burst_s)
        self._last_s = max(due, self._last_s)
        return self._last_s
