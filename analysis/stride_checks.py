"""Stride plausibility checks: flag a stride the analysis cannot trust, with the reason, across both feet.

Each check compares a stride with what walking allows (issue 11); a stride that fails gets the flag
added to its ``quality`` (``|``-joined), so it is no longer ``ok`` and must stay out of the medians:

``no_bout`` the stride is in no walking bout (Mobilise-D: not walking, not assessed).
``alternation`` between two contacts of one foot the other foot makes exactly one contact (its
    contacts are the starts and ends of its strides); checked within the span of the other foot's
    contacts in the same bout.
``rhythm`` the other foot's ``ok`` stride holding this stride's middle has the same stride time
    within ``rhythm_tolerance`` (|ln(T / T_other)|): the two feet of a walker keep one cadence.
``atypical`` the step model (``StepModel``) puts the pair (stride time, stride length), each relative
    to the median of the other foot's strides around it in its bout (``local_relative``), outside
    what walking produces. It checks stride length against stride time and against the bout's
    median at once, relative to the walker's own strides, so it carries over to walkers of another
    height or speed; the median is local because a bout's cadence may change (issue 11: through a
    U-turn), and of the other foot because a foot locked onto a wrong rhythm would set its own.
``swing_count`` both feet cover the bout's distance, so they make as many swings: a foot with more
    than ``count_tolerance`` strides more than the other *and* a median stride length shorter by
    more than ``length_tolerance`` (ln ratio) cut the same distance into too many strides (issue
    11's foot locked onto a faster wrong rhythm); all its strides of that bout are flagged.

Strides need ``bout_id`` (analysis.walking_bouts) and the pipeline's quality flags.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.algorithm import Algorithm
from analysis.quality import CHECK_FLAGS, add_flag

#: half-width (s) of the window of neighbouring strides the step model compares a stride with: about
#: three strides of each foot, short enough to follow a cadence change through a turn
LOCAL_WINDOW_S = 3.0


@dataclass(frozen=True)
class StepModel:
    """Gaussian mixture of z = (ln(T / T_ref), ln(L / L_ref)) for walking strides, with a limit.

    T stride time (s), L stride length (m), ``_ref`` the median of the other foot's strides around
    it in its bout (``local_relative``). Walking has several kinds of strides (steady, the
    half-length first and last strides of a bout, those next to a turn), hence a mixture;
    ``max_nll`` is the largest negative log-density a trusted stride has: the ``limit_quantile``
    of the fitting strides. Defaults fitted on ipol_feet
    subjects 1-5 (strides whose contacts are two consecutive reference heel strikes, quality ``ok``):
    benchmarks/bench_stride_checks.py prints the fit.
    """

    weights: tuple[float, ...] = (1.0,)
    means: tuple[tuple[float, float], ...] = ((0.0, 0.0),)
    covs: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (((1e-3, 0.0), (0.0, 1e-3)),)
    max_nll: float = 10.0

    @classmethod
    def fit(cls, z: np.ndarray, components: int = 3, limit_quantile: float = 0.995,
            iterations: int = 300) -> "StepModel":
        """Maximum-likelihood mixture (EM) on (n, 2) features ``z`` (``local_relative``), rows with NaN
        dropped; components start from equal slices of the strides ordered by length."""
        z = z[np.isfinite(z).all(axis=1)]
        if len(z) < 10 * components:
            raise ValueError(f"StepModel.fit: {len(z)} complete strides, need {10 * components}")
        groups = np.array_split(np.argsort(z[:, 1]), components)
        w = np.full(components, 1.0 / components)
        mu = np.array([z[g].mean(axis=0) for g in groups])
        cov = np.array([np.cov(z[g].T) + 1e-6 * np.eye(2) for g in groups])
        for _ in range(iterations):  # EM steps; each is vectorised over strides
            r = w * np.exp(-_nll_each(z, mu, cov))
            r /= r.sum(axis=1, keepdims=True)
            nk = r.sum(axis=0)
            w = nk / len(z)
            mu = (r.T @ z) / nk[:, None]
            d = z[:, None, :] - mu[None]
            cov = np.einsum("nk,nki,nkj->kij", r, d, d) / nk[:, None, None] + 1e-6 * np.eye(2)
        model = cls(tuple(map(float, w)), tuple(tuple(map(float, m)) for m in mu),
                    tuple(tuple(tuple(map(float, row)) for row in c) for c in cov))
        return dataclasses.replace(model, max_nll=float(np.quantile(model.nll(z), limit_quantile)))

    def bic(self, z: np.ndarray) -> float:
        """Bayesian information criterion of the model on the complete rows of ``z`` (lower is better)."""
        z = z[np.isfinite(z).all(axis=1)]
        n_params = 6 * len(self.weights) - 1  # per component: weight, 2 means, 3 covariances; weights sum to 1
        return float(2.0 * self.nll(z).sum() + n_params * np.log(len(z)))

    def nll(self, z: np.ndarray) -> np.ndarray:
        """Negative log-density of each row of ``z`` (NaN where a feature is NaN)."""
        dens = np.asarray(self.weights) * np.exp(-_nll_each(z, np.asarray(self.means), np.asarray(self.covs)))
        with np.errstate(divide="ignore"):
            return -np.log(dens.sum(axis=1))


def _nll_each(z: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(n, k) negative log-density of each row under each normal component."""
    d = z[:, None, :] - mu[None]
    inv = np.linalg.inv(cov)
    m = np.einsum("nki,kij,nkj->nk", d, inv, d)
    return 0.5 * m + 0.5 * np.log(np.linalg.det(cov))[None] + np.log(2 * np.pi)


