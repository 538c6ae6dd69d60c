"""Put every sample on the host's monotonic clock and find the samples that never arrived.

BLE only ever delays a notification, so for one connection the receive time of a notification is
``host = offset + slope * sensor_clock + latency`` with ``latency >= 0``. The fit therefore follows the
lower envelope of (host − sensor clock), not a least-squares line through the latencies.

Gaps come from the best evidence the model offers:

* a per-sample counter: exact;
* a sensor clock: exact to half a sample period;
* neither: steps in the lower envelope of (receive time − sample count / rate). A loss shifts the
  envelope for good, latency spikes do not. Sizes are estimates, and a loss shorter than the
  envelope's noise (about half a sample period on a quiet link) cannot be seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d


@dataclass(frozen=True)
class ClockFit:
    """host_s ≈ offset_s + slope * sensor_s, for one connection."""

    offset_s: float
    slope: float
    latency_p50_s: float
    latency_p95_s: float

    @property
    def drift_ppm(self) -> float:
        """Sensor clock error in ppm (positive: the sensor clock runs slow relative to the host)."""
        return (self.slope - 1.0) * 1e6

    def to_host(self, sensor_s: np.ndarray) -> np.ndarray:
        return self.offset_s + self.slope * sensor_s


@dataclass(frozen=True)
class Gap:
    """Samples missing before sample ``index`` of a connection's decoded stream."""

    index: int
    missing: int
    source: str  # "counter", "sensor_time" or "receive_time"


def fit_clock(sensor_s: np.ndarray, host_s: np.ndarray, window_s: float = 5.0) -> ClockFit:
    """Fit host time to sensor time along the lower envelope of their difference.

    ``sensor_s`` and ``host_s`` are one point per notification (sensor time of its last sample, its
    receive time). The minimum of (host − sensor) in each window of ``window_s`` is kept; a line through
    those minima gives the drift (a single window gives the offset only, slope 1).
    """
    sensor_s = np.asarray(sensor_s, float)
    host_s = np.asarray(host_s, float)
    if sensor_s.size == 0:
        return ClockFit(0.0, 1.0, 0.0, 0.0)
    diff = host_s - sensor_s
    bins = np.floor((sensor_s - sensor_s[0]) / window_s).astype(np.int64)
    order = np.lexsort((diff, bins))
    first = np.ones(order.size, bool)
    first[1:] = bins[order][1:] != bins[order][:-1]
    lows = order[first]  # index of the minimum difference in each window
    if lows.size >= 3:
        # interior windows only: the edge windows are partly filled
        slope_d, offset = np.polyfit(sensor_s[lows], diff[lows], 1)
    else:
        slope_d, offset = 0.0, float(diff.min())
    latency = diff - (offset + slope_d * sensor_s)
    # the envelope line can sit slightly above a few points: shift it under all of them
    shift = float(latency.min())
    offset += shift
    latency -= shift
    p50, p95 = np.percentile(latency, [50, 95])
    return ClockFit(float(offset), 1.0 + float(slope_d), float(p50), float(p95))


def gaps_from_counter(counter: np.ndarray) -> list[Gap]:
    """Gaps from an unwrapped per-sample counter (consecutive samples differ by 1)."""
    step = np.diff(np.asarray(counter, np.int64))
    where = np.flatnonzero(step > 1)
    return [Gap(int(i + 1), int(step[i] - 1), "counter") for i in where]


def gaps_from_sensor_time(sensor_s: np.ndarray, rate_hz: float) -> list[Gap]:
    """Gaps where consecutive sensor timestamps are more than 1.5 sample periods apart."""
    step = np.diff(np.asarray(sensor_s, float)) * rate_hz
    where = np.flatnonzero(step > 1.5)
    return [Gap(int(i + 1), int(round(step[i])) - 1, "sensor_time") for i in where]


def sample_clock_from_receive_times(host_s: np.ndarray, samples_per_notification: np.ndarray,
                                    rate_hz: float, window_s: float = 2.0
                                    ) -> tuple[np.ndarray, list[Gap], float]:
    """Reconstruct a sample counter for a model without counters or clock.

    Returns the counter of each notification's last sample (gaps included), the gaps found (indexed
    by sample), and the rate estimated from the data (Hz).
    """
    host_s = np.asarray(host_s, float)
    n = np.asarray(samples_per_notification, np.int64)
    if host_s.size < 2:
        return np.cumsum(n) - 1, [], rate_hz
    last = np.cumsum(n) - 1
    per_note = max(float(np.median(n)), 1.0)
    width = max(int(round(window_s * rate_hz / per_note)), 3)
    rate = _envelope_rate(host_s, last, rate_hz, width)
    envelope = _future_min(host_s - last / rate, width)
    missing = _envelope_steps(np.diff(envelope) * rate)
    counter = last + np.concatenate([[0], np.cumsum(missing)])
    first_sample = last - n + 1
    gaps = [Gap(int(first_sample[i + 1]), int(missing[i]), "receive_time")
            for i in np.flatnonzero(missing)]
    return counter, gaps, rate


def _envelope_steps(step: np.ndarray, noise: float = 0.1) -> np.ndarray:
    """Whole samples lost at each step of the envelope (in samples).

    Latency noise can spread one loss over a few consecutive steps: each run of steps above
    ``noise`` is summed, rounded, and put at the run's largest step.
    """
    rising = step > noise
    starts = rising & ~np.r_[False, rising[:-1]]
    run = np.where(rising, np.cumsum(starts), 0)
    total = np.bincount(run, weights=np.where(rising, step, 0.0))
    missing = np.zeros(step.size, np.int64)
    for r in np.flatnonzero(np.rint(total[1:]) > 0) + 1:  # few runs: one per loss
        members = np.flatnonzero(run == r)
        missing[members[np.argmax(step[members])]] = int(np.rint(total[r]))
    return missing


def _future_min(x: np.ndarray, width: int) -> np.ndarray:
    """min(x[i : i + width]) for each i (a loss steps the result exactly where it happens)."""
    return minimum_filter1d(x, size=width, origin=-(width // 2), mode="nearest")


def _envelope_rate(host_s: np.ndarray, last: np.ndarray, rate_hz: float, width: int) -> float:
    """Actual sample rate: the median slope of the envelope between windows (losses are rare steps)."""
    envelope = _future_min(host_s - last / rate_hz, width)
    idx = np.arange(0, host_s.size - width, width)
    if idx.size < 3:
        return rate_hz
    de = np.diff(envelope[idx])
    dc = np.diff(last[idx]) / rate_hz
    slope = float(np.median(de / dc))  # host seconds per nominal sample second, minus one
    return rate_hz / (1.0 + slope)
