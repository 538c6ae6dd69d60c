"""Configuration of a simulated day: subject, gait, scenario and sensor errors (SI units, degrees)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from analysis.errors import UserError

from .pelvis_model import PelvisModel


@dataclass(frozen=True)
class Subject:
    """Body geometry (metres) and sensor placement on the segments.

    Segment frames follow analysis.conventions (x anterior, y left, z up in the neutral pose) with
    their origin at the ankle joint centre. The rigid foot ends at the metatarsal heads (the "toe"
    rocker point); the toes themselves are not modelled.
    """

    heel_to_ankle_m: float = 0.06  # horizontal, ankle ahead of the heel contact point
    ankle_height_m: float = 0.08  # ankle joint centre above the sole
    heel_to_toe_m: float = 0.19  # heel contact point to the metatarsal-head rocker
    step_width_m: float = 0.10  # lateral distance between the two heel paths
    shin_sensor_height_m: float = 0.20  # along the tibia above the ankle joint
    shin_sensor_forward_m: float = 0.03  # on the anterior face of the tibia
    foot_sensor_forward_m: float = 0.07  # on the instep, ahead of the ankle joint
    foot_sensor_height_m: float = -0.02  # relative to the ankle joint (dorsum is a little lower)


@dataclass(frozen=True)
class Gait:
    """Walking pattern. Angles in degrees; magnitudes unless the name says signed."""

    speed_range_mps: tuple[float, float] = (1.0, 1.5)  # per bout, uniform
    stride_length_at_1_35_mps_m: float = 1.45  # stride length scales with sqrt(speed)
    step_length_cv: float = 0.02  # stride-to-stride variation of step length
    stance_fraction: float = 0.60
    foot_flat_fraction: float = 0.14  # heel rocker ends (foot flat) at this fraction of the stride
    heel_off_fraction: float = 0.38  # toe rocker starts at this fraction
    foot_pitch_contact_deg: float = 20.0  # toes up at initial contact (at 1.45 m stride)
    foot_pitch_toe_off_deg: float = 40.0  # toes down at toe-off (at 1.45 m stride)
    # toe rocker pitch-rate profile, from ipol_feet (1884 hand-checked toe-offs of 10 subjects, foot
    # dorsum): the fastest toes-down rotation comes 30 ms (IQR 20-40) before toe-off, the rate at
    # toe-off is 0.70 (IQR 0.61-0.79) of that peak and still falling by 12 peak/s (IQR 8-16)
    toe_rate_peak_lead_fraction: float = 0.028  # peak before toe-off, fraction of the stride (30 ms at 1.07 s)
    toe_off_rate_ratio: float = 0.70  # rate at toe-off / peak rate
    toe_off_rate_slope: float = 1.2  # rate slope at toe-off / mean slope from the peak to toe-off
    # heel rocker, from ipol_feet TUNE subjects 1-5 with contact at the first touch (where toes_up crosses
    # zero after mid-swing, analysis.events): the heel lands with zero pitch rate, the fastest toes-down
    # slap comes 57 ms (IQR 38-69) after the touch, and the rate leaves zero at 1.22 (IQR 0.83-1.87)
    # times its mean slope to the peak (docs/ipol_validation.md, "Initial contact at the first touch")
    heel_rate_peak_lag_fraction: float = 0.051  # slap peak after contact, fraction of the stride (57 ms at 1.13 s)
    contact_rate_ratio: float = 0.0  # rate at contact / peak slap rate
    contact_rate_slope: float = 1.22  # rate slope at contact / mean slope from contact to the peak
    swing_clearance_m: float = 0.04  # extra height of the ankle path in mid-swing
    # heel-strike transient: the heel meets the ground with this velocity (forward, down) and the heel
    # pad brings it to rest within impact_duration_s with a smooth deceleration profile; the foot and
    # the shin above it decelerate with it (the shin's |acc| pulse, analysis.events.impact_pulse)
    impact_velocity_mps: tuple[float, float] = (0.15, 0.30)
    impact_duration_s: float = 0.02
    dorsiflexion_peak_deg: float = 9.0  # late stance keypoint (the spline peaks ~1.5° higher)
    loading_plantarflexion_deg: float = 5.0  # just after contact
    pushoff_plantarflexion_deg: float = 18.0  # just after toe-off
    eversion_contact_deg: float = -2.0  # signed: slightly inverted at contact
    eversion_peak_deg: float = 4.0  # signed, in early stance
    eversion_toe_off_deg: float = -4.0  # signed: inverted at push-off
    rotation_amplitude_deg: float = 3.0  # internal rotation in stance
    bout_jitter_deg: float = 0.7  # per-bout random change of each ankle parameter (sd)


@dataclass(frozen=True)
class Scenario:
    """The day's activities. Durations in seconds."""

    kind: str = "day"  # 'day': free-living mix; 'walk': walking bouts separated by turns/standing
    initial_standing_s: float = 10.0  # quiet standing at the start: the neutral pose
    walk_bout_s: tuple[float, float] = (5.0, 600.0)  # log-uniform
    standing_s: tuple[float, float] = (5.0, 120.0)  # log-uniform
    sitting_s: tuple[float, float] = (60.0, 1800.0)  # log-uniform
    activity_weights: tuple[float, float, float] = (0.3, 0.4, 0.3)  # walking, standing, sitting ('day')
    turn_probability: float = 0.7  # a turn on the spot after a walking bout
    curve_probability: float = 0.5  # a walking bout contains a curve (turning strides)
    stiff_side: str | None = None  # 'left' | 'right': that ankle has a restricted sagittal range
    stiff_factor: float = 0.4  # dorsiflexion peak scale on the stiff side (plantarflexion gets half the loss)
    fatigue_dorsiflexion_drop_deg: float = 2.0  # peak dorsiflexion falls linearly by this over the day