#: fitted on ipol_feet subjects 1-5, 3 components: least BIC of 1-5 (benchmarks/bench_stride_checks.py
#: prints the fit); subjects 6-10 held out
IPOL_STEP_MODEL = StepModel(
    weights=(0.04330, 0.7820, 0.1747),
    means=((0.02586, -0.6345), (-0.002830, 0.003536), (0.06175, -0.02600)),
    covs=(((0.003270, -0.002797), (-0.002797, 0.2619)),
          ((0.0002126, -2.900e-05), (-2.900e-05, 0.0002658)),
          ((0.003633, 0.0002411), (0.0002411, 0.002292))),
    max_nll=3.542)


def local_relative(strides: pd.DataFrame, window_s: float = LOCAL_WINDOW_S) -> np.ndarray:
    """(n, 2) features ln(T / T_ref), ln(L / L_ref) per stride; NaN outside bouts.

    ``_ref`` is the median over the *other* foot's strides of the same bout whose middles lie within
    ``window_s`` (s) of this stride's middle: over a gait cycle both feet move forward by the same
    distance in the same time, whatever the walker, and a foot locked onto a wrong rhythm cannot
    set its own reference. Without such strides (one foot recorded, a bout's edge) the median of both
    feet's strides in the window is used.
    """
    z = np.full((len(strides), 2), np.nan)
    bout = strides["bout_id"].to_numpy()
    side = strides["side"].to_numpy()
    mid = 0.5 * (strides["start_s"].to_numpy(float) + strides["end_s"].to_numpy(float))
    vals = np.column_stack([strides["stride_time_s"].to_numpy(float), strides["stride_length_m"].to_numpy(float)])
    for b in np.unique(bout[bout >= 0]):  # per bout and foot; the windows are gathered at once
        rows = np.flatnonzero(bout == b)
        rows = rows[np.argsort(mid[rows], kind="stable")]
        for s in ("left", "right"):
            mine, theirs = rows[side[rows] == s], rows[side[rows] != s]
            if len(mine) == 0:
                continue
            ref = _window_median(vals, theirs, mid[theirs], mid[mine], window_s)
            both = _window_median(vals, rows, mid[rows], mid[mine], window_s)
            ref = np.where(np.isnan(ref).all(axis=1, keepdims=True), both, ref)
            with np.errstate(divide="ignore", invalid="ignore"):
                z[mine] = np.log(vals[mine] / ref)
    return z


