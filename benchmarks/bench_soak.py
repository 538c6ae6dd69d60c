"""Soak: four virtual sensors of four models, a disconnect every ~30 s and dropped notifications.

The recorder runs live (bleak and Bumble) against virtual sensors that keep a ledger of every
notification they sent or lost. The recording is then decoded as `imu-logger info` decodes it, and
the accounting is checked against the ledger, per model:

* every delivered notification is in the file, byte for byte, and every disconnect reconnected
  (except those in flight when a link dropped: the host never received them; they lie in the
  disconnect's gap);
* every disconnect is a gap of the recording;
* every lost data notification lies in a reported gap, or in the stated uncertainty of its
  connection (models without counter or clock cannot see losses below their detection limit);
* samples lost inside connections (ledger) against samples the gaps claim.

Run: ``.venv/bin/python benchmarks/bench_soak.py [--minutes 10] [--disconnect-every 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from imu_logger.ble import virtual
from imu_logger.ble.faults import Faults
from imu_logger.capture.session import Session
from imu_logger.recording.reader import Recording, read_recording
from imu_logger.samples.decode import SensorSamples, decode_recording
from imu_logger.samples.inventory import unseen_loss_bands
from imu_logger.sensors import get_model

MODELS = {"left_shin": "movella_dot", "left_foot": "open_nrf", "right_shin": "polar_verity",
          "right_foot": "witmotion"}
#: how far a gap's ends may sit from the true times of the samples lost in it, s: the receive-time
#: models place a loss within a few samples (timebase), the others to a sample, on a clock whose
#: offset is the lowest latency seen in the connection. Polar sends few, long frames (about 100 per
#: 36 s connection): on a busy host their lowest latency, hence its offset, was 3-146 ms (10 min soak).
GAP_TOLERANCE_S = {"polar_verity": 0.2}
DEFAULT_GAP_TOLERANCE_S = 0.05
#: notifications on either side of a lost one that are decoded with and without it
CONTEXT = 6
#: a lost notification's samples are looked for this long before it was sent, s (a busy event loop
#: sends late; the walk's noise makes every sample's values unique within it)
SEARCH_S = 2.0


class Accounting(NamedTuple):
    """One sensor's soak, ledger against recording."""

    placement: str
    model: str
    delivered: int  # notifications the sensor put on air
    recorded_identical: bool  # per connection, the file holds those, byte for byte, in order
    in_flight: int  # of those, sent as a link dropped and never received (inside its disconnect gap)
    disconnects: int  # disconnect events in the recording
    reconnects: int  # connections after the first
    disconnect_gaps: int
    dropped: int  # data notifications lost to the injected drops, before the last received one
    dropped_in_gap: int  # whose samples lie inside a reported gap
    dropped_in_band: int  # in no gap, but within their connection's stated unseen-loss bound
    lost_samples: int  # samples those dropped notifications cost
    lost_at_disconnect: int  # of those, samples inside a disconnect's gap
    claimed_samples: int  # missing samples of the gaps inside connections
    band_samples: int  # the stated unseen-loss bounds, summed (samples)

    @property
    def unaccounted(self) -> int:
        return self.dropped - self.dropped_in_gap - self.dropped_in_band


def faults(disconnect_every_s: float, drop_probability: float, seed: int = 0) -> dict[str, Faults]:
    """The soak's faults: random drops on every sensor, and staggered periodic disconnects."""
    return {p: Faults(drop_probability=drop_probability, seed=seed + i,
                      disconnect_every_s=disconnect_every_s * (1.0 + 0.1 * i))
            for i, p in enumerate(MODELS)}


async def _record(out: Path, seconds: float, specs: dict) -> tuple[dict, dict, float]:
    async with virtual.running(specs) as world:
        session = Session(virtual.targets_for(specs), out, virtual.VIRTUAL_BACKEND,
                          duration_s=seconds, scan_timeout_s=10.0)
        await session.run()
        return ({p: world.sent(s.address) for p, s in specs.items()},
                {p: world.samples(s.address) for p, s in specs.items()}, world.origin_s)


