"""What the report shows besides the day summary: pure functions on the analysis tables.

Inputs are the tables of ``imu-logger analyze`` (strides.csv with STRIDE_COLUMNS, bouts.csv with
BOUT_COLUMNS, angles.parquet). Times are seconds from the recording start; angles in degrees with
the signs of analysis.conventions. Nothing here reads files or draws.

Statistics (also stated in the report):

* the day summary (per side and per hour: median, quartiles, IQR; metrics and cadence) is
  analysis.summary, the same table as summary.csv; ``summary_table`` and ``day_metrics`` are its
  views for the export and the report;
* asymmetry index of two medians: ``ASI = 100 * (L - R) / (0.5 * (|L| + |R|))`` in percent
  (Robinson et al. 1987); |ASI| > ``ASYMMETRY_THRESHOLD_PCT`` is called asymmetric (a project choice);
* session comparison: difference of medians (later minus earlier) with a 95 % percentile confidence
  interval from a block bootstrap: strides are cut, in time order, into blocks of ``BLOCK_STRIDES``
  consecutive strides per side, and the blocks (not single strides, which are correlated within a
  walking bout) are resampled with replacement within each session. A change "exceeds the day's own
  variation" when that interval excludes zero;
* trend over the day: Theil-Sen slope of the stride metric against time (per hour), with its 95 %
  interval, robust to outlying strides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.meaningful_change import MEANINGFUL_CHANGE
from analysis.summary import (CADENCE, HOUR_S, METRIC_BY_COLUMN, METRICS, SIDES, asymmetry_index,
                              metric_columns, summarise_strides, with_cadence)

__all__ = ["CADENCE", "METRICS", "METRIC_BY_COLUMN", "SIDES", "metric_columns", "with_cadence"]  # re-exported

BLOCK_STRIDES = 20  # ~20 s of walking: longer than the stride-to-stride correlation in a bout
BOOTSTRAP_RESAMPLES = 2000
ASYMMETRY_THRESHOLD_PCT = 10.0


@dataclass(frozen=True)
class Reference:
    """A healthy-adult reference range for walking, with the keys of its sources."""

    low: float
    high: float
    text: str
    sources: tuple[str, ...]


#: literature behind the reference ranges of ../shared/DESIGN.md
SOURCES: dict[str, str] = {
    "perry2010": "Perry J, Burnfield JM. Gait Analysis: Normal and Pathological Function. 2nd ed. "
                 "Thorofare, NJ: SLACK; 2010 (ankle sagittal motion in the gait cycle).",
    "winter1991": "Winter DA. The Biomechanics and Motor Control of Human Gait: Normal, Elderly and "
                  "Pathological. 2nd ed. Waterloo: University of Waterloo Press; 1991.",
    "digiovanni2002": "DiGiovanni CW, Kuo R, Tejwani N, et al. Isolated gastrocnemius tightness. "
                      "J Bone Joint Surg Am. 2002;84(6):962-970 (less than 10° of dorsiflexion "
                      "as restricted).",
    "bohannon1997": "Bohannon RW. Comfortable and maximum walking speed of adults aged 20-79 years: "
                    "reference values and determinants. Age Ageing. 1997;26(1):15-19 "
                    "(comfortable speed 1.27-1.46 m/s by age and sex).",
    "oberg1993": "Oberg T, Karsznia A, Oberg K. Basic gait parameters: reference data for normal "
                 "subjects, 10-79 years of age. J Rehabil Res Dev. 1993;30(2):210-223.",
    "lafortune1991": "Lafortune MA. Three-dimensional acceleration of the tibia during walking and "
                     "running. J Biomech. 1991;24(10):877-886 (2.7-3.7 g after foot strike in "
                     "walking).",
    "bennell1998": "Bennell KL, Talbot RC, Wajswelner H, et al. Intra-rater and inter-rater "
                   "reliability of a weight-bearing lunge measure of ankle dorsiflexion. Aust J "
                   "Physiother. 1998;44(3):175-180 (toe-wall distance and tibial angle; about 3.6° "
                   "per cm).",
    "chisholm2012": "Chisholm MD, Birmingham TB, Brown J, et al. Reliability and validity of a "
                    "weight-bearing measure of ankle dorsiflexion range of motion. Physiother Can. "
                    "2012;64(4):347-355 (minimal detectable change 1.0 cm per side, 1.5 cm for the "
                    "left-right difference).",
    "robinson1987": "Robinson RO, Herzog W, Nigg BM. Use of force platform variables to quantify the "
                    "effects of chiropractic manipulation on gait symmetry. J Manipulative Physiol "
                    "Ther. 1987;10(4):172-176 (symmetry index).",
}

#: reference ranges of ../shared/DESIGN.md, healthy adults walking at comfortable speed
REFERENCES: dict[str, Reference] = {
    # upper bound: about the textbook mean of ~10-12° plus one SD (Winter 1991); a project choice
    "peak_dorsiflexion_deg": Reference(10.0, 15.0, "about 10-15°; below 10° counts as restricted",
                                       ("perry2010", "winter1991", "digiovanni2002")),
    "peak_plantarflexion_deg": Reference(-25.0, -15.0, "15-25° of plantarflexion at push-off",
                                         ("perry2010", "winter1991")),
    "sagittal_range_deg": Reference(25.0, 30.0, "25-30°", ("perry2010", "winter1991")),
    "speed_mps": Reference(1.2, 1.5, "1.2-1.5 m/s comfortable speed", ("bohannon1997",)),
    "stride_length_m": Reference(1.3, 1.5, "1.3-1.5 m", ("oberg1993",)),
    "stride_time_s": Reference(1.0, 1.2, "1.0-1.2 s", ("oberg1993",)),
    CADENCE: Reference(100.0, 120.0, "100-120 steps/min (from stride time 1.0-1.2 s)",
                       ("oberg1993",)),
    "peak_tibial_accel_g": Reference(2.5, 4.0, "2.5-4 g", ("lafortune1991",)),
}

#: knee-to-wall reference: tibial inclination at the end of the weight-bearing lunge
K2W_REFERENCE = Reference(35.0, 45.0, "tibial inclination about 35-45° (toe-wall ~10 ± 3 cm)",
                          ("bennell1998", "chisholm2012"))


def summary_table(strides: pd.DataFrame, by_hour: bool = True) -> pd.DataFrame:
    """The summary (analysis.summary) of ``strides`` as one row per side and hour, for the export.

    Columns: side, hour, start_s, end_s, n_strides, then ``median_<metric>`` and ``iqr_<metric>``
    for each metric (the unit stays at the end of the name). ``hour`` counts from the recording
    start (0 = first hour); without ``by_hour`` one row per side covers the day (hour = -1).
    ``n_strides`` counts the strides of the row, whether or not a metric has a value.
    """
    if len(strides) == 0:
        return pd.DataFrame()
    long = summarise_strides(strides)
    long = long[long["period"] == ("hour" if by_hour else "day")]
    stats = long.set_index(["side", "hour_start_s", "metric"]) if by_hour else long.set_index(["side", "metric"])
    cols = metric_columns(with_cadence(strides))
    hour_of = np.floor(strides["start_s"].to_numpy(float) / HOUR_S) if by_hour else np.full(len(strides), -1.0)
    rows = []
    for side in SIDES:
        for hour in np.unique(hour_of[(strides["side"] == side).to_numpy()]):
            g = strides[(strides["side"] == side).to_numpy() & (hour_of == hour)]
            row = {"side": side, "hour": int(hour),
                   "start_s": hour * HOUR_S if by_hour else float(g["start_s"].min()),
                   "end_s": (hour + 1) * HOUR_S if by_hour else float(g["end_s"].max()),
                   "n_strides": int(len(g))}
            for c in cols:
                key = (side, hour * HOUR_S, c) if by_hour else (side, c)
                found = key in stats.index
                row[f"median_{c}"] = float(stats.at[key, "median"]) if found else np.nan
                row[f"iqr_{c}"] = float(stats.at[key, "iqr"]) if found else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def day_metrics(strides: pd.DataFrame) -> pd.DataFrame:
    """One row per metric of the day summary (analysis.summary): n, median, q1, q3 per side, left-right
    asymmetry, reference verdicts."""
    if len(strides) == 0:
        return pd.DataFrame()
    long = summarise_strides(strides)
    day = long[long["period"] == "day"].set_index(["metric", "side"])
    rows = []
    for c in metric_columns(with_cadence(strides)):
        row: dict = {"metric": c, "label": METRIC_BY_COLUMN[c].label, "unit": METRIC_BY_COLUMN[c].unit}
        for side in SIDES:
            if (c, side) in day.index:
                r = day.loc[(c, side)]
                n, med, q1, q3 = int(r["n_strides"]), float(r["median"]), float(r["q1"]), float(r["q3"])
            else:
                n, med, q1, q3 = 0, np.nan, np.nan, np.nan
            row.update({f"{side}_n": n, f"{side}_median": med, f"{side}_q1": q1, f"{side}_q3": q3,
                        f"{side}_vs_reference": reference_verdict(c, med)})
        row["asymmetry_pct"] = asymmetry_index(row["left_median"], row["right_median"])
        rows.append(row)
    return pd.DataFrame(rows)


#: values no walking stride can have: outside them a number is a measurement failure, not a finding
#: (engineering limits, wide of every reference above and of the literature's pathological gait)
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "peak_dorsiflexion_deg": (-15.0, 35.0), "peak_plantarflexion_deg": (-50.0, 15.0),
    "sagittal_range_deg": (3.0, 70.0), "peak_eversion_deg": (-25.0, 30.0),
    "eversion_excursion_deg": (-5.0, 30.0), "speed_mps": (0.05, 3.0), "stride_length_m": (0.05, 2.5),
    "stride_time_s": (0.4, 4.0), CADENCE: (30.0, 300.0), "peak_tibial_accel_g": (0.3, 16.0),
}


def plausible(metric: str, value: float) -> bool:
    """Whether ``value`` can be a walking stride's (True for metrics without limits)."""
    lo, hi = PLAUSIBLE.get(metric, (-np.inf, np.inf))
    return bool(np.isfinite(value) and lo <= value <= hi)