def _window_median(vals: np.ndarray, pool: np.ndarray, pool_t: np.ndarray, t: np.ndarray,
                   window_s: float) -> np.ndarray:
    """(len(t), 2) median of ``vals[pool]`` over the entries with ``pool_t`` (sorted) within
    ``window_s`` of each ``t``; NaN where there are none."""
    if len(pool) == 0:
        return np.full((len(t), vals.shape[1]), np.nan)
    lo = np.searchsorted(pool_t, t - window_s, side="left")
    hi = np.searchsorted(pool_t, t + window_s, side="right")
    width = max(int(np.max(hi - lo)), 1)
    idx = lo[:, None] + np.arange(width)[None]
    g = vals[pool[np.minimum(idx, len(pool) - 1)]]
    g[idx >= hi[:, None]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty windows stay NaN
        return np.nanmedian(g, axis=1)


def other_foot_contacts(strides: pd.DataFrame) -> np.ndarray:
    """Per stride, the number of the other foot's contacts strictly inside (start, end); −1 where it
    is not checked: outside a bout, or not within the span of the other foot's contacts in that bout
    (at a bout's edges one foot starts or stops first)."""
    out = np.full(len(strides), -1)
    side = strides["side"].to_numpy()
    bout = strides["bout_id"].to_numpy()
    start, end = strides["start_s"].to_numpy(float), strides["end_s"].to_numpy(float)
    for s, o in (("left", "right"), ("right", "left")):
        theirs = side == o
        contacts = np.unique(np.concatenate([start[theirs], end[theirs]]))
        n = np.searchsorted(contacts, end, side="left") - np.searchsorted(contacts, start, side="right")
        first = pd.Series(start[theirs]).groupby(bout[theirs]).min()
        last = pd.Series(end[theirs]).groupby(bout[theirs]).max()
        lo = first.reindex(bout).to_numpy()
        hi = last.reindex(bout).to_numpy()
        sel = (side == s) & (bout >= 0) & (start >= lo) & (end <= hi)
        out[sel] = n[sel]
    return out


def other_foot_stride_time(strides: pd.DataFrame) -> np.ndarray:
    """Per stride, the stride time (s) of the other foot's stride holding its middle; NaN if there is
    none or it is not ``ok`` (a turn stride of the other foot says nothing about this foot's rhythm)."""
    out = np.full(len(strides), np.nan)
    side = strides["side"].to_numpy()
    start, end = strides["start_s"].to_numpy(float), strides["end_s"].to_numpy(float)
    ok = strides["quality"].astype(str).to_numpy() == "ok"
    mid = 0.5 * (start + end)
    for s, o in (("left", "right"), ("right", "left")):
        mine, theirs = np.flatnonzero(side == s), np.flatnonzero(side == o)
        if len(theirs) == 0:
            continue
        order = theirs[np.argsort(start[theirs])]
        j = np.searchsorted(start[order], mid[mine], side="right") - 1
        k = order[np.maximum(j, 0)]
        hit = (j >= 0) & (end[k] >= mid[mine]) & ok[k]
        out[mine[hit]] = (end - start)[k[hit]]
    return out


def swing_count_excess(strides: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per stride: how many more strides its foot made in the bout than the other foot, and
    ln(median stride length of its foot / the other's) in the bout; NaN without both feet."""
    bout = strides["bout_id"].to_numpy()
    side = strides["side"].to_numpy()
    g = strides[bout >= 0].groupby(["bout_id", "side"])["stride_length_m"]
    n, med = g.size().astype(float), g.median()
    mine = pd.MultiIndex.from_arrays([bout, side])
    theirs = pd.MultiIndex.from_arrays([bout, np.where(side == "left", "right", "left")])
    excess = n.reindex(mine).to_numpy() - n.reindex(theirs).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(med.reindex(mine).to_numpy() / med.reindex(theirs).to_numpy())
    return np.where(bout >= 0, excess, np.nan), np.where(bout >= 0, ratio, np.nan)


class StrideChecks(Algorithm):
    """Flag strides that fail a plausibility check (see module docstring).

    Parameters: ``rhythm_tolerance`` largest |ln(T / T_other)| of a trusted stride (0.17: the 99.5th
    percentile of right strides on ipol_feet subjects 1-5 is 0.167; tuned there); ``model`` the
    StepModel (limit included); ``count_tolerance`` strides (1.5: one foot may have one stride more, its first or last);
    ``length_tolerance`` ln of the median stride-length ratio (0.1, ~10 %; on ipol_feet subjects
    1-10 the two feet's medians differ by at most 3 %).
    Results of ``check``: ``strides_`` (``quality`` with the flags added), ``flags_`` (one boolean
    column per CHECK_FLAGS), ``nll_`` (the model's negative log-density per stride).
    """

    def __init__(self, rhythm_tolerance: float = 0.17, model: StepModel = IPOL_STEP_MODEL,
                 count_tolerance: float = 1.5, length_tolerance: float = 0.1):
        self.rhythm_tolerance = rhythm_tolerance
        self.model = model
        self.count_tolerance = count_tolerance
        self.length_tolerance = length_tolerance

    def check(self, strides: pd.DataFrame) -> "StrideChecks":
        """Run the checks on a strides table (both feet, ``bout_id`` set; index not kept); sets the
        result attributes."""
        s = strides.reset_index(drop=True)
        in_bout = s["bout_id"].to_numpy() >= 0
        n_other = other_foot_contacts(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            rhythm = np.abs(np.log(s["stride_time_s"].to_numpy(float) / other_foot_stride_time(s)))
        self.nll_ = self.model.nll(local_relative(s))
        excess, length_ratio = swing_count_excess(s)
        self.flags_ = pd.DataFrame({
            "no_bout": ~in_bout,
            "alternation": (n_other >= 0) & (n_other != 1),
            "rhythm": in_bout & (rhythm > self.rhythm_tolerance),
            "atypical": in_bout & (self.nll_ > self.model.max_nll),
            "swing_count": in_bout & (excess > self.count_tolerance) & (length_ratio < -self.length_tolerance),
        })
        q = s["quality"]
        for name in CHECK_FLAGS:
            q = add_flag(q, self.flags_[name].to_numpy(), name)
        self.strides_ = s.assign(quality=q)
        return self
