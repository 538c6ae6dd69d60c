"""A recording decoded to disk: per-placement column files read back by time range, in bounded memory.

    store = decode_to_store("week.mcap", "week.samples")   # once
    store = SampleStore.open("week.samples")               # later
    df = store.read("left_foot", 3600.0, 7200.0)           # the second hour of the left foot
    store.gaps, store.sensors["left_foot"], store.info["left_foot"].clocks, store.inventory()

``decode_to_store`` streams the recording (imu_logger.recording.reader.RecordingScan, a few MB at a
time), spools each sensor's raw notifications to the store's folder, then decodes every sensor one
connection at a time with the same function as ``decode_recording`` (decode.decode_connection), so
``store.read(p, -inf, inf)`` is ``decode_recording(read_recording(path))[p].data`` bit for bit.

Memory: one connection of one sensor is decoded at a time, because the decoders are pure functions of a
connection's whole notification sequence (unwrapped counters and clocks, Polar's start answers, the
gravity check). That decode is the peak: ~110 bytes per sample of the longest connection (the model's
float64 stream, its raw payloads, the float32 columns), ~0.6 GB for one open_nrf sensor streaming 16 h at
100 Hz without a reconnect, ~1.0 GB in all with the interpreter (measured: the 16 h day 0.96-1.05 GB, 48 h
of three such connections 1.08 GB). Nothing else grows with the recording's length but small lists: the
connection runs (a few per connection), the time index (16 bytes per 4096 samples), the events, and the
gap, corrupt and note rows (~200 bytes each: ~0.1 B per sample on the simulated day).

On disk (the folder and files owner-only: health data): ``store.json`` (session, sensors, events,
per placement its model, rate, clocks, corrupt notifications, notes, columns and connections, and the
gaps) and per placement ``sensor<k>/<column>.bin``, raw little-endian arrays, with ``time_index.bin``
(min and max ``time_s`` of each block of INDEX_ROWS rows).
"""

from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.columns import TIME
from imu_logger.errors import UserError
from imu_logger.output_paths import make_private_dirs
from imu_logger.recording.batch import BatchColumns
from imu_logger.recording.reader import Payloads, Recording, RecordingScan
from imu_logger.recording.writer import SESSION_END_METADATA, SESSION_METADATA, SensorInfo
from imu_logger.samples.decode import GAP_COLUMNS, decode_connection, empty_samples
from imu_logger.samples.inventory import INVENTORY_COLUMNS
from imu_logger.samples.timebase import ClockFit, unseen_loss_bound
from imu_logger.sensors import MODELS

FORMAT = 1
INDEX_ROWS = 4096  # rows per block of the time index: a range read touches at most two blocks more
_META = "store.json"


def _release_freed_memory() -> None:
    """Hand the heap's freed pages back to the system: after thousands of mid-sized block buffers glibc
    keeps ~0.3 GB of them resident, which the decoding would then stack on."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _private(path: Path, mode: str = "ab"):
    """A file of the store, owner-only whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, mode)


@dataclass
class PlacementInfo:
    """What the store knows about one placement besides its samples (what SensorSamples has besides data).

    ``connections`` holds per connection with samples: (connection, first time_s, last time_s, samples).
    """

    placement: str
    model: str
    rate_hz: float
    samples: int
    columns: list[tuple[str, str]]  # (name, numpy dtype string), in the table's order
    clocks: dict[int, ClockFit] = field(default_factory=dict)
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    connections: list[tuple[int, float, float, int]] = field(default_factory=list)
    folder: str = ""

    @property
    def span_s(self) -> tuple[float, float]:
        """Time of the first and of the last sample (s); (nan, nan) without samples."""
        if not self.connections:
            return float("nan"), float("nan")
        return self.connections[0][1], self.connections[-1][2]

    def to_json(self) -> dict:
        return {"placement": self.placement, "model": self.model, "rate_hz": self.rate_hz,
                "samples": self.samples, "columns": self.columns,
                "clocks": {str(c): [f.offset_s, f.slope, f.latency_p50_s, f.latency_p95_s, f.span_s]
                           for c, f in self.clocks.items()},
                "corrupt": self.corrupt, "notes": self.notes, "connections": self.connections,
                "folder": self.folder}

    @classmethod
    def from_json(cls, d: dict) -> "PlacementInfo":
        return cls(d["placement"], d["model"], d["rate_hz"], d["samples"], [tuple(c) for c in d["columns"]],
                   {int(c): ClockFit(*v) for c, v in d["clocks"].items()},
                   [tuple(x) for x in d["corrupt"]], [tuple(x) for x in d["notes"]],
                   [tuple(x) for x in d["connections"]], d["folder"])


