"""The recording session: connect sensors one by one, stream from all at once, write twice a second.

Asyncio lives here and in the BLE layer only. Notification callbacks only append to a list; one
writer task owns the file, turns each sensor's list into a raw batch every half second, writes the events
and makes it all durable. Each sensor has its own task that reconnects with backoff after a drop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError

from imu_logger.capture.adapter import bluetooth_available
from imu_logger.errors import UserError
from imu_logger.recording.batch import RawBatch
from imu_logger.recording.writer import RecordingWriter, SensorInfo, SessionInfo
from imu_logger.sensors import get_model, model_for_advertisement
from imu_logger.sensors.base import DecodedStream, SensorModel
from imu_logger.samples.timebase import gaps_from_counter, gaps_from_sensor_time

FLUSH_INTERVAL_S = 0.5  # seconds between durable writes
BATTERY_EVERY_S = 300.0  # battery level logged at connect and then every five minutes
CONTEXT_NOTIFICATIONS = 4  # notifications carried into the next batch's live decoding
RECEIVE_GAP_S = 0.25  # without counters or clock, a silence this long is logged live as a gap


@dataclass
class SensorTarget:
    """A sensor the session should record: where it is worn and how to find it."""

    placement: str
    model: str  # model key, e.g. "movella_dot"
    address: str | None = None  # None = the first sensor of `model` found in a scan
    rate_hz: float | None = None


@dataclass
class Backend:
    """The bleak backend classes to use (None = bleak's platform backend)."""

    name: str = "platform"
    scanner: type[BaseBleakScanner] | None = None
    client: type[BaseBleakClient] | None = None

    def kwargs(self, which: str) -> dict:
        cls = self.scanner if which == "scanner" else self.client
        return {} if cls is None else {"backend": cls}


@dataclass
class LiveStats:
    """What the status line shows for one sensor."""

    notifications: int = 0
    samples: int = 0
    live_rate_hz: int = 0
    drops: int = 0
    corrupt: int = 0
    connections: int = 0
    last_rx_mono_ns: int = 0
    battery_percent: int | None = None
    connected: bool = False


class SensorLink:
    """One sensor: its connection, its pending notifications, its live statistics."""

    def __init__(self, target: SensorTarget, backend: Backend, emit: Callable[..., None]) -> None:
        self.target = target
        self.backend = backend
        self.emit = emit
        self.model: SensorModel = get_model(target.model)
        self.address = target.address
        self.name = ""
        self.client: BleakClient | None = None
        self.pending: list[tuple[int, int, bytes, int, int]] = []
        self.stats = LiveStats()
        self.disconnected = asyncio.Event()
        self._last_counter: int | None = None
        self._battery_requested = False
        self._context: dict[int, tuple[list[str], list[bytes], np.ndarray]] = {}
        self._last_sensor_s: float | None = None

    @property
    def rate_hz(self) -> float:
        return self.model.nominal_rate(self.target.rate_hz)

    def info(self) -> SensorInfo:
        return SensorInfo(placement=self.target.placement, model=self.model.key,
                          address=self.address or "", rate_hz=self.rate_hz,
                          notify_uuids=list(self.model.notify_uuids), name=self.name)

    async def find(self, timeout_s: float) -> BLEDevice:
        """Scan for this sensor (by address, or by model when no address was given)."""
        kwargs = self.backend.kwargs("scanner")
        key = self.target.model

        def wanted(_dev: BLEDevice, adv) -> bool:
            model = model_for_advertisement(adv.local_name)
            return model is not None and model.key == key
        with bluetooth_available():
            if self.address:
                device = await BleakScanner.find_device_by_address(self.address, timeout_s, **kwargs)
            else:
                device = await BleakScanner.find_device_by_filter(wanted, timeout_s, **kwargs)
        if device is None:
            what = self.address or f"a {self.target.model} sensor"
            raise UserError(f"{self.target.placement}: {what} not found within {timeout_s:g} s")
        self.address = device.address
        self.name = device.name or ""
        return device

    async def connect(self, timeout_s: float) -> None:
        """Scan, connect, read the battery, subscribe and start streaming."""
        device = await self.find(timeout_s)
        self.disconnected.clear()
        client = BleakClient(device, disconnected_callback=self._on_disconnect, timeout=timeout_s,
                             **self.backend.kwargs("client"))
        await client.connect()
        self.client = client
        self.stats.connections += 1
        self.stats.connected = True
        self._last_counter = self._last_sensor_s = None
        self.emit("connect", self.target.placement, connection=self.stats.connections,
                  address=self.address, mtu=client.mtu_size)
        if client.mtu_size < self.model.min_mtu:
            self.emit("warning", self.target.placement,
                      message=f"MTU {client.mtu_size} below the {self.model.min_mtu} bytes "
                              f"{self.model.display_name} needs")
        for index, uuid in enumerate(self.model.notify_uuids):
            await client.start_notify(uuid, self._make_callback(index))
        for write in self.model.start_commands(self.rate_hz):
            await client.write_gatt_char(write.uuid, write.data, response=write.response)
        await self.read_battery()

    async def read_battery(self) -> None:
        """Read and log the battery level; models that answer in-stream are asked, and answer later."""
        assert self.client is not None
        try:
            if self.model.battery_uuid is None:
                for write in self.model.battery_request_commands():
                    await self.client.write_gatt_char(write.uuid, write.data, response=write.response)
                    self._battery_requested = True
                return
            data = await self.client.read_gatt_char(self.model.battery_uuid)
        except (BleakError, asyncio.TimeoutError) as exc:
            self.emit("warning", self.target.placement, message=f"battery read failed: {exc}")
            return
        self._log_battery(bytes(data))

    def _log_battery(self, data: bytes) -> None:
        try:
            self.stats.battery_percent = self.model.decode_battery(data)
        except ValueError as exc:
            self.emit("warning", self.target.placement, message=str(exc))
            return
        self.emit("battery", self.target.placement, percent=self.stats.battery_percent)

    def _find_battery_reply(self, payloads: list[bytes]) -> None:
        """Log the first in-stream battery answer among ``payloads``, if one was asked for."""
        for payload in payloads:
            try:
                self.model.decode_battery(payload)
            except ValueError:
                continue
            self._battery_requested = False
            self._log_battery(payload)
            return

    def _make_callback(self, index: int) -> Callable:
        pending = self.pending  # the list object is kept; the writer swaps its contents
        connection = self.stats.connections  # fixed now: late notifications keep their connection

        def on_notify(_char, data: bytearray) -> None:
            pending.append((connection, index, bytes(data), time.monotonic_ns(), time.time_ns()))
        return on_notify

    def _on_disconnect(self, _client: BleakClient) -> None:
        self.disconnected.set()

    async def stop(self) -> None:
        """Stop streaming and disconnect (best effort: the sensor may already be gone)."""
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            for write in self.model.stop_commands():
                await client.write_gatt_char(write.uuid, write.data, response=write.response)
            for uuid in self.model.notify_uuids:  # unsubscribe first: nothing is torn off mid-flight
                await client.stop_notify(uuid)
            await client.disconnect()
        except (BleakError, asyncio.TimeoutError, OSError):
            pass
        self.stats.connected = False

    def take_batches(self) -> list[RawBatch]:
        """Swap out the notifications received since the last call, one batch per connection."""
        items = self.pending[:]
        del self.pending[:len(items)]
        batches = []
        for connection in sorted({item[0] for item in items}):
            _, index, data, mono, wall = zip(*(item for item in items if item[0] == connection))
            batch = RawBatch(connection, np.array(mono, np.int64), np.array(wall, np.int64),
                             np.array(index, np.uint8), list(data))
            self._account(batch)
            batches.append(batch)
        return batches

    def _account(self, batch: RawBatch) -> None:
        """Update live statistics and log live gaps (the offline decoder recomputes them exactly)."""
        if self._battery_requested:
            self._find_battery_reply(batch.payloads)
        host_s = batch.host_mono_ns * 1e-9
        uuids = [self.model.notify_uuids[i] for i in batch.char_index]
        # the previous batch's last notifications give context: a frame split across notifications,
        # or a Polar acc frame whose gyro partner arrives in this batch, decodes whole here
        c_uuids, c_payloads, c_host = self._context.get(batch.connection, ([], [], np.zeros(0)))
        stream = self.model.decode(c_uuids + uuids, c_payloads + batch.payloads, np.r_[c_host, host_s])
        fresh = stream.notification_index >= len(c_payloads)
        stream = _rows(stream, fresh)
        stream.corrupt = [(i, r) for i, r in stream.corrupt if i >= len(c_payloads)]
        self._context = {batch.connection: (uuids[-CONTEXT_NOTIFICATIONS:],
                                            batch.payloads[-CONTEXT_NOTIFICATIONS:],
                                            host_s[-CONTEXT_NOTIFICATIONS:])}
        missing = 0
        if stream.counter is not None and len(stream):
            c = stream.counter if self._last_counter is None else np.r_[self._last_counter, stream.counter]
            missing = sum(g.missing for g in gaps_from_counter(c))
            self._last_counter = int(stream.counter[-1])
        elif stream.sensor_time_s is not None and len(stream):
            s = (stream.sensor_time_s if self._last_sensor_s is None
                 else np.r_[self._last_sensor_s, stream.sensor_time_s])
            missing = sum(g.missing for g in gaps_from_sensor_time(s, self.rate_hz))
            self._last_sensor_s = float(stream.sensor_time_s[-1])
        else:
            prev = self.stats.last_rx_mono_ns * 1e-9
            t = np.r_[prev, host_s] if prev else host_s
            silent = np.diff(t)
            missing = int(np.sum(np.rint(silent[silent > RECEIVE_GAP_S] * self.rate_hz)))
        if missing:
            self.emit("gap", self.target.placement, missing_samples=int(missing),
                      connection=batch.connection)
        self.stats.drops += int(missing)
        self.stats.corrupt += len(stream.corrupt)
        self.stats.notifications += len(batch)
        self.stats.samples += len(stream)
        self.stats.live_rate_hz = int(round(len(stream) / FLUSH_INTERVAL_S))
        self.stats.last_rx_mono_ns = int(batch.host_mono_ns[-1])


def _rows(stream: DecodedStream, keep: np.ndarray) -> DecodedStream:
    """The decoded rows selected by ``keep``."""
    pick = (lambda a: None if a is None else a[keep])
    return DecodedStream(stream.acc_mps2[keep], stream.gyr_radps[keep], pick(stream.mag_ut),
                         stream.host_time_s[keep], stream.notification_index[keep],
                         pick(stream.sensor_time_s), pick(stream.counter), stream.corrupt)


@dataclass
class SessionResult:
    """What the session did, for the end-of-session summary.

    ``duration_s`` is the time recorded once every sensor was connected; ``connect_s`` the time
    connecting took before that; ``stopped_by`` why it ended ("duration", "signal").
    """

    path: Path
    duration_s: float
    connect_s: float = 0.0
    stopped_by: str = "duration"
    stats: dict[str, LiveStats] = field(default_factory=dict)
    reconnects: dict[str, int] = field(default_factory=dict)


class Session:
    """Record a set of sensors into one file until a duration elapses or the user stops it.

    The file is created once every sensor is connected, so a sensor that is not found (or a
    computer without Bluetooth) leaves no file behind. ``say`` receives one line per connection
    step; ``status`` the per-sensor status block once a second.
    """

    def __init__(self, targets: list[SensorTarget], out: Path, backend: Backend, *,
                 subject_id: str = "", duration_s: float | None = None,
                 scan_timeout_s: float = 10.0, max_backoff_s: float = 30.0,
                 status: Callable[[str], None] | None = None,
                 say: Callable[[str], None] | None = None, marker_fd: int | None = None) -> None:
        placements = [t.placement for t in targets]
        if len(set(placements)) != len(placements):
            raise UserError(f"a placement is named twice: {', '.join(placements)}")
        self.out = Path(out)
        self.backend = backend
        self.subject_id = subject_id
        self.duration_s = duration_s
        self.scan_timeout_s = scan_timeout_s
        self.max_backoff_s = max_backoff_s
        self.status = status
        self.say = say or (lambda _line: None)
        self._events: list[tuple] = []
        self.links = [SensorLink(t, backend, self._emit) for t in targets]
        self._stop = asyncio.Event()
        self._stopped_by = "duration"
        self._recording_since_ns = 0
        self.marker_fd = marker_fd
        self._marker_text = b""

    def _emit(self, kind: str, placement: str = "", **fields) -> None:
        self._events.append((kind, time.monotonic_ns(), time.time_ns(), placement, fields))

    def mark(self, text: str = "") -> None:
        """A marker at this moment (a note of what the walker does), saved as a ``marker`` event."""
        self._emit("marker", "", message=text or "marker")
        elapsed = (time.monotonic_ns() - self._recording_since_ns) * 1e-9 if self._recording_since_ns else 0.0
        self.say(f"marker at {elapsed:.1f} s: {text or 'marker'}")

    def _read_markers(self) -> None:
        """Each line on ``marker_fd`` (the terminal: type a note, press Enter) is a marker."""
        data = os.read(self.marker_fd, 4096)
        if not data:  # end of input: no more markers
            asyncio.get_running_loop().remove_reader(self.marker_fd)
            return
        *lines, self._marker_text = (self._marker_text + data).split(b"\n")
        for line in lines:
            self.mark(line.decode("utf-8", "replace").strip())

    def request_stop(self, by: str = "signal") -> None:
        """Ask the session to stop cleanly (Ctrl-C, SIGTERM, end of duration)."""
        if not self._stop.is_set():
            self._stopped_by = by
        self._stop.set()

    async def _connect_all(self, lock: asyncio.Lock) -> None:
        """Connect the sensors one after another (BLE stacks dislike parallel connects)."""
        for link in self.links:
            if self._stop.is_set():
                raise UserError("stopped while connecting the sensors: nothing was recorded")
            t = link.target
            self.say(f"{t.placement}: looking for {t.address or 'a ' + t.model + ' sensor'} "
                     f"(up to {self.scan_timeout_s:g} s) ...")
            began = time.monotonic()
            async with lock:
                await link.connect(self.scan_timeout_s)
            self.say(f"{t.placement}: connected to {link.name or link.model.display_name} "
                     f"{link.address} in {time.monotonic() - began:.1f} s")

    async def run(self) -> SessionResult:
        """Connect all sensors, stream until stopped, close the file, return the summary."""
        start_mono, start_wall = time.monotonic_ns(), time.time_ns()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.request_stop)
            except (NotImplementedError, RuntimeError):
                pass  # not the main thread (tests): the caller stops the session
        lock = asyncio.Lock()
        writer = None
        try:
            await self._connect_all(lock)
            if self._stop.is_set():
                raise UserError("stopped while connecting the sensors: nothing was recorded")
            self._recording_since_ns = time.monotonic_ns()
            connect_s = (self._recording_since_ns - start_mono) * 1e-9
            writer = RecordingWriter(self.out, SessionInfo(start_wall, start_mono, self.subject_id,
                                                           self.backend.name))
            for link in self.links:
                writer.add_sensor(link.info())
            self.say(f"recording to {self.out} "
                     + (f"for {self.duration_s:g} s" if self.duration_s else "until Ctrl-C"))
            if self.marker_fd is not None:
                loop.add_reader(self.marker_fd, self._read_markers)
                self.say("type a note and press Enter to mark the time in the recording")
            tasks = [asyncio.create_task(self._keep_connected(link, lock)) for link in self.links]
            flusher = asyncio.create_task(self._flush_every_second(writer))
            try:
                await asyncio.wait_for(self._stop.wait(), self.duration_s)
            except asyncio.TimeoutError:
                pass
            self.request_stop("duration")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for link in self.links:
                await link.stop()
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            self._write_pending(writer)
        finally:
            if self.marker_fd is not None:
                loop.remove_reader(self.marker_fd)
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError):
                    pass
            for link in self.links:
                await link.stop()
            stop_mono = time.monotonic_ns()
            if writer is not None:
                writer.close({"duration_s": f"{(stop_mono - start_mono) * 1e-9:.3f}",
                              "connect_s": f"{connect_s:.3f}", "stopped_by": self._stopped_by,
                              "stop_wall_ns": time.time_ns()})
        return SessionResult(self.out, (stop_mono - self._recording_since_ns) * 1e-9, connect_s,
                             self._stopped_by, {l.target.placement: l.stats for l in self.links},
                             {l.target.placement: max(l.stats.connections - 1, 0) for l in self.links})

    async def _keep_connected(self, link: SensorLink, lock: asyncio.Lock) -> None:
        """Wait for a drop, then rescan and reconnect with exponential backoff."""
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(link.disconnected.wait(), BATTERY_EVERY_S)
            except asyncio.TimeoutError:
                if link.client is not None and link.client.is_connected:
                    await link.read_battery()
                continue
            if self._stop.is_set():
                return
            link.stats.connected = False
            link.client = None
            self._emit("disconnect", link.target.placement, connection=link.stats.connections)
            backoff = 0.5
            while not self._stop.is_set():
                try:
                    async with lock:
                        await link.connect(self.scan_timeout_s)
                    break
                except (BleakError, UserError, asyncio.TimeoutError, OSError) as exc:
                    self._emit("reconnect_failed", link.target.placement, error=str(exc),
                               retry_in_s=backoff)
                    try:
                        await asyncio.wait_for(self._stop.wait(), backoff)
                    except asyncio.TimeoutError:
                        pass
                    backoff = min(backoff * 2, self.max_backoff_s)

    def _write_pending(self, writer: RecordingWriter) -> None:
        for link in self.links:
            for batch in link.take_batches():
                writer.write_batch(link.target.placement, batch)
        events, self._events = self._events, []
        for kind, mono, wall, placement, fields in events:
            writer.write_event(kind, mono, wall, placement, **fields)
        writer.flush()

    async def _flush_every_second(self, writer: RecordingWriter) -> None:
        # two durable writes a second keep a crash's loss well inside the promised one second
        next_tick = time.monotonic() + FLUSH_INTERVAL_S
        ticks = 0
        while True:
            await asyncio.sleep(max(next_tick - time.monotonic(), 0.0))
            next_tick += FLUSH_INTERVAL_S
            ticks += 1
            self._write_pending(writer)
            if self.status is not None and ticks % round(1 / FLUSH_INTERVAL_S) == 0:
                self.status(self.status_lines())

    def status_lines(self) -> str:
        """A header (elapsed time, file size) and one line per sensor: rate, drops, last-packet
        age, battery."""
        now = time.monotonic_ns()
        elapsed = int((now - self._recording_since_ns) * 1e-9) if self._recording_since_ns else 0
        try:
            size = self.out.stat().st_size
        except OSError:
            size = 0
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
        lines = [f"recording {elapsed // 3600:d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}  "
                 f"{self.out.name} {shown}"]
        for link in self.links:
            st = link.stats
            age = (now - st.last_rx_mono_ns) * 1e-9 if st.last_rx_mono_ns else float("nan")
            battery = f"{st.battery_percent:3d}%" if st.battery_percent is not None else "  -"
            state = "ok  " if st.connected else "LOST"
            lines.append(f"{link.target.placement:<11} {state} {st.live_rate_hz:4d} Hz  "
                         f"drops {st.drops:6d}  last {age:5.2f} s  battery {battery}")
        return "\n".join(lines)