def soak(out: Path, seconds: float, disconnect_every_s: float, drop_probability: float,
         seed: int = 0) -> tuple[dict, dict, float, Recording, dict[str, SensorSamples]]:
    """Record the soak to ``out``: (ledger and encoded samples per placement, the virtual world's
    clock origin (host monotonic s), recording, decoded samples)."""
    # the simulated walker (with its sensor noise): every sample's values are its own
    sources = virtual.simulated_walk_sources(seconds / 60.0 + 0.5, seed)
    specs = virtual.default_specs(sources=sources, models=MODELS,
                                  faults=faults(disconnect_every_s, drop_probability, seed))
    sent, encoded, origin_s = asyncio.run(_record(out, seconds, specs))
    rec = read_recording(out)
    return sent, encoded, origin_s, rec, decode_recording(rec)


def _decode(model, notes: list):
    return model.decode([n.uuid for n in notes], [n.data for n in notes], np.zeros(len(notes)))


def _lost(model, notes: list, i: int) -> tuple[int, np.ndarray | None]:
    """Samples notification ``i`` of a connection costs, and their values (acc, gyr; None: none).

    It is decoded among its neighbours with and without it: the samples only the first decoding
    has are its cost (a Polar gyro frame costs the samples of the acc frame it pairs with).
    """
    a, b = max(i - CONTEXT, 0), min(i + CONTEXT + 1, len(notes))
    near = notes[a:b]
    full, without = _decode(model, near), _decode(model, near[:i - a] + near[i - a + 1:])
    values = np.c_[full.acc_mps2, full.gyr_radps]
    kept = {row.tobytes() for row in np.c_[without.acc_mps2, without.gyr_radps]}
    gone = np.array([row.tobytes() not in kept for row in values], bool)
    return int(len(full) - len(without)), (values[gone] if gone.any() else None)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _world_span(values: np.ndarray, encoded, connection: int, sent_s: float) -> tuple[float, float]:
    """World times of a lost notification's first and last sample: its run of samples matched, by the
    directions of acceleration and angular rate (blind to a scale factor), to the encoded ones."""
    pick = np.flatnonzero((encoded.connection == connection) & (encoded.time_s > sent_s - SEARCH_S)
                          & (encoded.time_s <= sent_s + 0.05))
    n = len(values)
    run = np.c_[_unit(values[:, :3]), _unit(values[:, 3:])]
    truth = np.c_[_unit(encoded.acc_mps2[pick]), _unit(encoded.gyr_radps[pick])]
    windows = np.lib.stride_tricks.sliding_window_view(truth, (n, 6))[:, 0]
    j = int(np.argmin(np.abs(windows - run).sum(axis=(1, 2))))
    return float(encoded.time_s[pick[j]]), float(encoded.time_s[pick[j + n - 1]])


