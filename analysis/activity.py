"""Activity over the whole recording: walking, standing, sitting_lying, other (per window, then merged).

Rules per ``window_s`` window (documented parameters):
* walking: the window overlaps a walking or turn bout (analysis.bouts), so bout edges are not 'other';
* other: outside bouts, any sensor's mean gyro norm exceeds ``move_radps``;
* standing / sitting_lying: still windows are split by posture. A shin sensor's long axis is taken as
  the mean gravity direction over its walking strides (the tibia is near vertical on average when
  walking, whatever the mounting); the shin tilted more than ``sit_deg`` from it is sitting or lying.
  Without a shin the same is done with the foot's sole normal (still foot tilted from its stance
  posture); a foot flat on the floor while seated then reads as standing, a stated limitation.
Stairs are not classified (not shown to work). Sitting with the feet flat on the floor keeps the
shin within ~15° of vertical (the simulator's sitting poses do): posture alone cannot tell it from
standing, so such sitting reads as standing; lying and sitting with the legs out read correctly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.columns import ACC, GYR, TIME
from analysis.vectors import row_norms

#: window length (s): engineering choice, about one stride, so that a window is either in a bout or not
WINDOW_S = 1.0
#: mean gyroscope norm (rad/s) of a moving window: engineering choice, below the 0.85 rad/s that 95 % of
#: walking windows exceed on the simulator (analysis.calibration.walking) and far above rest (~0.01 rad/s)
MOVE_RADPS = 0.5
#: shin (or sole) tilt from its walking posture (deg) that reads as sitting or lying: engineering choice,
#: halfway between upright (0°) and horizontal (90°); seated with the feet on the floor stays within ~15°
SIT_DEG = 45.0


def _window_means(df: pd.DataFrame, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window: mean acc (k, 3), mean gyro norm (k,), sample count (k,)."""
    t = df[TIME].to_numpy(float)
    k = len(edges) - 1
    if len(t) > 1 and np.all(t[1:] >= t[:-1]):
        # sorted samples: window of sample i = edges at or before t[i], minus one; counted from where each
        # edge falls in t (k searches instead of one per sample, the same integers)
        before = np.cumsum(np.bincount(np.searchsorted(t, edges, side="left"), minlength=len(t) + 1)[:len(t)])
        w = np.clip(before - 1, 0, k - 1)
    else:
        w = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, k - 1)
    cnt = np.bincount(w, minlength=k).astype(float)
    acc = df[list(ACC)].to_numpy(float)
    acc_mean = np.column_stack([np.bincount(w, acc[:, i], minlength=k) for i in range(3)])
    gn = np.bincount(w, row_norms(df[list(GYR)].to_numpy(float)), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return acc_mean / cnt[:, None], gn / cnt, cnt


def classify_activity(signals: dict[str, pd.DataFrame], bouts: pd.DataFrame, *,
                      window_s: float = WINDOW_S, move_radps: float = MOVE_RADPS,
                      sit_deg: float = SIT_DEG) -> pd.DataFrame:
    """Windows (``start_s``, ``end_s``, ``activity``) covering the recording; windows without data are dropped."""
    starts = [df[TIME].iloc[0] for df in signals.values() if len(df)]
    ends = [df[TIME].iloc[-1] for df in signals.values() if len(df)]
    if not starts:
        return pd.DataFrame({"start_s": [], "end_s": [], "activity": []})
    t0, t1 = min(starts), max(ends)
    edges = t0 + window_s * np.arange(int(np.ceil((t1 - t0) / window_s)) + 1)
    if len(edges) < 2:
        edges = np.array([t0, t0 + window_s])
    k = len(edges) - 1
    walking = np.zeros(k, bool)
    for a, b in zip(bouts.get("start_s", []), bouts.get("end_s", [])):
        walking |= (edges[:-1] < b) & (edges[1:] > a)
    moving = np.zeros(k, bool)
    have = np.zeros(k, bool)
    tilted = np.zeros(k, bool)
    posture_from = [p for p in ("left_shin", "right_shin") if p in signals] or \
                   [p for p in ("left_foot", "right_foot") if p in signals]
    for name, df in signals.items():
        acc_m, gn, cnt = _window_means(df, edges)
        ok = cnt > 0
        have |= ok
        moving |= ok & (gn > move_radps)
        if name in posture_from:
            ref_sel = ok & walking
            ref = np.nanmean(acc_m[ref_sel], axis=0) if ref_sel.any() else np.nanmean(acc_m[ok], axis=0)
            ref = ref / np.linalg.norm(ref)
            u = acc_m / np.linalg.norm(acc_m, axis=1)[:, None]
            ang = np.degrees(np.arccos(np.clip(u @ ref, -1, 1)))
            tilted |= ok & (ang > sit_deg)
    act = np.where(walking, "walking", np.where(moving, "other",
                   np.where(tilted, "sitting_lying", "standing")))
    keep = have | walking
    return pd.DataFrame({"start_s": edges[:-1][keep], "end_s": edges[1:][keep], "activity": act[keep]})


def activity_periods(windows: pd.DataFrame) -> pd.DataFrame:
    """Merge consecutive windows of the same activity into periods (``start_s``, ``end_s``, ``activity``)."""
    if len(windows) == 0:
        return windows.copy()
    a = windows["activity"].to_numpy()
    st = windows["start_s"].to_numpy()
    en = windows["end_s"].to_numpy()
    new = np.ones(len(a), bool)
    new[1:] = (a[1:] != a[:-1]) | (st[1:] > en[:-1] + 1e-9)
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(a) - 1)
    return pd.DataFrame({"start_s": st[first], "end_s": en[last], "activity": a[first]})
