"""Gait simulator: a person walking through a day with IMUs on both shins and feet, with exact truth.

Model (pure numpy, rigid bodies, world z up; frames and ankle JCS from analysis.conventions):

* Foot: rigid segment (heel, metatarsal-head "toe", ankle points). Stance = heel rocker → foot flat
  (exactly still) → toe rocker, with the pitch-rate timing measured on ipol_feet (fastest toes-down
  rotation 30 ms before toe-off and 30 ms after contact); swing = quintic Hermite of the ankle path
  and pitch matched in position, velocity and acceleration at both ends, plus a clearance bump; it
  lands exactly one stride ahead. Legs are half a stride apart; stance 60 %. Heading changes happen
  in swing (curves, spot turns).
* Heel-strike transient: the heel meets the ground moving (default 0.15 m/s forward, 0.30 m/s down)
  and the heel pad stops it within 20 ms with a smooth (C2) deceleration. Initial contact is the start
  of that deceleration; the tibial acceleration peak (≈3 g) follows ~10 ms later.
* Ankle: dorsiflexion / eversion / internal rotation as periodic C2 splines over the stride, per bout
  and side (fatigue drift, stiff side); ``R_shin = R_foot @ ankle_rotation(...).T``.
* Signals: exact derivatives (no finite differences). Each reading is the mean over its sample period
  (``SimConfig.sample_average``); orientations and angles are instantaneous at the sample time.
* Errors (noise, biases, drift, saturation, drops, clock offset/drift) go on a copy: ``signals`` vs
  ``clean_signals``. All sensors sample at the common true times ``k / fs``; each sensor clock reads
  ``offset + t (1 + drift)`` at those instants.

See :class:`Simulation` for what a run returns. Stairs are not modelled.
"""

from .config import BoutSpec, Gait, Scenario, SensorErrors, SimConfig, Subject
from .simulate import Simulation, simulate, write_truth

__all__ = ["BoutSpec", "Gait", "Scenario", "SensorErrors", "SimConfig", "Simulation", "Subject", "simulate",
           "write_truth"]