def account(placement: str, ledger: list, encoded, origin_s: float, rec: Recording,
            samples: SensorSamples) -> Accounting:
    """Check one sensor's recording against its ledger and its encoded samples."""
    model = get_model(rec.sensors[placement].model)
    delivered = [n.data for n in ledger if not n.dropped]
    log = rec.raw[placement]
    shift_s = origin_s - rec.start_mono_ns * 1e-9  # world time to session time
    tolerance = GAP_TOLERANCE_S.get(model.key, DEFAULT_GAP_TOLERANCE_S)
    last_s = float(samples.data.time_s.iloc[-1]) if len(samples.data) else 0.0
    gaps = samples.gaps
    inner = gaps[gaps.source != "disconnect"]
    bands = unseen_loss_bands(samples)
    # the sensor's connections and the recorder's, in the same order (each side numbers its own)
    sensor_conns = sorted({n.connection for n in ledger})
    rec_conns = list(dict.fromkeys(log.connection.tolist()))
    identical, in_flight = len(sensor_conns) == len(rec_conns), 0
    dropped = in_gap = in_band = lost = lost_at_disconnect = 0
    for sc, rc in zip(sensor_conns, rec_conns):
        notes = [n for n in ledger if n.connection == sc]
        # the file holds what was delivered, in order, up to the link's end: what was still in
        # flight when the link dropped (or when the recorder unsubscribed) never reached the host
        sent_c = [n.data for n in notes if not n.dropped]
        got_c = list(log.payloads.select(np.flatnonzero(log.connection == rc)))
        identical &= got_c == sent_c[:len(got_c)]
        in_flight += len(sent_c) - len(got_c)
        unplaced = []
        placed = 0
        for i, n in enumerate(notes):
            if not n.dropped:
                continue
            cost, found = _lost(model, notes, i)
            if found is None:
                continue  # a control-point reply: it carries no samples
            a, b = (t + shift_s for t in _world_span(found, encoded, sc, n.time_s - origin_s))
            if a > last_s:
                continue  # lost after the last sample that arrived: the recording simply ends there
            dropped += 1
            lost += cost
            inside = (gaps.start_s - tolerance <= a) & (b <= gaps.end_s + tolerance)
            if inside.any():
                in_gap += 1
                placed += cost
                if not (inside & (gaps.source != "disconnect")).any():
                    lost_at_disconnect += cost  # lost next to a disconnect: part of its gap
            else:
                unplaced.append(cost)
        band = bands[bands.connection == rc]
        if len(band):
            # without counter or clock, where a loss is found is an estimate: the connection's gaps
            # and its unseen-loss bound together must cover what it lost
            pool = int(band.unseen_loss_max_samples.sum()
                       + inner[inner.connection == rc].missing_samples.sum()) - placed
            for cost in unplaced:
                if pool >= cost:
                    pool -= cost
                    in_band += 1
    return Accounting(
        placement, model.key, len(delivered), identical, in_flight,
        len(rec.events_of("disconnect", placement)), max(len(rec.events_of("connect", placement)) - 1, 0),
        int((gaps.source == "disconnect").sum()), dropped, in_gap, in_band, lost, lost_at_disconnect,
        int(inner.missing_samples.sum()), int(bands.unseen_loss_max_samples.sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--disconnect-every", type=float, default=30.0, help="seconds")
    parser.add_argument("--drop", type=float, default=0.01, help="probability per notification")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sent, encoded, origin_s, rec, samples = soak(Path(tmp) / "soak.mcap", args.minutes * 60,
                                                     args.disconnect_every, args.drop, args.seed)
        print(f"soak: {args.minutes:g} min, a disconnect every ~{args.disconnect_every:g} s, "
              f"{args.drop:.1%} of notifications dropped")
        print(f"{'placement':<11} {'model':<13} {'bytes ok':>8} {'flight':>6} {'disc':>5} {'reconn':>6} {'disc gaps':>9} "
              f"{'dropped':>7} {'in gap':>6} {'in band':>7} {'unacc':>5} {'lost smp':>8} {'at disc':>7} {'claimed':>7} "
              f"{'band smp':>8}")
        for placement, ledger in sent.items():
            a = account(placement, ledger, encoded[placement], origin_s, rec, samples[placement])
            print(f"{a.placement:<11} {a.model:<13} {str(a.recorded_identical):>8} {a.in_flight:6d} {a.disconnects:5d} "
                  f"{a.reconnects:6d} {a.disconnect_gaps:9d} {a.dropped:7d} {a.dropped_in_gap:6d} "
                  f"{a.dropped_in_band:7d} {a.unaccounted:5d} {a.lost_samples:8d} {a.lost_at_disconnect:7d} {a.claimed_samples:7d} "
                  f"{a.band_samples:8d}")


if __name__ == "__main__":
    main()