def reference_verdict(metric: str, value: float) -> str:
    """How ``value`` stands against the healthy range of ``metric``: 'within'; 'near' (outside by less
    than the smallest meaningful change, analysis.meaningful_change, else 5 % of the range);
    'below' or 'above'; 'implausible' (outside PLAUSIBLE); '' without a reference or a value."""
    ref = REFERENCES.get(metric)
    if ref is None or not np.isfinite(value):
        return ""
    if not plausible(metric, value):
        return "implausible"
    margin = MEANINGFUL_CHANGE.get(metric, (0.05 * abs(ref.high - ref.low), ""))[0]
    if value < ref.low:
        return "near" if ref.low - value < margin else "below"
    if value > ref.high:
        return "near" if value - ref.high < margin else "above"
    return "within"


def reference_verdict_k2w(inclination_deg: float) -> str:
    """'below', 'within' or 'above' the knee-to-wall tibial inclination reference."""
    ref = K2W_REFERENCE
    if not np.isfinite(inclination_deg):
        return ""
    return "below" if inclination_deg < ref.low else "above" if inclination_deg > ref.high else "within"


def activity_time(bouts: pd.DataFrame) -> dict[str, float]:
    """Seconds spent walking (incl. turns and stairs), standing, sitting/lying and other."""
    groups = {"walking": ("walking", "turn", "stairs"), "standing": ("standing",),
              "sitting_lying": ("sitting_lying", "sitting", "lying"), "other": ("other",)}
    dur = (bouts["end_s"] - bouts["start_s"]).clip(lower=0)
    act = bouts["activity"].astype(str)
    return {name: float(dur[act.isin(kinds)].sum()) for name, kinds in groups.items()}


