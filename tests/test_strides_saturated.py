"""analysis.strides.saturated: consecutive samples at a channel's full-scale extreme are clipping."""

import numpy as np

from analysis.strides import saturated


def test_repeated_extreme_flags_both_samples_and_only_them():
    x = np.zeros((8, 6))
    x[:, 0] = [0.1, 0.3, 16.0, -16.0, 0.2, 15.0, 0.0, 0.1]  # acc x clips at +-16 on samples 2 and 3
    x[:, 4] = [1.0, 2.0, 0.5, 0.0, 2.0, 1.0, 0.0, 1.0]  # its extreme never repeats on consecutive samples
    assert saturated(x).tolist() == [False, False, True, True, False, False, False, False]


def test_single_peaks_and_nan_channels_are_not_clipping():
    x = np.tile([0.0, 1.0, 0.0, 2.0], 3)[:, None].repeat(6, axis=1)
    x[5, 2] = np.nan  # a channel with a NaN has no extreme
    x[6:8, 2] = 9.0
    assert not saturated(x).any()
    assert saturated(np.zeros((0, 6))).shape == (0,)
