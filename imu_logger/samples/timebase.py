"""Put every sample on the host's monotonic clock and find the samples that never arrived.

BLE only ever delays a notification, so for one connection the receive time of a notification is
``host = offset + slope * sensor_clock + latency`` with ``latency >= 0``. The fit therefore follows the
lower envelope of (host − sensor clock), not a least-squares line through the latencies.

Gaps come from the best evidence the model offers:

* a per-sample counter: exact;
* a sensor clock: exact to half a sample period;
* neither: steps in the lower envelope of (receive time − sample count / rate). A loss shifts the
  envelope for good; a latency burst (a busy host, a congested link) lifts it only until the backlog
  is delivered, however long that takes, and is not a loss. Sizes are estimates, and a loss shorter
  than the envelope's noise (about half a sample period on a quiet link) cannot be seen: such a
  connection states the most it can have lost unseen (:func:`unseen_loss_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.ndimage import minimum_filter1d


#: below this span a drift fit would mostly measure the latency floor's wobble: offset only
MIN_DRIFT_SPAN_S = 60.0
#: a rise of the receive-time envelope is a loss only if the envelope stays up this long (s): a
#: latency burst of a busy host comes back down once its backlog is delivered (seen: 0.45 s bursts,
#: and a 10 s backlog while the other sensors connected). Short enough that a residual rate error
#: of 100 ppm moves the envelope by a third of a sample at most.
SETTLE_S = 30.0
#: no receive-time loss is taken this early in a connection (s): while the host still sets up the
#: other sensors, its latency floor settles (seen: 0.6 s higher after the first 2 s), which a sensor
#: without counter or clock cannot tell from a loss. A loss there is within the unseen-loss bound.
CONNECTION_SETTLE_S = 3.0
#: assumed accuracy of the sampling oscillator of a sensor that has no clock to show it (fraction of
#: the rate). An assumption, not a vendor figure: crystal-clocked MCUs are within 1e-4, trimmed RC
#: oscillators within about 2e-3.
RATE_TOLERANCE = 2e-3


@dataclass(frozen=True)
class ClockFit:
    """host_s ≈ offset_s + slope * sensor_s, for one connection."""

    offset_s: float
    slope: float
    latency_p50_s: float
    latency_p95_s: float
    span_s: float = 0.0

    @property
    def drift_ppm(self) -> float:
        """Sensor clock error in ppm (positive: the sensor clock runs slow relative to the host);
        NaN when the connection was too short to measure it."""
        return (self.slope - 1.0) * 1e6 if self.span_s >= MIN_DRIFT_SPAN_S else float("nan")

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
    receive time). The minimum of (host − sensor) in each window of ``window_s`` is kept. Over a span
    of at least MIN_DRIFT_SPAN_S the line is the edge of those minima's lower convex hull above their
    median sensor time: of all lines under every minimum, the one closest to them (the linear-programming
    skew estimate of Moon, Skelly and Towsley, IEEE INFOCOM 1999). Windows whose every notification came
    late (a busy host delivering a backlog) lie above it and do not tilt it, as they tilt a
    least-squares line. A shorter span gives the offset only, slope 1.
    """
    sensor_s = np.asarray(sensor_s, float)
    host_s = np.asarray(host_s, float)
    if sensor_s.size == 0:
        return ClockFit(0.0, 1.0, 0.0, 0.0)
    diff = host_s - sensor_s
    bins = np.floor((sensor_s - sensor_s[0]) / window_s).astype(np.int64)
    if np.all(bins[1:] >= bins[:-1]):  # the usual case, windows in order: one pass
        lows = _window_lows(bins, diff)
    else:
        order = np.lexsort((diff, bins))
        first = np.ones(order.size, bool)
        first[1:] = bins[order][1:] != bins[order][:-1]
        lows = order[first]  # index of the minimum difference in each window
    if sensor_s[-1] - sensor_s[0] >= MIN_DRIFT_SPAN_S and lows.size >= 2:
        slope_d, offset = _lower_hull_line(sensor_s[lows], diff[lows])
    else:
        slope_d, offset = 0.0, float(diff.min())
    latency = diff - (offset + slope_d * sensor_s)
    # the envelope line can sit slightly above a few points: shift it under all of them
    shift = float(latency.min())
    offset += shift
    latency -= shift
    p50, p95 = np.percentile(latency, [50, 95])
    return ClockFit(float(offset), 1.0 + float(slope_d), float(p50), float(p95),
                    float(sensor_s[-1] - sensor_s[0]))


