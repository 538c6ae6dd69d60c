"""analysis.derivative.time_gradient: exactly np.gradient(f, t) on uneven times, and the slope of a line."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.derivative import time_gradient


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-3, 1.0), min_size=2, max_size=50), st.integers(0, 2 ** 32 - 1))
def test_equals_numpy_gradient_bit_for_bit(steps, seed):
    t = np.concatenate([[0.0], np.cumsum(steps)])
    f = np.random.default_rng(seed).normal(size=len(t))
    f[len(f) // 2] = np.nan if seed % 3 == 0 else f[len(f) // 2]
    assert np.array_equal(time_gradient(f, t), np.gradient(f, t), equal_nan=True)


def test_slope_of_a_line_on_uneven_times():
    t = np.array([0.0, 0.01, 0.025, 0.03, 0.1])
    assert np.allclose(time_gradient(3.0 * t - 1.0, t), 3.0, rtol=1e-12)