class _Spool:
    """One sensor's raw notifications on disk, in file order, and where each connection's runs are."""

    def __init__(self, folder: Path) -> None:
        self.folder = make_private_dirs(folder)
        self.files = {name: _private(folder / f"{name}.bin") for name in ("mono", "char", "length", "payload")}
        self.runs: list[list[int]] = []  # [connection, first notification, count, first payload byte]
        self.notes = 0
        self.bytes = 0

    def add(self, cols: BatchColumns) -> None:
        self.files["mono"].write(cols.host_mono_ns.astype("<i8").tobytes())
        self.files["char"].write(cols.char_index.tobytes())
        self.files["length"].write(cols.lengths.astype("<u2").tobytes())
        self.files["payload"].write(cols.payload)
        conn = cols.connection
        starts = np.flatnonzero(np.r_[True, conn[1:] != conn[:-1]]) if conn.size else np.zeros(0, np.int64)
        sizes = np.diff(np.r_[starts, conn.size])
        byte_at = self.bytes + np.r_[0, np.cumsum(cols.lengths)][starts]
        for s, n, b in zip(starts.tolist(), sizes.tolist(), byte_at.tolist()):
            c = int(conn[s])
            last = self.runs[-1] if self.runs else None
            if last is not None and last[0] == c and last[1] + last[2] == self.notes + s:
                last[2] += n
            else:
                self.runs.append([c, self.notes + s, n, b])
        self.notes += len(cols)
        self.bytes += len(cols.payload)

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def connection(self, c: int) -> tuple[Payloads, np.ndarray, np.ndarray, int]:
        """Payloads, char index and host receive times (ns) of connection ``c``, and the sensor's
        number of its first notification."""
        runs = [r for r in self.runs if r[0] == c]
        mono, char, lengths, payload = [], [], [], []
        for _, first, n, byte in runs:
            mono.append(np.fromfile(self.folder / "mono.bin", "<i8", n, offset=8 * first).astype(np.int64))
            char.append(np.fromfile(self.folder / "char.bin", "u1", n, offset=first))
            lengths.append(np.fromfile(self.folder / "length.bin", "<u2", n, offset=2 * first).astype(np.int64))
            with open(self.folder / "payload.bin", "rb") as f:
                f.seek(byte)
                payload.append(f.read(int(lengths[-1].sum())))
        return (Payloads(b"".join(payload), np.concatenate(lengths)), np.concatenate(char), np.concatenate(mono),
                runs[0][1])

    def remove(self) -> None:
        for name in self.files:
            (self.folder / f"{name}.bin").unlink(missing_ok=True)
        self.folder.rmdir()


