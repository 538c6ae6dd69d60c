"""Sensor orientation: filters by name (compiled kernels equal to ahrs, or VQF), per contiguous segment."""

from .filters import DEFAULT_FILTER, FILTERS, PARAMETERS, orientation, orientation_ahrs
from .segments import BRIDGE_MAX_S, contiguous_segments, filter_blocks, nominal_rate_hz, segment_orientation

__all__ = ["DEFAULT_FILTER", "FILTERS", "PARAMETERS", "orientation", "orientation_ahrs",
           "BRIDGE_MAX_S", "contiguous_segments", "filter_blocks", "nominal_rate_hz", "segment_orientation"]