def bout_medians(strides: pd.DataFrame, bouts: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per walking bout and side: the median of ``column`` (bout_id, start_s, end_s, side, median)."""
    s = with_cadence(strides)
    if column not in s:
        return pd.DataFrame(columns=["bout_id", "start_s", "end_s", "side", "median", "n"])
    g = s.dropna(subset=[column]).groupby(["bout_id", "side"])[column].agg(["median", "size"])
    g = g.rename(columns={"size": "n"}).reset_index()
    return g.merge(bouts[["bout_id", "start_s", "end_s"]], on="bout_id", how="left")


#: strides a gait-cycle curve is drawn from at most: plenty for a mean and SD, and the report stays fast
CYCLE_MAX_STRIDES = 2000


def gait_cycle(angles: pd.DataFrame, strides: pd.DataFrame, column: str, side: str,
               points: int = 101, max_strides: int = CYCLE_MAX_STRIDES) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean and SD (points,) of an angle column over the gait cycle (0-100 %, contact to contact).

    Each stride of ``side`` is resampled by linear interpolation onto ``points`` equally spaced
    fractions of [start_s, end_s]; strides with a gap in the angles are skipped. At most
    ``max_strides`` strides, evenly spread over the day, are used. Returns (mean, sd, n_strides).
    """
    if column not in angles or angles.empty:
        return np.full(points, np.nan), np.full(points, np.nan), 0
    t = angles["time_s"].to_numpy(float)
    y = angles[column].to_numpy(float)
    ok = np.isfinite(y)
    t, y = t[ok], y[ok]
    st = strides[(strides["side"] == side)].dropna(subset=["start_s", "end_s"])
    if len(st) > max_strides:
        st = st.iloc[np.linspace(0, len(st) - 1, max_strides).astype(int)]
    if t.size < 2:
        return np.full(points, np.nan), np.full(points, np.nan), 0
    dt = float(np.median(np.diff(t)))
    frac = np.linspace(0.0, 1.0, points)
    curves = []
    for a, b in zip(st["start_s"].to_numpy(float), st["end_s"].to_numpy(float)):
        i0, i1 = np.searchsorted(t, [a, b])
        if b <= a or i0 == 0 or i1 >= t.size:
            continue
        seg = t[i0 - 1:i1 + 1]
        if np.max(np.diff(seg)) > 3 * dt:  # a gap inside the stride: skip it rather than bridge it
            continue
        curves.append(np.interp(a + frac * (b - a), t, y))
    if not curves:
        return np.full(points, np.nan), np.full(points, np.nan), 0
    c = np.asarray(curves)
    return c.mean(axis=0), c.std(axis=0, ddof=1) if len(c) > 1 else np.zeros(points), len(c)


#: approximate healthy sagittal ankle curve over the gait cycle: (% cycle, dorsiflexion °), after
#: the typical pattern in Perry & Burnfield (2010) and Winter (1991); drawn with a ± band
HEALTHY_SAGITTAL_KEYPOINTS = ((0, 0.0), (7, -5.0), (30, 5.0), (45, 10.0), (55, 5.0), (62, -18.0),
                              (75, -5.0), (87, 0.0), (100, 0.0))
HEALTHY_BAND_DEG = 5.0


def healthy_sagittal_band(points: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cycle %, low, high) of the approximate healthy dorsiflexion band over the gait cycle."""
    x = np.linspace(0, 100, points)
    kx, ky = np.array(HEALTHY_SAGITTAL_KEYPOINTS, float).T
    mid = np.interp(x, kx, ky)
    return x, mid - HEALTHY_BAND_DEG, mid + HEALTHY_BAND_DEG


@dataclass(frozen=True)
class Trend:
    """Theil-Sen slope of a metric over the day, per hour, with its 95 % interval."""

    side: str
    slope_per_hour: float
    low: float
    high: float
    n: int

    @property
    def significant(self) -> bool:
        return self.n >= 10 and (self.low > 0 or self.high < 0)


def trend(strides: pd.DataFrame, column: str, side: str) -> Trend:
    """How ``column`` changes over the day on ``side`` (units per hour)."""
    s = with_cadence(strides)
    part = s[(s["side"] == side)].dropna(subset=[column, "start_s"])
    if len(part) < 3 or np.ptp(part["start_s"]) <= 0:
        return Trend(side, np.nan, np.nan, np.nan, len(part))
    hours = part["start_s"].to_numpy(float) / HOUR_S
    values = part[column].to_numpy(float)
    if len(part) > 3000:  # Theil-Sen is O(n^2): an even subsample keeps the day's shape
        idx = np.linspace(0, len(part) - 1, 3000).astype(int)
        hours, values = hours[idx], values[idx]
    slope, _, lo, hi = stats.theilslopes(values, hours, 0.95)
    return Trend(side, float(slope), float(lo), float(hi), len(part))


def _blocks(values: np.ndarray, block: int) -> list[np.ndarray]:
    n = values.size // block
    if n == 0:
        return []
    blocks = [values[i * block:(i + 1) * block] for i in range(n)]
    rest = values[n * block:]
    if rest.size:
        blocks[-1] = np.concatenate([blocks[-1], rest])
    return blocks


def _bootstrap_medians(blocks: list[np.ndarray], rng: np.random.Generator, resamples: int) -> np.ndarray:
    picks = rng.integers(0, len(blocks), size=(resamples, len(blocks)))
    return np.array([np.median(np.concatenate([blocks[i] for i in row])) for row in picks])


def compare(values_a: np.ndarray, values_b: np.ndarray, *, block: int = BLOCK_STRIDES,
            resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> dict:
    """Difference of medians (b - a) with a 95 % block-bootstrap interval (see module docstring).

    ``values_a`` and ``values_b`` are one metric of one side, strides in time order. Returns
    median_a, median_b, difference, ci_low, ci_high, exceeds (bool or None when either session has
    fewer than two blocks).
    """
    a = np.asarray(values_a, float)
    b = np.asarray(values_b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out = {"median_a": float(np.median(a)) if a.size else np.nan,
           "median_b": float(np.median(b)) if b.size else np.nan}
    out["difference"] = out["median_b"] - out["median_a"]
    ba, bb = _blocks(a, block), _blocks(b, block)
    if len(ba) < 2 or len(bb) < 2:
        return {**out, "ci_low": np.nan, "ci_high": np.nan, "exceeds": None}
    rng = np.random.default_rng(seed)
    diff = _bootstrap_medians(bb, rng, resamples) - _bootstrap_medians(ba, rng, resamples)
    lo, hi = np.percentile(diff, [2.5, 97.5])
    return {**out, "ci_low": float(lo), "ci_high": float(hi), "exceeds": bool(lo > 0 or hi < 0)}


def compare_sessions(strides_a: pd.DataFrame, strides_b: pd.DataFrame) -> pd.DataFrame:
    """Each metric and side of session b against session a: one row each (see :func:`compare`)."""
    sa, sb = with_cadence(strides_a), with_cadence(strides_b)
    rows = []
    for c in metric_columns(sa):
        if c not in metric_columns(sb):
            continue
        for side in SIDES:
            va = sa[sa["side"] == side].sort_values("start_s")[c].to_numpy(float)
            vb = sb[sb["side"] == side].sort_values("start_s")[c].to_numpy(float)
            if va.size == 0 or vb.size == 0:
                continue
            rows.append({"metric": c, "side": side, **compare(va, vb)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class StiffVerdict:
    """Which ankle moves less in the sagittal plane, in numbers and in words."""

    side: str | None  # None when neither side is clearly stiffer
    range_left_deg: float
    range_right_deg: float
    dorsiflexion_left_deg: float
    dorsiflexion_right_deg: float
    asymmetry_pct: float
    text: str


def stiffer_side(strides: pd.DataFrame) -> StiffVerdict:
    """Call out the stiffer ankle: smaller median sagittal range, |ASI| above the threshold."""
    med = {}
    for side in SIDES:
        part = strides[strides["side"] == side]
        med[side] = tuple(float(part[c].median()) if c in part and part[c].notna().any() else np.nan
                          for c in ("sagittal_range_deg", "peak_dorsiflexion_deg"))
    (rl, dl), (rr, dr) = med["left"], med["right"]
    asi = asymmetry_index(rl, rr)
    if not np.isfinite(asi):
        return StiffVerdict(None, rl, rr, dl, dr, asi,
                            "Ankle angles need shin and foot sensors on both sides: no left/right "
                            "comparison of ankle stiffness is possible for this recording.")
    if abs(asi) <= ASYMMETRY_THRESHOLD_PCT:
        return StiffVerdict(None, rl, rr, dl, dr, asi,
                            f"Neither ankle is clearly stiffer: sagittal range left {rl:.1f}°, right "
                            f"{rr:.1f}° (asymmetry {asi:+.0f} %, within ±{ASYMMETRY_THRESHOLD_PCT:.0f} %).")
    side = "left" if rl < rr else "right"
    other = "right" if side == "left" else "left"
    r_s, r_o = (rl, rr) if side == "left" else (rr, rl)
    d_s, d_o = (dl, dr) if side == "left" else (dr, dl)
    restricted = " — below the ~10° healthy reference (restricted)" if d_s < 10 else ""
    text = (f"The {side.upper()} ankle is stiffer: its median sagittal range while walking is "
            f"{r_s:.1f}° against {r_o:.1f}° on the {other} "
            f"({abs(asi):.0f} % asymmetry), and its peak dorsiflexion in stance is {d_s:.1f}° "
            f"against {d_o:.1f}°{restricted}.")
    return StiffVerdict(side, rl, rr, dl, dr, asi, text)
