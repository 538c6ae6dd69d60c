"""Gait simulator: a person walking through a day with IMUs on both shins and feet, with exact truth.

Pure numpy; no I/O except :func:`write_truth`. See :mod:`.simulate` for what a :class:`Simulation` holds.
"""

from .config import BoutSpec, Gait, Scenario, SensorErrors, SimConfig, Subject
from .simulate import Simulation, simulate, write_truth

__all__ = ["BoutSpec", "Gait", "Scenario", "SensorErrors", "SimConfig", "Simulation", "Subject", "simulate",
           "write_truth"]
