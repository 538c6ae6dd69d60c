"""analysis.windows.reduce_slices: one reduceat equals np.nanmax / np.nanmin slice by slice, exactly."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.windows import reduce_slices


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)), min_size=1, max_size=60),
       st.lists(st.tuples(st.integers(0, 60), st.integers(1, 30)), min_size=1, max_size=20))
def test_equals_nan_skipping_slice_reductions(values, pairs):
    x = np.array(values)
    a = np.array([min(s, len(x) - 1) for s, _ in pairs])
    b = np.minimum(a + np.array([n for _, n in pairs]), len(x))  # b may reach len(x)
    for ufunc, ref in ((np.fmax, np.nanmax), (np.fmin, np.nanmin)):
        got = reduce_slices(ufunc, x, a, b)
        for g, i, j in zip(got, a, b):
            sl = x[i:j]
            want = ref(sl) if np.isfinite(sl).any() else np.nan
            assert (np.isnan(g) and np.isnan(want)) or g == want
