"""Column names of the tables every part of the project exchanges (units in the names)."""

from __future__ import annotations

#: decoded samples of one sensor, one row per sample, time on the recording's host time base
TIME = "time_s"
ACC = ("acc_x_mps2", "acc_y_mps2", "acc_z_mps2")
GYR = ("gyr_x_radps", "gyr_y_radps", "gyr_z_radps")
MAG = ("mag_x_ut", "mag_y_ut", "mag_z_ut")
SAMPLE_COLUMNS = (TIME, *ACC, *GYR)

#: per stride, from the lower-back sensor (analysis.lower_back; NaN without one): pelvis, trunk, shock
PELVIS_COLUMNS = ("pelvic_tilt_range_deg", "pelvic_tilt_stance_mean_deg", "pelvic_obliquity_range_deg",
                  "pelvic_rotation_range_deg")
TRUNK_COLUMNS = ("trunk_lean_deg",)
SHOCK_COLUMNS = ("peak_sacral_accel_g", "shock_attenuation_pct")
LOWER_BACK_COLUMNS = (*PELVIS_COLUMNS, *TRUNK_COLUMNS, *SHOCK_COLUMNS)

#: strides.csv, in order (conventions in analysis.conventions and ../shared/DESIGN.md)
STRIDE_COLUMNS = (
    "side", "stride_id", "bout_id",
    "start_s", "toe_off_s", "end_s",
    "stride_time_s", "stance_fraction", "stride_length_m", "speed_mps",
    "peak_dorsiflexion_deg", "peak_plantarflexion_deg", "sagittal_range_deg",
    "peak_eversion_deg", "eversion_excursion_deg", "peak_pronation_velocity_dps",
    "peak_tibial_accel_g",
    *LOWER_BACK_COLUMNS,
    "quality",
)

#: bouts.csv
BOUT_COLUMNS = ("bout_id", "start_s", "end_s", "activity", "n_strides_left", "n_strides_right")

#: activities a period of the day can be classified as
ACTIVITIES = ("walking", "standing", "sitting_lying", "other", "stairs", "turn")