@numba.njit(cache=True)
def _window_lows(bins: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """Per run of equal ``bins`` (in order), the index of the lowest ``diff``: the first of equal ones,
    NaN above every number, as a stable sort by (bin, diff) puts first."""
    out = np.empty(bins.size, np.int64)
    n, best = 0, 0
    for i in range(1, bins.size + 1):
        if i == bins.size or bins[i] != bins[i - 1]:
            out[n] = best
            n += 1
            best = i
        elif diff[i] < diff[best] or (np.isnan(diff[best]) and not np.isnan(diff[i])):
            best = i
    return out[:n]


def _lower_hull_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, offset) of the lower convex hull's edge above the median of ``x`` (x increasing)."""
    hull: list[int] = []
    for i in range(x.size):  # Andrew's monotone chain, lower half
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]) > 0:
                break  # a left turn: b stays on the lower hull
            hull.pop()
        hull.append(i)
    hx = x[hull]
    k = int(np.clip(np.searchsorted(hx, np.median(x)), 1, len(hull) - 1))
    a, b = hull[k - 1], hull[k]
    slope = (y[b] - y[a]) / (x[b] - x[a])
    return float(slope), float(y[a] - slope * x[a])


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
                                    rate_hz: float, window_s: float = 1.0
                                    ) -> tuple[np.ndarray, list[Gap], float]:
    """Reconstruct a sample counter for a model without counters or clock.

    Returns the counter of each notification's last sample (gaps included), the gaps found (indexed
    by sample), and the rate estimated from the data (Hz).

    With ``x = receive time − sample count / rate``, a loss before notification i raises every x
    from i on. The lowest x in the window after i, minus the lowest in the window before it, is that
    rise; latency spikes move neither minimum. Losses are taken in time order, each one corrected
    before the next is measured, so two losses within a window are not counted twice.
    """
    host_s = np.asarray(host_s, float)
    n = np.asarray(samples_per_notification, np.int64)
    last = np.cumsum(n) - 1
    if host_s.size < 2:
        return last, [], rate_hz
    per_note = max(float(np.median(n)), 1.0)
    width = max(int(round(window_s * rate_hz / per_note)), 3)
    settle = max(int(round(SETTLE_S * rate_hz / per_note)), width)
    rate = _envelope_rate(host_s, last, rate_hz, 2 * width)
    x = (host_s - last / rate) * rate  # in samples
    rise = _window_rise(x, width)
    at: list[int] = []
    lost: list[int] = []
    early = host_s < host_s[0] + CONNECTION_SETTLE_S
    for i in np.flatnonzero((rise > 0.5) & ~early):
        if at and i < at[-1] + width:
            continue  # on the plateau of the loss just taken (a second loss there is seen after it)
        a, b = max(i - width, 0), min(i + 2 * width, x.size)
        local = x[a:b] - _offsets(np.arange(a, b), at, lost)
        r = _window_rise(local, width)[i - a:min(i - a + width, b - a)]
        k = int(np.argmax(r > r.max() - 0.5))  # where the rise is complete: the loss is just before
        j = i + k
        # the level the envelope settles at: later losses only raise it, a latency burst's backlog
        # brings it back down to where it was
        after = np.arange(j, min(j + settle, x.size))
        settled = float(np.min(x[after] - _offsets(after, at, lost)))
        before = np.arange(max(j - width, 0), j)
        level = float(np.min(x[before] - _offsets(before, at, lost)))
        m = min(int(np.rint(r.max())), int(np.rint(settled - level)))
        if m >= 1:
            at.append(j)
            lost.append(m)
    missing = np.zeros(x.size, np.int64)
    missing[at] = lost
    counter = last + np.cumsum(missing)
    first_sample = last - n + 1
    gaps = [Gap(int(first_sample[i]), int(m), "receive_time") for i, m in zip(at, lost)]
    return counter, gaps, rate


def unseen_loss_bound(span_s: float, received: int, found_missing: int, rate_hz: float,
                      tolerance: float = RATE_TOLERANCE) -> int:
    """The most samples a connection timed from receive times can have lost outside its gaps.

    In ``span_s`` seconds (first to last sample) a sensor running at most ``rate_hz · (1 + tolerance)``
    takes at most that many samples, plus one; those received and those the gaps account for are
    not lost unseen.
    """
    most = int(np.floor(span_s * rate_hz * (1.0 + tolerance))) + 1
    return max(most - received - found_missing, 0)


def _offsets(index: np.ndarray, at: list[int], lost: list[int]) -> np.ndarray:
    """Samples already found missing at or before each index."""
    if not at:
        return np.zeros(index.size)
    cum = np.concatenate([[0], np.cumsum(lost)])
    return cum[np.searchsorted(np.asarray(at), index, side="right")].astype(float)


def _window_rise(x: np.ndarray, width: int) -> np.ndarray:
    """min(x[i : i + width]) − min(x[i − width : i]); 0 where there is no past window yet."""
    future = _future_min(x, width)
    past = np.full(x.size, np.inf)
    past[1:] = minimum_filter1d(x, size=width, origin=(width - 1) // 2, mode="nearest")[:-1]
    edge = min(width // 4 + 1, x.size)
    past[:edge] = np.inf  # too little past to trust
    past[x.size - edge:] = np.inf  # or too little future
    return np.where(np.isfinite(past), future - past, 0.0)


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
