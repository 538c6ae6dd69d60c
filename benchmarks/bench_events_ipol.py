"""events.csv on ipol_feet, scored as its consumer counts it: every row, flagged or not, TUNE and REPORT apart.

Run: .venv/bin/python benchmarks/bench_events_ipol.py [DATASET_DIR]

bench_peers_ipol.py scores the swing detector's swings; a user gets events.csv instead, which is built
from the strides (analysis.footsteps): a swing that ends no stride and starts none is absent, a run's
first row has no toe-off, and a row whose stride the checks flag is still a row. This prints, per
subject and part (analysis.ipol_validation.trial_events, score_event_rows): P = matched rows / rows,
R = matched reference footsteps / reference footsteps, |toe-off error| (rows with a toe-off) and
|contact error| median/p95 (ms), the signed contact median, and the contact tail: rows more than
40 ms from that part's signed median (initial contact is the first touch, IPOL's heel strike the
impact: the median is a definitional offset, the tail is not). Then, per part, where the misses,
false rows and timing errors > 40 ms are (first step, last step, U-turn, straight) and how the false
rows are flagged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.ipol_validation import score_event_rows, trial_events, trial_names  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "ipol_feet"
PARTS = {"TUNE 1-5": range(1, 6), "REPORT 6-10": range(6, 11)}
TAIL_MS = 40.0  # issue 11's timing goal (p95)


def scores(data: Path) -> pd.DataFrame:
    """score_event_rows of every trial, with ``trial``."""
    parts = []
    for name in trial_names(data):
        meta = json.loads((data / f"{name}.json").read_text())
        parts.append(score_event_rows(meta, trial_events(data, name)).assign(trial=name))
    return pd.concat(parts, ignore_index=True)


def figures(s: pd.DataFrame) -> dict:
    """P, R and timing of one group of scored rows (see module docstring)."""
    ref = s[s["kind"] == "ref"]
    n_false = int((s["kind"] == "false").sum())
    n_rows = int(ref["matched"].sum()) + n_false
    to = ref["to_err_ms"].dropna().abs()
    ic = ref["ic_err_ms"].dropna()
    return {"footsteps": len(ref), "rows": n_rows, "P": ref["matched"].sum() / max(n_rows, 1),
            "R": ref["matched"].mean(), "TO_med_ms": to.median(), "TO_p95_ms": np.percentile(to, 95),
            "TO_unknown": int((ref["matched"] & ref["to_err_ms"].isna()).sum()),
            "IC_med_ms": ic.abs().median(), "IC_p95_ms": np.percentile(ic.abs(), 95),
            "IC_signed_med_ms": ic.median(), "IC_tail": int(((ic - ic.median()).abs() > TAIL_MS).sum())}


def places(s: pd.DataFrame) -> pd.DataFrame:
    """Per place: reference footsteps, misses, false rows, toe-off > TAIL_MS, contact tail."""
    ref = s[s["kind"] == "ref"]
    ic = ref["ic_err_ms"] - ref["ic_err_ms"].median()
    return pd.DataFrame({
        "footsteps": ref.groupby("place").size(),
        "missed": (~ref["matched"]).groupby(ref["place"]).sum(),
        "false_rows": s[s["kind"] == "false"].groupby("place").size(),
        "toe_off_gt40": (ref["to_err_ms"].abs() > TAIL_MS).groupby(ref["place"]).sum(),
        "contact_tail": (ic.abs() > TAIL_MS).groupby(ref["place"]).sum(),
    }).fillna(0).astype(int)


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    s = scores(data)
    pd.set_option("display.width", 220)
    rows = [{"group": str(g), **figures(x)} for g, x in s.groupby("subject")]
    rows += [{"group": label, **figures(s[s["subject"].isin(part)])} for label, part in PARTS.items()]
    print("events.csv rows (all, flagged or not) against the reference footsteps")
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    for label, part in PARTS.items():
        x = s[s["subject"].isin(part)]
        print(f"\n{label}: where (contact tail: > {TAIL_MS:.0f} ms from the part's signed median)")
        print(places(x).to_string())
        false = x[x["kind"] == "false"]["quality"]
        flags = ("implausible", "atypical", "alternation", "rhythm", "no_bout", "turn")
        print(f"false rows {len(false)}: ok {int((false == 'ok').sum())}; "
              + ", ".join(f"{f} {int(false.str.contains(f).sum())}" for f in flags))
        matched = x[(x["kind"] == "ref") & x["matched"]]["quality"]
        print(f"matched rows {len(matched)}: ok {int((matched == 'ok').sum())}; "
              + ", ".join(f"{f} {int(matched.str.contains(f).sum())}" for f in flags))


if __name__ == "__main__":
    main()
