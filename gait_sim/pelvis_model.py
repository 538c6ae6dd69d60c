"""Parameters of the simulated pelvis and trunk (gait_sim.pelvis), apart so that config can hold them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PelvisModel:
    """Pelvis and trunk parameters (degrees, metres, seconds, percent)."""

    sensor_height_m: float = 0.95  # L5/S1 above the floor when standing; the pendulum length l
    step_length_factor: float = 1.25  # Zijlstra & Hof 2003's K: the pelvis rises less than a rigid pendulum
    tilt_amplitude_deg: float = 1.5  # half the step-frequency tilt range (walking pelvic tilt range ~3°)
    obliquity_amplitude_deg: float = 4.0  # half range (walking obliquity range ~8°)
    rotation_amplitude_deg: float = 5.0  # half range (walking transverse rotation range ~10°)
    walking_lean_deg: float = 3.0  # forward lean of the lumbopelvic segment while walking
    sway_m: float = 0.02  # lateral sway amplitude of the sacrum at stride frequency
    surge_m: float = 0.008  # forward oscillation at step frequency (±0.1 m/s at 1.1 s strides)
    sitting_tilt_deg: float = -20.0  # posterior tilt when seated
    attenuation_pct: float = 60.0  # tibia-to-sacrum shock attenuation without compensation
    tibial_peak_g: float = 3.0  # nominal tibial peak (the simulator's heel strike gives about 3 g)
    impact_duration_s: float = 0.06  # the sacral shock's displacement dip
    compensation: float = 0.0  # 0: none; 1: the gains below
    tilt_per_deficit: float = 0.6  # extra forward tilt (°) per ° of dorsiflexion deficit
    tilt_range_per_deficit: float = 0.15  # extra tilt oscillation half range (°) per ° of deficit
    attenuation_per_deficit: float = 3.0  # attenuation loss (percentage points) per ° of deficit