@dataclass(frozen=True)
class SensorErrors:
    """Sensor error model applied to a copy of the signals (standard deviations unless noted)."""

    acc_noise_mps2: float = 0.03  # white, per sample
    gyr_noise_radps: float = 0.005
    mag_noise_ut: float = 0.3
    acc_bias_mps2: float = 0.05  # constant per axis and sensor
    gyr_bias_radps: float = 0.01  # constant per axis and sensor
    gyr_bias_drift_radps_per_sqrt_s: float = 2e-5  # random walk of the gyro bias
    acc_range_mps2: float = 16 * 9.80665  # saturation
    gyr_range_radps: float = 34.9  # 2000 deg/s
    drop_fraction: float = 0.002  # fraction of samples lost, in short gaps
    drop_gap_mean_samples: float = 3.0
    clock_offset_max_s: float = 2.0  # sensor clock = offset + true time * (1 + drift)
    clock_drift_ppm: float = 20.0

    @classmethod
    def none(cls) -> "SensorErrors":
        """No errors at all: ideal, unsaturated, nothing dropped, clocks exact."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, float("inf"), float("inf"), 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class BoutSpec:
    """An explicit period of the day. ``activity`` is one of 'walking', 'turn', 'standing', 'sitting'.

    Walking: ``speed_mps``/``stride_length_m`` default to random per bout; ``turn_deg`` is the heading
    change spread over the bout (a curve of turning strides), or over the spot turn for 'turn'.
    """

    activity: str
    duration_s: float
    speed_mps: float | None = None
    stride_length_m: float | None = None
    turn_deg: float = 0.0


@dataclass(frozen=True)
class SimConfig:
    """Everything that defines a simulated recording; the same config and seed give the same data.

    ``dtype`` of the signal columns and orientations: float32 keeps a 16-hour day of four sensors
    within a few GB (float32 resolves 1e-6 m/s² at 1 g, far below any MEMS sensor's noise).
    """

    minutes: float = 10.0
    fs_hz: float = 100.0
    seed: int = 0
    mounting: str = "nominal"  # 'nominal' (sensor axes = segment axes) | 'random' (seeded)
    mounting_offset_sd_m: float = 0.01  # random mounting: position offset per axis
    placements: tuple[str, ...] = ("left_shin", "left_foot", "right_shin", "right_foot")
    bouts: tuple[BoutSpec, ...] | None = None  # explicit scenario after the initial standing
    subject: Subject = field(default_factory=Subject)
    gait: Gait = field(default_factory=Gait)
    scenario: Scenario = field(default_factory=Scenario)
    errors: SensorErrors = field(default_factory=SensorErrors)
    pelvis: PelvisModel = field(default_factory=PelvisModel)  # the 'lower_back' placement's walker
    earth_field_ut: float = 48.0
    earth_inclination_deg: float = 65.0  # field points down-north
    dtype: str = "float32"
    # each reading is the mean over its sample period (a decimating sensor's anti-aliasing), so short
    # events like the heel-strike transient integrate to the right velocity change; False: instantaneous
    sample_average: bool = True

    def noise_free(self) -> "SimConfig":
        """The same scenario with ideal sensors."""
        return dataclasses.replace(self, errors=SensorErrors.none())

    def validate(self) -> None:
        """Raise UserError naming the first bad option."""
        if not self.minutes > 0:
            raise UserError(f"simulation: minutes must be > 0, not {self.minutes}")
        if not 1 <= self.fs_hz <= 2000:
            raise UserError(f"simulation: fs_hz must be in 1..2000 Hz, not {self.fs_hz}")
        if self.mounting not in ("nominal", "random"):
            raise UserError(f"simulation: mounting must be 'nominal' or 'random', not {self.mounting!r}")
        known = ("left_shin", "left_foot", "right_shin", "right_foot", "lower_back")
        for p in self.placements:
            if p not in known:
                raise UserError(f"simulation: unknown placement {p!r} (known: {', '.join(known)})")
        if self.scenario.kind not in ("day", "walk"):
            raise UserError(f"simulation: scenario kind must be 'day' or 'walk', not {self.scenario.kind!r}")
        if self.scenario.stiff_side not in (None, "left", "right"):
            raise UserError(f"simulation: stiff_side must be 'left', 'right' or None, "
                            f"not {self.scenario.stiff_side!r}")
        if self.dtype not in ("float32", "float64"):
            raise UserError(f"simulation: dtype must be 'float32' or 'float64', not {self.dtype!r}")
        g = self.gait
        if not 0 < g.foot_flat_fraction < g.heel_off_fraction < g.stance_fraction < 1:
            raise UserError("simulation: need 0 < foot_flat_fraction < heel_off_fraction < stance_fraction < 1")
        if not 0 < g.toe_rate_peak_lead_fraction < 0.5 * (g.stance_fraction - g.heel_off_fraction):
            raise UserError("simulation: toe_rate_peak_lead_fraction must be in (0, half the toe rocker)")
        if not 0 < g.heel_rate_peak_lag_fraction < 0.5 * g.foot_flat_fraction:
            raise UserError("simulation: heel_rate_peak_lag_fraction must be in (0, half the heel rocker)")
        for name, low in (("toe_off", "<"), ("contact", "<=")):  # a heel lands with zero rate; a toe leaves moving
            ratio, slope = getattr(g, f"{name}_rate_ratio"), getattr(g, f"{name}_rate_slope")
            if not (0 < ratio if low == "<" else 0 <= ratio) or not ratio < 1 or not 0 <= slope <= 3:
                raise UserError(f"simulation: need 0 {low} {name}_rate_ratio < 1 and 0 <= {name}_rate_slope <= 3")
        if self.scenario.initial_standing_s < 1.0:
            raise UserError("simulation: initial_standing_s must be >= 1 s (it is the neutral pose)")
        for b in self.bouts or ():
            if b.activity not in ("walking", "turn", "standing", "sitting"):
                raise UserError(f"simulation: bout activity must be walking, turn, standing or sitting, "
                                f"not {b.activity!r}")
            if not b.duration_s > 0:
                raise UserError(f"simulation: bout duration_s must be > 0, not {b.duration_s}")
