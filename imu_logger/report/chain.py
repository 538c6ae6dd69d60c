"""The report's "Up the chain" section: the ankle against the lower back, per walking bout."""

from __future__ import annotations

from html import escape

import numpy as np

from analysis.lower_back.chain import NOT_A_DIAGNOSIS, RELATIONS, AnkleChain
from analysis.summary import METRIC_BY_COLUMN, SIDES
from imu_logger.report.svg import SIDE_COLOURS, Chart
from imu_logger.results import Results


def chain_section(res: Results) -> str:
    """Per bout and side, peak dorsiflexion against pelvic tilt range and shock attenuation, the
    within-walker slopes with their intervals, and the callouts of analysis.lower_back.AnkleChain."""
    s = res.strides
    if not any(c in s and s[c].notna().any() for c, *_ in RELATIONS):
        return ("<p>No lower-back sensor in this session. Wear one over L5/S1 (placement <code>lower_back</code>) "
                "to see whether a stiffer ankle comes with more pelvic motion or less shock absorption.</p>")
    chain = AnkleChain().relate(s)
    charts = []
    for col, unit, _, _ in RELATIONS:
        pb = chain.per_bout_.dropna(subset=[col])
        if pb.empty:
            continue
        x, y = pb["peak_dorsiflexion_deg"].to_numpy(float), pb[col].to_numpy(float)
        pad_x, pad_y = 0.1 * np.ptp(x) or 1.0, 0.1 * np.ptp(y) or 1.0
        c = Chart((x.min() - pad_x, x.max() + pad_x), (y.min() - pad_y, y.max() + pad_y), width=500, height=260,
                  title=f"{METRIC_BY_COLUMN[col].label} per bout", xlabel="peak dorsiflexion per bout (°)")
        for side in SIDES:
            part = pb[pb["side"] == side]
            c.points(part["peak_dorsiflexion_deg"], part[col], SIDE_COLOURS[side], 3.5,
                     [f"{side} bout {int(b)}: {d:.1f}°, {v:.1f} {unit} (n={n})" for b, d, v, n in
                      zip(part["bout_id"], part["peak_dorsiflexion_deg"], part[col], part["n_strides"])])
        charts.append(c.svg(legend=[(SIDE_COLOURS[side], side) for side in SIDES]))
    rows = "".join(f"<tr><td>{escape(r.side)}</td><td>{escape(METRIC_BY_COLUMN[r.y].label)}</td>"
                   f"<td>{r.slope_per_deg:+.2f} [{r.ci_low:+.2f} to {r.ci_high:+.2f}]</td><td>{r.n_bouts}</td></tr>"
                   for r in chain.relations_.itertuples() if np.isfinite(r.slope_per_deg))
    table = ("<table><tr><th>side</th><th>against peak dorsiflexion</th><th>slope per degree [95 % CI]</th>"
             f"<th>bouts</th></tr>{rows}</table>" if rows else "<p>Too few walking bouts for a relation.</p>")
    callouts = "".join(f'<div class="callout">{escape(c)}</div>' for c in chain.callouts_)
    return (callouts + "<p>Each dot is one walking bout's median. Shock attenuation is 100 · (1 − peak sacral "
            "acceleration / peak tibial acceleration) after each contact (Mizrahi et al. 2000). "
            f"{escape(NOT_A_DIAGNOSIS)}</p>" + table + f'<div class="grid">{"".join(charts)}</div>')


__all__ = ["chain_section"]
