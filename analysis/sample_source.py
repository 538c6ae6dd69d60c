"""Where the analysis reads samples from: a time range of one placement at a time.

A recording longer than memory allows is analysed in pieces of time (analysis.streamed); it reads them
through this protocol. ``InMemorySource`` serves samples already in memory (placement -> DataFrame with
analysis.columns); imu_logger.samples.store.SampleStore serves a recording decoded to disk.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from analysis.columns import TIME


class SampleSource(Protocol):
    """Samples of a recording, per placement, on the recording's time base (s)."""

    @property
    def placements(self) -> tuple[str, ...]:
        """Placements with samples, in the recording's order."""

    def rate_hz(self, placement: str) -> float:
        """Nominal sample rate of a placement (Hz)."""

    def span_s(self, placement: str) -> tuple[float, float]:
        """Time of the first and of the last sample of a placement (s); (nan, nan) without samples."""

    def read(self, placement: str, start_s: float, end_s: float) -> pd.DataFrame:
        """Samples with ``start_s <= time_s < end_s``, in time order, columns as analysis.columns
        (``time_s`` float64, acc/gyr[/mag] float32, ``connection``)."""


class InMemorySource:
    """A SampleSource over per-placement DataFrames already in memory (sorted by ``time_s``)."""

    def __init__(self, samples: dict[str, pd.DataFrame], rates_hz: dict[str, float] | None = None) -> None:
        self._samples = {p: df for p, df in samples.items() if df is not None}
        self._times = {p: df[TIME].to_numpy(np.float64) for p, df in self._samples.items()}
        self._rates = dict(rates_hz or {})

    @property
    def placements(self) -> tuple[str, ...]:
        return tuple(self._samples)

    def rate_hz(self, placement: str) -> float:
        if placement in self._rates:
            return float(self._rates[placement])
        t = self._times[placement]
        return float(1.0 / np.median(np.diff(t))) if len(t) > 1 else float("nan")

    def span_s(self, placement: str) -> tuple[float, float]:
        t = self._times[placement]
        return (float(t[0]), float(t[-1])) if len(t) else (float("nan"), float("nan"))

    def read(self, placement: str, start_s: float, end_s: float) -> pd.DataFrame:
        t = self._times[placement]
        a, b = np.searchsorted(t, [start_s, end_s], side="left")
        return self._samples[placement].iloc[a:b].reset_index(drop=True)