class _ColumnWriter:
    """Appends one placement's connections to its column files; fills columns a connection lacks
    (magnetometer) with NaN as pd.concat does, and keeps the time index."""

    def __init__(self, folder: Path) -> None:
        self.folder = make_private_dirs(folder)
        self.dtypes: dict[str, np.dtype] = {}
        self.schemas: list[dict[str, np.dtype]] = []
        self.rows = 0
        self.index: list[tuple[float, float]] = []
        self._tail = np.zeros(0)  # times of the last, unfinished index block

    def add(self, columns: dict[str, np.ndarray]) -> None:
        n = len(columns[TIME])
        self.schemas.append({k: v.dtype for k, v in columns.items()})
        for name, values in columns.items():
            if name not in self.dtypes:
                self.dtypes[name] = values.dtype
                if self.rows:  # a column the earlier connections did not have: NaN there
                    self._write(name, np.full(self.rows, np.nan, values.dtype))
            self._write(name, values)
        for name, dtype in self.dtypes.items():
            if name not in columns:
                self._write(name, np.full(n, np.nan, dtype))
        self.rows += n
        t = np.concatenate([self._tail, columns[TIME]])
        whole = t.size // INDEX_ROWS * INDEX_ROWS
        blocks = t[:whole].reshape(-1, INDEX_ROWS)
        self.index += list(zip(blocks.min(axis=1).tolist(), blocks.max(axis=1).tolist()))
        self._tail = t[whole:]

    def _write(self, name: str, values: np.ndarray) -> None:
        with _private(self.folder / f"{name}.bin") as f:
            np.ascontiguousarray(values, values.dtype.newbyteorder("<")).tofile(f)

    def finish(self) -> list[tuple[str, str]]:
        """Close the index; the table's columns and dtypes (those of pd.concat of the connections)."""
        if self._tail.size:
            self.index.append((float(self._tail.min()), float(self._tail.max())))
        with _private(self.folder / "time_index.bin", "wb") as f:
            f.write(np.asarray(self.index, "<f8").reshape(-1, 2).tobytes())
        if not self.schemas:
            return [(c, str(dt)) for c, dt in empty_samples().dtypes.items()]
        frames = [pd.DataFrame({k: np.zeros(0, dt) for k, dt in s.items()}) for s in self.schemas]
        schema = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        out = [(c, str(dt)) for c, dt in schema.dtypes.items()]
        for c, dt in out:  # pandas kept the dtypes the files have (float32 with NaN stays float32)
            if np.dtype(dt) != self.dtypes[c]:
                raise AssertionError(f"column {c}: the table's dtype {dt} is not the file's {self.dtypes[c]}")
        return out


