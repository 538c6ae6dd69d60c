"""Sensor orientation: filters by name (compiled kernels equal to ahrs, or VQF), per contiguous segment."""

from .filters import DEFAULT_FILTER, FILTERS, PARAMETERS, orientation, orientation_ahrs
from .segments import contiguous_segments, nominal_rate_hz, segment_orientation

__all__ = ["DEFAULT_FILTER", "FILTERS", "PARAMETERS", "orientation", "orientation_ahrs",
           "contiguous_segments", "nominal_rate_hz", "segment_orientation"]
