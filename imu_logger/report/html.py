"""The day report as one self-contained HTML file: inline CSS, inline SVG, a few lines of inline JS.

Sections (ids): verdict, timeline, cycle, distributions, trends, days, chain, k2w, quality, comparison,
references. The most recent session (the last given) is the day shown; earlier sessions appear in
the comparison.
"""

from __future__ import annotations

import dataclasses

import datetime as dt
from html import escape

import numpy as np
import pandas as pd

from analysis import report_data as rd
from analysis.meaningful_change import MIN_HOURS, MIN_WALKING_S, Change, enough_walking
from analysis.summary import representative_strides
from imu_logger import __version__
from imu_logger.k2w.method import best_per_side
from imu_logger.results import Results
from imu_logger.report.chain import chain_section
from imu_logger.report.week import days_section
from imu_logger.report.svg import ACTIVITY_COLOURS, BAND, SIDE_COLOURS, Chart, box_stats, boxplot

SECTIONS = (("verdict", "Summary"), ("timeline", "The day"), ("cycle", "Ankle angles over the gait cycle"),
            ("distributions", "Distributions and left/right comparison"), ("trends", "Trends over the day"),
            ("days", "Day by day"), ("chain", "Up the chain: ankle, pelvis and shock"), ("k2w", "Knee-to-wall test"),
            ("quality", "Data quality"),
            ("comparison", "Comparison with other sessions"), ("references", "Reference values and sources"))

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#234;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;font-size:13px;color:#cde}
nav{padding:6px 24px;background:#e8eef3;font-size:13px}nav a{margin-right:12px;color:#234}
main{padding:8px 24px 40px;max-width:1100px}section{background:#fff;border:1px solid #ddd;border-radius:6px;
padding:12px 18px;margin:14px 0}h2{font-size:18px;margin:4px 0 10px;color:#234}
table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f0f3f6}td:first-child,th:first-child{text-align:left}.callout{font-size:16px;padding:10px 14px;
border-left:5px solid #c62828;background:#fdecea;margin:8px 0}.ok{border-left-color:#2e7d32;background:#edf7ed}
.below,.above{color:#b71c1c;font-weight:600}.within{color:#2e7d32}.near{color:#8a6d00}
.implausible{color:#666;text-decoration:line-through}.muted{color:#666;font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:8px}.warn{color:#b71c1c}svg{background:#fff;max-width:100%;height:auto}
button{font-size:12px;margin:2px}
"""

#: zoom the timeline on a bout: the bout list sets the x range of the SVG charts marked data-zoom
JS = """
function zoomTo(lo,hi){document.querySelectorAll('svg[data-zoom]').forEach(function(s){
 if(lo===null){s.setAttribute('viewBox',s.dataset.full);s.removeAttribute('preserveAspectRatio');return;}
 var w=parseFloat(s.dataset.plotw),l=parseFloat(s.dataset.plotl),x0=parseFloat(s.dataset.x0),x1=parseFloat(s.dataset.x1);
 var a=l+(lo-x0)/(x1-x0)*w,c=l+(hi-x0)/(x1-x0)*w,h=s.viewBox.baseVal.height;
 s.setAttribute('viewBox',(a-l)+' 0 '+Math.max(c-a+l,10)+' '+h);s.setAttribute('preserveAspectRatio','none');});}
var z=document.getElementById('bout-zoom');if(z){z.addEventListener('change',function(){
 var o=z.options[z.selectedIndex];zoomTo(o.value===''?null:parseFloat(o.dataset.lo),o.value===''?null:parseFloat(o.dataset.hi));});}
"""


def _num(v: float, digits: int = 1) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _digits(unit: str) -> int:
    return 2 if unit in ("m", "m/s", "s", "g") else 1


def _wall(res: Results, seconds: float) -> str:
    if res.start_wall_ns is None:
        return f"{seconds / 3600:.2f} h"
    t = dt.datetime.fromtimestamp(res.start_wall_ns / 1e9 + seconds).astimezone()
    return t.strftime("%H:%M")


def _hours(seconds: float) -> str:
    h, m = divmod(int(round(seconds / 60)), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _doubts(res: Results) -> list[str]:
    """The analysis's and the recording's doubts: warnings, calibration messages, warning events."""
    out = [str(m) for key in ("warnings", "calibration_messages") for m in _as_list(res.analysis.get(key))]
    return out + [str(e.get("message", "")) for e in res.events if e.get("kind") == "warning"]


def quality_line(res: Results, day: pd.DataFrame, n_found: int) -> tuple[str, bool]:
    """One line on how far the day's numbers can be trusted, and whether they can at all; ``res``
    holds the trusted strides of walking bouts, ``n_found`` is how many strides were found."""
    implausible = [f"{s} {r['label'].lower()} {_num(r[f'{s}_median'], _digits(r['unit']))} {r['unit']}"
                   for _, r in day.iterrows() for s in rd.SIDES if r[f"{s}_vs_reference"] == "implausible"]
    inv = res.inventory
    lost = (100.0 * inv["missing_samples"].sum() / max(int((inv["samples"] + inv["missing_samples"]).sum()), 1)
            if inv is not None and len(inv) else float("nan"))
    usable = 100.0 * len(res.strides) / n_found if n_found else float("nan")
    doubts = _doubts(res)
    facts = [f"{_num(lost, 1)} % of samples missing" if np.isfinite(lost) else "sensor inventory unknown",
             f"{_num(usable, 0)} % of strides trusted and in walking bouts" if np.isfinite(usable) else "no strides",
             f"{len(doubts)} doubt(s) from calibration and recording (see Data quality)"]
    if implausible:
        return ("Data quality: NOT RELIABLE: values no walking stride can have (" + "; ".join(implausible) +
                ") mean a measurement problem, not a finding; " + ", ".join(facts) + "."), False
    worry = doubts or (np.isfinite(lost) and lost > 5) or (np.isfinite(usable) and usable < 80)
    return f"Data quality: {'check before use' if worry else 'good'}: " + ", ".join(facts) + ".", True


def _verdict(res: Results, day: pd.DataFrame, n_found: int) -> str:
    line, trustworthy = quality_line(res, day, n_found)
    quality = f'<p id="quality-line" class="{"warn" if not trustworthy else "muted"}">{escape(line)}</p>'
    if not trustworthy:  # a number outside physiological limits is never a headline
        return (quality + '<div class="callout" id="stiff-callout">No ankle verdict: the angles of this '
                "session are outside what walking allows. See Data quality.</div>")
    stiff = rd.stiffer_side(res.strides)
    cls = "callout" if stiff.side else "callout ok"
    act = rd.activity_time(res.bouts)
    n = {s: int((res.strides["side"] == s).sum()) for s in rd.SIDES}
    flags = []
    for _, r in day.iterrows():
        for s in rd.SIDES:
            v = r[f"{s}_vs_reference"]
            ref = rd.REFERENCES.get(r["metric"])
            if v in ("below", "above") and ref is not None:
                flags.append(f"{s} {r['label'].lower()} {_num(r[f'{s}_median'], _digits(r['unit']))} "
                             f"{r['unit']} (healthy: {ref.text})")
    parts = [quality, f'<div class="{cls}" id="stiff-callout">{escape(stiff.text)}</div>',
             f"<p>Walking {_hours(act['walking'])}; still with the shins upright (standing, or "
             f"sitting with the feet on the floor: shin and foot sensors cannot tell these apart) "
             f"{_hours(act['standing'])}; lying or sitting with the legs out "
             f"{_hours(act['sitting_lying'])}. {n['left']} left and {n['right']} right strides "
             f"analysed.</p>"]
    if flags:
        parts.append("<p>Outside the healthy reference: " + escape("; ".join(flags)) + ".</p>")
    return "".join(parts)


def _timeline(res: Results) -> str:
    bouts = res.bouts
    end = float(max(bouts["end_s"].max() if len(bouts) else 0, res.strides["end_s"].max()
                    if len(res.strides) else 0, 1.0))
    span = end
    ticks = [(v, _wall(res, v)) for v in np.linspace(0, span, 7)]
    act = Chart((0, span), (0, 1), height=110, title="Activity", margin=(30, 16, 30, 56))
    for b in bouts.itertuples():
        colour = ACTIVITY_COLOURS.get(str(b.activity), "#ccc")
        act.rect(b.start_s, b.end_s, 0, 1, colour, 1.0,
                 f"{b.activity} {_wall(res, b.start_s)}-{_wall(res, b.end_s)}")
    legend = [(ACTIVITY_COLOURS[k], k.replace("_", "/")) for k in ("walking", "turn", "standing", "sitting_lying")]
    charts = [_zoomable(act, act.svg(ticks, legend))]
    for column, label in (("peak_dorsiflexion_deg", "Peak dorsiflexion per bout (°)"),
                          ("sagittal_range_deg", "Sagittal range per bout (°)"),
                          ("speed_mps", "Speed per bout (m/s)")):
        bm = rd.bout_medians(res.strides, bouts, column)
        if bm.empty:
            continue
        lo, hi = float(bm["median"].min()), float(bm["median"].max())
        pad = max(0.1 * (hi - lo), 0.5 if column.endswith("deg") else 0.05)
        c = Chart((0, span), (lo - pad, hi + pad), height=170, title=label, margin=(30, 16, 30, 56))
        ref = rd.REFERENCES.get(column)
        if ref:
            c.rect(0, span, ref.low, ref.high, BAND, 0.6, f"healthy reference {ref.text}")
        for side in rd.SIDES:
            part = bm[bm["side"] == side]
            mid = 0.5 * (part["start_s"] + part["end_s"])
            c.points(mid, part["median"], SIDE_COLOURS[side], 3.5,
                     [f"{side} bout {b}: {m:.2f} (n={n})" for b, m, n in
                      zip(part["bout_id"], part["median"], part["n"])])
        charts.append(_zoomable(c, c.svg(ticks, [(SIDE_COLOURS[s], s) for s in rd.SIDES])))
    walking = bouts[bouts["activity"].astype(str) == "walking"]
    options = "".join(f'<option value="{int(b.bout_id)}" data-lo="{b.start_s:.2f}" data-hi="{b.end_s:.2f}">'
                      f'bout {int(b.bout_id)}: {_wall(res, b.start_s)}, {(b.end_s - b.start_s) / 60:.1f} min</option>'
                      for b in walking.sort_values("start_s").itertuples())
    start_mono = int(res.session.get("start_mono_ns", 0) or 0)
    marks = [f"{_wall(res, (e['mono_ns'] - start_mono) * 1e-9)} {e.get('message', 'marker')}"
             for e in res.events if e.get("kind") == "marker"]
    noted = (f"<p>Markers noted while recording: {escape('; '.join(marks))}.</p>" if marks else "")
    return (noted + "<p>Activity through the recording and the median of each walking bout, per side. "
            "Hover a dot for its bout; choose a bout to zoom the charts on it.</p>"
            f'<p><label>Zoom on <select id="bout-zoom"><option value="">the whole day</option>{options}</select>'
            f"</label> ({len(walking)} walking bouts)</p>" + "".join(charts))


def _zoomable(chart: Chart, svg: str) -> str:
    t, r, b, l = chart.margin
    full = f"0 0 {chart.width} {chart.height}"
    attrs = (f'data-zoom="1" data-full="{full}" data-plotl="{l}" data-plotw="{chart.width - l - r}" '
             f'data-x0="{chart.xlim[0]}" data-x1="{chart.xlim[1]}" ')
    return svg.replace("<svg ", "<svg " + attrs, 1)


def _cycle(res: Results) -> str:
    out = []
    x, lo, hi = rd.healthy_sagittal_band()
    specs = (("dorsiflexion_deg", "Dorsiflexion (+) / plantarflexion (−), °", True),
             ("eversion_deg", "Eversion (+) / inversion (−), °", False))
    for name, ylabel, band in specs:
        curves = {s: rd.gait_cycle(res.angles, res.strides, f"{s}_{name}", s) for s in rd.SIDES}
        if not any(n for _, _, n in curves.values()):
            out.append(f"<p>No {name.replace('_deg', '')} angles in this session (ankle angles need "
                       "shin and foot sensors on the same side).</p>")
            continue
        vals = np.concatenate([m + k * sd for m, sd, n in curves.values() if n for k in (-1, 1)] +
                              ([lo, hi] if band else []))
        c = Chart((0, 100), (float(np.nanmin(vals)) - 2, float(np.nanmax(vals)) + 2), width=520,
                  height=280, xlabel="gait cycle, % (initial contact to initial contact)", ylabel=ylabel)
        if band:
            c.band(x, lo, hi, BAND, 0.8, "approximate healthy band")
        c.hline(0.0, "#999", "2 2")
        for s, (mean, sd, n) in curves.items():
            if n:
                c.band(np.linspace(0, 100, mean.size), mean - sd, mean + sd, SIDE_COLOURS[s], 0.2, f"{s} ±1 SD")
                c.line(np.linspace(0, 100, mean.size), mean, SIDE_COLOURS[s], 2.5, label=f"{s} mean, {n} strides")
        legend = [(SIDE_COLOURS[s], f"{s} mean ± SD (n={curves[s][2]})") for s in rd.SIDES if curves[s][2]]
        out.append(c.svg(legend=legend + ([(BAND, "healthy")] if band else [])))
    total = {side: int((res.strides["side"] == side).sum()) for side in rd.SIDES}
    n_text = ("<p class='muted'>n is the strides drawn: of the strides in walking bouts ("
              + ", ".join(f"{side} {total[side]}" for side in rd.SIDES) + f"), at most {rd.CYCLE_MAX_STRIDES} per side evenly spread "
              "over the day, skipping strides with a gap in the angles or without both sensors of the side.</p>")
    return (n_text + "<p>Mean ± 1 SD of each side's strides, time-normalised from initial contact to the next. "
            "The green band is an approximate healthy pattern drawn from the textbook curve "
            "(Perry & Burnfield 2010; Winter 1991) ± 5°: a guide, not a normative data set.</p>"
            f'<div class="grid">{"".join(out)}</div>')


def _distributions(res: Results, day: pd.DataFrame) -> str:
    s = rd.with_cadence(res.strides)
    charts = []
    for m in rd.METRICS:
        if m.column not in rd.metric_columns(s):
            continue
        stats = {side: box_stats(s.loc[s["side"] == side, m.column]) for side in rd.SIDES}
        vals = [v for st in stats.values() if st for v in (st[0], st[4])]
        ref = rd.REFERENCES.get(m.column)
        vals += [ref.low, ref.high] if ref else []
        lo, hi = min(vals), max(vals)
        pad = 0.1 * (hi - lo) or 1.0
        c = Chart((0, 3), (lo - pad, hi + pad), width=340, height=230, title=f"{m.label} ({m.unit})",
                  margin=(36, 10, 30, 48))
        if ref:
            c.rect(0, 3, ref.low, ref.high, BAND, 0.7, f"healthy reference: {ref.text}")
        for i, side in enumerate(rd.SIDES):
            boxplot(c, i + 1, 0.3, stats[side], SIDE_COLOURS[side],
                    f"{side}: median {_num(stats[side][2], 2) if stats[side] else '–'}")
        charts.append(c.svg([(1, "left"), (2, "right")]))
    rows = []
    for _, r in day.iterrows():
        d = _digits(r["unit"])
        cells = [escape(f"{r['label']} ({r['unit']})")]
        for side in rd.SIDES:
            v = r[f"{side}_vs_reference"]
            cells.append(f'<span class="{v}">{_num(r[f"{side}_median"], d)}</span> '
                         f'<span class="muted">[{_num(r[f"{side}_q1"], d)}–{_num(r[f"{side}_q3"], d)}]</span>')
        asi = r["asymmetry_pct"]
        flag = ' class="warn"' if np.isfinite(asi) and abs(asi) > rd.ASYMMETRY_THRESHOLD_PCT else ""
        ref = rd.REFERENCES.get(r["metric"])
        cells += [f"<span{flag}>{_num(asi, 0)} %</span>", escape(ref.text) if ref else "–"]
        rows.append(cells)
    table = _table(["metric", "left median [IQR]", "right median [IQR]", "asymmetry L vs R",
                    "healthy reference"], rows)
    return (f"{table}<p class='muted'>Asymmetry index = 100·(L−R)/mean(|L|,|R|) (Robinson et al. 1987); "
            f"beyond ±{rd.ASYMMETRY_THRESHOLD_PCT:.0f} % is marked. Red values lie outside the reference. "
            "Boxes: quartiles and median; whiskers: 5th–95th percentile; green: healthy range.</p>"
            f'<div class="grid">{"".join(charts)}</div>')


def _day_trend_words(res: Results, column: str, label: str, side: str) -> str:
    """What may be said of ``column``'s change over the day on ``side`` (analysis.meaningful_change)."""
    s = res.strides[res.strides["side"] == side].dropna(subset=[column])
    walking = res.bouts[res.bouts["activity"].astype(str) == "walking"]
    walking_s = float((walking["end_s"] - walking["start_s"]).sum()) if len(walking) else 0.0
    hours = int(np.unique(np.floor(s["start_s"].to_numpy(float) / 3600.0)).size)
    if not enough_walking(walking_s, hours):
        return (f"{side.capitalize()} {label}: too little walking to judge a trend over the day "
                f"({walking_s / 60:.0f} min of walking in {hours} clock hour(s); needs {MIN_WALKING_S / 60:.0f} min "
                f"over {MIN_HOURS} hours).")
    span_h = float(np.ptp(s["start_s"])) / 3600.0
    adjusted = column != "speed_mps" and s["speed_mps"].notna().sum() > 10
    if adjusted:  # a metric that follows walking speed: its trend once speed is accounted for
        ok = s["speed_mps"].notna()
        per_mps, _ = np.polyfit(s.loc[ok, "speed_mps"], s.loc[ok, column], 1)
        s = s[ok].assign(**{column: s.loc[ok, column] - per_mps * s.loc[ok, "speed_mps"]})
    tr = rd.trend(s, column, side)
    change = Change(column, tr.slope_per_hour * span_h, tr.low * span_h, tr.high * span_h, True)
    unit = rd.METRIC_BY_COLUMN[column].unit
    how = (f"{tr.slope_per_hour:+.2f} {unit}/h, 95 % CI {tr.low:+.2f} to {tr.high:+.2f}, Theil-Sen, {tr.n} strides"
           + (", adjusted for walking speed" if adjusted else ""))
    if change.meaningful:
        return (f"{side.capitalize()} {label} {'rises' if change.change > 0 else 'falls'} by "
                f"{abs(change.change):.1f} {unit} over {span_h:.1f} h ({how}).")
    return (f"{side.capitalize()} {label}: no change beyond measurement error over the day ({how}; meaningful "
            f"from {change.threshold:g} {unit}).")


def _trends(res: Results) -> str:
    hourly = rd.summary_table(res.strides)
    if hourly.empty:
        return "<p>No strides: no trend to show.</p>"
    out, words = [], []
    for column, label in (("peak_dorsiflexion_deg", "Peak dorsiflexion (°)"),
                          ("sagittal_range_deg", "Sagittal range (°)"), ("speed_mps", "Speed (m/s)")):
        med, iqr = f"median_{column}", f"iqr_{column}"
        if med not in hourly:
            continue
        h = hourly.dropna(subset=[med])
        if h.empty:
            continue
        lo = float((h[med] - h[iqr]).min())
        hi = float((h[med] + h[iqr]).max())
        pad = 0.1 * (hi - lo) or 0.5
        n_hours = int(hourly["hour"].max()) + 1
        c = Chart((-0.5, n_hours - 0.5), (lo - pad, hi + pad), width=500, height=230, title=label,
                  xlabel="hour of the recording")
        for k, side in enumerate(rd.SIDES):
            p = h[h["side"] == side]
            x = p["hour"] + (k - 0.5) * 0.15
            for xi, m, q in zip(x, p[med], p[iqr]):
                c.line((xi, xi), (m - q / 2, m + q / 2), SIDE_COLOURS[side], 1.5)
            c.line(x, p[med], SIDE_COLOURS[side], 1.5)
            c.points(x, p[med], SIDE_COLOURS[side], 3.5,
                     [f"{side} hour {int(hh)}: {m:.2f} (IQR {q:.2f}, n={n})"
                      for hh, m, q, n in zip(p["hour"], p[med], p[iqr], p["n_strides"])])
            if column == "peak_dorsiflexion_deg":
                words.append(_day_trend_words(res, column, "peak dorsiflexion", side))
        ticks = [(v, str(int(v))) for v in range(n_hours)]
        out.append(c.svg(ticks, [(SIDE_COLOURS[s], s) for s in rd.SIDES]))
    return ("<ul>" + "".join(f"<li>{escape(w)}</li>" for w in words) + "</ul>"
            "<p class='muted'>Hourly median per side; bars span the IQR (centred on the median). A change over "
            f"the day is stated only with at least {MIN_WALKING_S / 60:.0f} min of walking over {MIN_HOURS} hours and "
            "past the smallest meaningful change (McGinley et al. 2009 for angles; Perera et al. 2006 for speed).</p>"
            f'<div class="grid">{"".join(out)}</div>')


def _k2w(res: Results) -> str:
    trials = res.k2w
    if trials is None or trials.empty:
        return ("<p>No knee-to-wall test in this session. Run <code>imu-logger k2w --out K2W.mcap</code> "
                "and give the recording to the report with <code>--k2w K2W.mcap</code>.</p>")
    best = best_per_side(trials)
    rows = [[escape(str(r.side)), str(r.trial),
             _num(r.inclination_deg) + "°" if np.isfinite(r.inclination_deg) else "not detected",
             _num(float(r.hold_s or 0))] for r in trials.itertuples()]
    ref = rd.K2W_REFERENCE
    lines = [f"{s}: best {_num(v)}° ({rd.reference_verdict_k2w(v)} the {ref.low:.0f}–{ref.high:.0f}° reference)"
             for s, v in best.items()]
    if len(best) == 2:
        d = best["left"] - best["right"]
        lines.append(f"left − right: {d:+.1f}° (about {d / 3.6:+.1f} cm toe–wall distance at 3.6°/cm); "
                     f"a side-to-side difference beyond ~5.4° (1.5 cm) exceeds the test's minimal detectable "
                     f"change (Chisholm et al. 2012)")
    c = Chart((0, 3), (0, max(50.0, max(best.values(), default=0) + 5)), width=300, height=220,
              title="Best tibial inclination (°)", margin=(30, 10, 30, 48))
    c.rect(0, 3, ref.low, ref.high, BAND, 0.8, f"reference {ref.text}")
    for i, side in enumerate(rd.SIDES):
        if side in best:
            c.rect(i + 0.7, i + 1.3, 0, best[side], SIDE_COLOURS[side], 0.9, f"{side} {best[side]:.1f}°")
    return ("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in lines) + "</ul>"
            + c.svg([(1, "left"), (2, "right")]) +
            _table(["side", "trial", "tibial inclination", "held (s)"], rows) +
            "<p class='muted'>Tibial inclination at the held end position of the weight-bearing lunge, "
            "from the shin accelerometer, relative to the shin's upright pose at the start of each "
            "trial (Bennell et al. 1998).</p>")


def _quality(res: Results) -> str:
    parts = []
    inv = res.inventory
    if inv is not None and not inv.empty:
        rows = []
        for r in inv.itertuples():
            lost = 100.0 * r.missing_samples / max(r.samples + r.missing_samples, 1)
            rows.append([escape(r.placement), escape(str(r.model)), _hours(r.duration_s),
                         f"{r.samples}", f"{r.missing_samples} ({lost:.2f} %) in {r.gaps} gaps",
                         f"{r.reconnects}", f"{r.battery_percent}%" if r.battery_percent is not None else "n/a"])
        parts.append(_table(["sensor", "model", "recorded", "samples", "missing", "reconnects",
                             "battery at end"], rows))
        words = []
        for r in inv.itertuples():
            if r.reconnects:
                words.append(f"The {r.placement.replace('_', ' ')} sensor lost its connection "
                             f"{r.reconnects} time(s) and reconnected.")
            if r.missing_samples:
                words.append(f"The {r.placement.replace('_', ' ')} sensor missed {r.missing_samples} "
                             f"samples in {r.gaps} gap(s); gaps are left empty, never filled in.")
            if r.battery_percent is not None and r.battery_percent < 20:
                words.append(f"The {r.placement.replace('_', ' ')} battery ended at {r.battery_percent} %.")
        if not words:
            words.append("All sensors recorded without gaps or reconnections.")
        parts.append("<ul>" + "".join(f"<li>{escape(w)}</li>" for w in words) + "</ul>")
    else:
        parts.append("<p>The recording behind these results is not available: sensor inventory "
                     "(gaps, reconnects, battery) cannot be shown.</p>")
    messages = _doubts(res)
    if messages:
        parts.append("<p>Warnings from recording and analysis (for example a swapped or slipping "
                      "sensor):</p><ul>" + "".join(f'<li class="warn">{escape(m)}</li>' for m in messages) + "</ul>")
    else:
        parts.append("<p>No calibration or recording warnings (no swapped or slipping sensor detected).</p>")
    return "".join(parts)


def _as_list(v) -> list:
    if v is None:
        return []
    if isinstance(v, dict):
        return [f"{k}: {x}" for k, x in v.items()]
    return list(v) if isinstance(v, (list, tuple)) else [v]


def visit_label(res: Results) -> str:
    """How the report names a session: its local start date and time, else its folder or file name."""
    if res.start_wall_ns is None:
        return res.label
    return dt.datetime.fromtimestamp(res.start_wall_ns / 1e9).astimezone().strftime("%Y-%m-%d %H:%M")


def _visits_chart(sessions: list[Results], column: str) -> str:
    m = rd.METRIC_BY_COLUMN[column]
    stats = {(i, side): box_stats(r.strides.loc[r.strides["side"] == side, column])
             for i, r in enumerate(sessions) for side in rd.SIDES}
    vals = [v for st in stats.values() if st for v in (st[1], st[3])]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    pad = 0.1 * (hi - lo) or 0.5
    c = Chart((-0.6, len(sessions) - 0.4), (lo - pad, hi + pad), width=500, height=230,
              title=f"{m.label} ({m.unit}) by visit")
    for k, side in enumerate(rd.SIDES):
        xs, meds = [], []
        for i in range(len(sessions)):
            st = stats[(i, side)]
            if st:
                x = i + (k - 0.5) * 0.15
                c.line((x, x), (st[1], st[3]), SIDE_COLOURS[side], 1.5)
                xs.append(x)
                meds.append(st[2])
        c.line(xs, meds, SIDE_COLOURS[side], 1.5)
        c.points(xs, meds, SIDE_COLOURS[side], 3.5, [f"{side}: median {v:.{_digits(m.unit)}f}" for v in meds])
    ticks = [(float(i), visit_label(r)[:10]) for i, r in enumerate(sessions)]
    return c.svg(ticks, [(SIDE_COLOURS[s], f"{s} median, bar = IQR") for s in rd.SIDES])


def _comparison(sessions: list[Results]) -> str:
    if len(sessions) < 2:
        return ("<p>One session given. To compare visits, run <code>imu-logger report EARLIER LATER "
                "--out report.html</code> (oldest first).</p>")
    parts = [f"<p>Each visit against the one before it. A change is <b>meaningful</b> when it is at least the "
             f"smallest meaningful change (2° for ankle angles, McGinley et al. 2009; 0.10 m/s for speed, Perera et "
             f"al. 2006; 0.10 m for stride length) and the 95 % block-bootstrap interval of the difference of "
             f"medians excludes zero (blocks of {rd.BLOCK_STRIDES} consecutive strides, "
             f"{rd.BOOTSTRAP_RESAMPLES} resamples). Metrics without a published threshold are only compared "
             f"with the day's own variation.</p>"]
    charts = [_visits_chart(sessions, c) for c in ("peak_dorsiflexion_deg", "stride_length_m", "speed_mps")
              if all(c in r.strides for r in sessions)]
    parts.append(f'<div class="grid">{"".join(charts)}</div>')
    for a, b in zip(sessions[:-1], sessions[1:]):
        la, lb = visit_label(a), visit_label(b)
        cmp = rd.compare_sessions(a.strides, b.strides)
        rows = []
        for r in cmp.itertuples():
            m = rd.METRIC_BY_COLUMN[r.metric]
            d = _digits(m.unit)
            change = Change(r.metric, r.difference, r.ci_low, r.ci_high, r.exceeds is not None)
            if r.exceeds is None:
                verdict = "not enough strides"
            elif np.isfinite(change.threshold):
                verdict = ("<b>meaningful change</b>" if change.meaningful else
                           f"within measurement error (below {change.threshold:g} {m.unit})" if r.exceeds else
                           "within the day's variation")
            else:
                verdict = "beyond the day's variation (no published threshold)" if r.exceeds else \
                    "within the day's variation"
            rows.append([escape(f"{m.label} ({m.unit})"), r.side, _num(r.median_a, d), _num(r.median_b, d),
                         f"{r.difference:+.{d}f}", f"{_num(r.ci_low, d)} to {_num(r.ci_high, d)}", verdict])
        parts.append(f"<h3>{escape(la)} → {escape(lb)}</h3>" +
                     _table(["metric", "side", escape(la), escape(lb), "change", "95 % interval", "verdict"], rows))
    return "".join(parts)


def _references() -> str:
    rows = [[escape(rd.METRIC_BY_COLUMN[k].label if k in rd.METRIC_BY_COLUMN else k), escape(r.text),
             escape(", ".join(r.sources))] for k, r in rd.REFERENCES.items()]
    rows.append(["Knee-to-wall", escape(rd.K2W_REFERENCE.text), escape(", ".join(rd.K2W_REFERENCE.sources))])
    refs = "".join(f"<li id='ref-{k}'><b>{k}</b>: {escape(v)}</li>" for k, v in rd.SOURCES.items())
    return (_table(["metric", "healthy adults (walking)", "sources"], rows) + f"<ol>{refs}</ol>" +
            "<p class='muted'>Angles: dorsiflexion and eversion positive, 0° = quiet standing; joint "
            "coordinate system after Wu et al. 2002 (ISB).</p>")


def build_report(sessions: list[Results]) -> str:
    """The report HTML of the last session, compared with the earlier ones."""
    n_found = len(sessions[-1].strides)
    # clinical figures use the same strides as summary.csv: walking bouts, nothing implausible
    sessions = [dataclasses.replace(
        r, gait=dataclasses.replace(r.gait, strides=representative_strides(r.strides, r.bouts))) for r in sessions]
    res = sessions[-1]
    day = rd.day_metrics(res.strides)
    subject = res.session.get("subject_id") or "–"
    start = (dt.datetime.fromtimestamp(res.start_wall_ns / 1e9).astimezone().strftime("%Y-%m-%d %H:%M %Z")
             if res.start_wall_ns is not None else "start time unknown")
    body = {"verdict": _verdict(res, day, n_found), "timeline": _timeline(res), "cycle": _cycle(res),
            "distributions": _distributions(res, day), "trends": _trends(res), "days": days_section(sessions),
            "chain": chain_section(res),
            "k2w": _k2w(res),
            "quality": _quality(res), "comparison": _comparison(sessions), "references": _references()}
    nav = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in SECTIONS)
    sections = "".join(f'<section id="{k}"><h2>{escape(t)}</h2>{body[k]}</section>' for k, t in SECTIONS)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>Ankle motion report – {escape(res.label)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>Ankle motion report</h1><p>Session {escape(res.label)} · subject {escape(subject)}"
            f" · {escape(start)} · imu-logger {escape(__version__)}</p></header><nav>{nav}</nav>"
            f"<main>{sections}</main><script>{JS}</script></body></html>")