def decode_to_store(path: str | Path, directory: str | Path) -> "SampleStore":
    """Decode recording ``path`` into a new (or empty) folder ``directory``; the store over it.
    UserError naming the folder if it holds files already, or the recording if it is not readable."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UserError(f"{directory}: sample store folder exists and is not empty")
    scan = RecordingScan(path)
    made = not directory.exists()
    make_private_dirs(directory)
    directory.chmod(0o700)
    spools: dict[int, _Spool] = {}
    done = False
    try:
        for got in scan.blocks():
            for cid, cols in got.items():
                if cid not in spools:
                    spools[cid] = _Spool(directory / f"spool{cid}")
                spools[cid].add(cols)
        for spool in spools.values():
            spool.close()
        _release_freed_memory()
        scan.check()
        sensors = scan.sensor_channels()
        start_mono_ns = int(scan.metadata[SESSION_METADATA]["start_mono_ns"])
        infos, gap_rows = {}, []
        for k, (placement, (cid, info)) in enumerate(sensors.items()):
            infos[placement] = _decode_sensor(info, spools.get(cid), start_mono_ns, directory / f"sensor{k}",
                                              gap_rows)
            _release_freed_memory()
        done = True
    finally:
        for spool in spools.values():
            spool.close()
            spool.remove()
        if not done:  # a recording that cannot be read leaves no half store behind
            for folder in directory.glob("sensor*"):
                for file in folder.iterdir():
                    file.unlink()
                folder.rmdir()
            if made:
                directory.rmdir()
    meta = {"format": FORMAT, "recording": str(scan.path), "metadata": scan.metadata, "events": scan.events,
            "truncated": scan.truncated, "sensors": {p: info.to_metadata() for p, (_, info) in sensors.items()},
            "placements": {p: i.to_json() for p, i in infos.items()}, "gaps": gap_rows}
    with _private(directory / _META, "w") as f:
        json.dump(meta, f)
    return SampleStore.open(directory)


def _decode_sensor(info: SensorInfo, spool: _Spool | None, start_mono_ns: int, folder: Path,
                   gap_rows: list[tuple]) -> PlacementInfo:
    """Decode one sensor connection by connection into ``folder``; its gaps go to ``gap_rows``."""
    out = PlacementInfo(info.placement, info.model, info.rate_hz, 0, [], folder=folder.name)
    writer = _ColumnWriter(folder)
    prev_end_s: float | None = None
    for connection in sorted({r[0] for r in spool.runs}) if spool is not None else []:
        payloads, char_index, mono, offset = spool.connection(connection)
        part = decode_connection(info, connection, payloads, char_index, mono, start_mono_ns, offset, prev_end_s)
        del payloads, char_index, mono
        out.corrupt += part.corrupt
        out.notes += part.notes
        if part.columns is None:
            continue
        if part.clock is not None:
            out.clocks[part.connection] = part.clock
        gap_rows += part.gap_rows
        t = part.columns[TIME]
        prev_end_s = float(t[-1])
        out.connections.append((part.connection, float(t[0]), prev_end_s, int(t.size)))
        writer.add(part.columns)
        del part, t
        _release_freed_memory()
    out.columns = writer.finish()
    out.samples = writer.rows
    return out


class SampleStore:
    """A recording decoded to disk (analysis.sample_source.SampleSource, plus what the recording says).

    ``recording`` is the Recording without its raw notifications (session, sensors, events, end,
    truncated, metadata, start times); ``info[p]`` a :class:`PlacementInfo`; ``gaps`` the gaps of every
    sensor (GAP_COLUMNS). Open one with :meth:`open`; make one with :func:`decode_to_store`.
    """

    def __init__(self, directory: Path, meta: dict) -> None:
        self.directory = directory
        sensors = {p: SensorInfo.from_metadata(d) for p, d in meta["sensors"].items()}
        self.recording = Recording(path=Path(meta["recording"]), session=meta["metadata"][SESSION_METADATA],
                                   sensors=sensors, raw={}, events=meta["events"],
                                   end=meta["metadata"].get(SESSION_END_METADATA), truncated=meta["truncated"],
                                   metadata=meta["metadata"])
        self.info = {p: PlacementInfo.from_json(d) for p, d in meta["placements"].items()}
        rows = [tuple(r) for r in meta["gaps"]]
        self.gaps = pd.DataFrame(rows, columns=list(GAP_COLUMNS)) if rows else pd.DataFrame(columns=list(GAP_COLUMNS))
        self._index = {p: np.fromfile(directory / i.folder / "time_index.bin", "<f8").reshape(-1, 2)
                       for p, i in self.info.items()}

    @classmethod
    def open(cls, directory: str | Path) -> "SampleStore":
        """The store in ``directory``; UserError naming it if it is not one."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / _META).read_text())
        except (OSError, ValueError):
            raise UserError(f"{directory}: not a sample store (no readable {_META})") from None
        if meta.get("format") != FORMAT:
            raise UserError(f"{directory}: sample store format {meta.get('format')!r}, this version reads {FORMAT}")
        return cls(directory, meta)

    @property
    def sensors(self) -> dict[str, SensorInfo]:
        return self.recording.sensors

    @property
    def truncated(self) -> bool:
        return self.recording.truncated

    @property
    def placements(self) -> tuple[str, ...]:
        """Placements with samples, in the recording's order."""
        return tuple(p for p, i in self.info.items() if i.samples)

    @property
    def empty_placements(self) -> tuple[str, ...]:
        """Sensors of the session without any sample."""
        return tuple(p for p, i in self.info.items() if not i.samples)

    def rate_hz(self, placement: str) -> float:
        return float(self.info[placement].rate_hz)

    def span_s(self, placement: str) -> tuple[float, float]:
        return self.info[placement].span_s

    def samples(self, placement: str) -> int:
        return self.info[placement].samples

    def read(self, placement: str, start_s: float, end_s: float) -> pd.DataFrame:
        """Samples with ``start_s <= time_s < end_s`` in stored order (the order of decode_sensor's
        table, time order within a connection), read from the files without the rest."""
        info = self.info[placement]
        index = self._index[placement]
        folder = self.directory / info.folder
        hit = np.flatnonzero((index[:, 1] >= start_s) & (index[:, 0] < end_s)) if index.size else index[:0, 0]
        if hit.size == 0:
            return self._rows(folder, info, 0, 0, None)
        a, b = int(hit[0]) * INDEX_ROWS, min((int(hit[-1]) + 1) * INDEX_ROWS, info.samples)
        t = np.fromfile(folder / f"{TIME}.bin", "<f8", b - a, offset=8 * a)
        inside = (t >= start_s) & (t < end_s)
        rows = np.flatnonzero(inside)
        if rows.size == 0:
            return self._rows(folder, info, 0, 0, None)
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        mask = None if rows.size == hi - lo else inside[lo:hi]  # not one run: times not monotonic there
        return self._rows(folder, info, a + lo, a + hi, mask)

    @staticmethod
    def _rows(folder: Path, info: PlacementInfo, a: int, b: int, mask: np.ndarray | None) -> pd.DataFrame:
        columns = {}
        for name, dtype in info.columns:
            dt = np.dtype(dtype)
            values = (np.fromfile(folder / f"{name}.bin", dt.newbyteorder("<"), b - a, offset=dt.itemsize * a)
                      if b > a else np.zeros(0, dt))
            values = values.astype(dt, copy=False)
            columns[name] = values if mask is None else values[mask]
        return pd.DataFrame(columns, copy=False)

    def notes(self) -> list[str]:
        """The decoders' notes of every sensor, once each, as ``placement: text``
        (imu_logger.samples.inventory.decoder_notes)."""
        return list(dict.fromkeys(f"{p}: {text}" for p, i in self.info.items() for _, text in i.notes))

    def unseen_loss_bands(self, placement: str) -> pd.DataFrame:
        """imu_logger.samples.inventory.unseen_loss_bands of a placement, from the stored connections."""
        from imu_logger.samples.inventory import BAND_COLUMNS
        info, rows = self.info[placement], []
        if info.model in MODELS and not (MODELS[info.model].has_counter or MODELS[info.model].has_sensor_time):
            gaps = self.gaps[self.gaps.placement == placement] if len(self.gaps) else self.gaps
            for connection, first, last, n in sorted(info.connections):
                inner = gaps[(gaps.connection == connection) & (gaps.source != "disconnect")]
                rows.append((connection, first, last,
                             unseen_loss_bound(last - first, n, int(inner.missing_samples.sum()), info.rate_hz)))
        return pd.DataFrame(rows, columns=list(BAND_COLUMNS))

    def inventory(self) -> pd.DataFrame:
        """imu_logger.samples.inventory.inventory of the recording, from the store (no samples read)."""
        rec, rows = self.recording, []
        for placement, sensor in rec.sensors.items():
            info = self.info[placement]
            gaps = self.gaps[self.gaps.placement == placement] if len(self.gaps) else self.gaps
            battery = [e["percent"] for e in rec.events_of("battery", placement)]
            drifts = [c.drift_ppm for c in info.clocks.values() if not np.isnan(c.drift_ppm)]
            first, last = info.span_s
            rows.append({
                "placement": placement, "model": sensor.model, "address": sensor.address, "rate_hz": sensor.rate_hz,
                "duration_s": float(last - first) if info.samples else 0.0, "samples": info.samples,
                "missing_samples": int(gaps["missing_samples"].sum()) if len(gaps) else 0, "gaps": len(gaps),
                "unseen_loss_max_samples": int(self.unseen_loss_bands(placement).unseen_loss_max_samples.sum()),
                "reconnects": max(len(rec.events_of("connect", placement)) - 1, 0),
                "corrupt_notifications": len(info.corrupt),
                "clock_drift_ppm": float(np.median(drifts)) if drifts else float("nan"),
                "battery_percent": battery[-1] if battery else None,
            })
        return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS))
