"""gaitmap's foot pipeline on trials written by bench_peers_ipol.py; runs in the peer venv, not the project's.

Run (done by bench_peers_ipol.py): .venv-peers/bin/python benchmarks/peer_gaitmap_runner.py IN_DIR OUT_DIR

gaitmap pins numpy/pandas versions older than the project's, so it lives in its own venv and this script
imports nothing from the project. Input: one ``TRIAL.npz`` per trial with, per side (``left``/``right``),
``{side}_acc`` (n×3, m/s², gravity included), ``{side}_gyr`` (n×3, rad/s), sampled uniformly at ``fs_hz``
from ``{side}_t0_s``. Output per trial:

* ``TRIAL_swings.csv``: one row per stride gaitmap segmented (BarthDtw) with the events RamppEventDetection
  found: ``side``, ``toe_off_s``, ``initial_contact_s``, ``stride_length_m`` (gaitmap's
  SpatialParameterCalculation on the RTS-Kalman trajectory, min_vel to min_vel; empty where the stride was
  dropped when gaitmap converted it to a min_vel stride);
* ``TRIAL_zupts.csv``: ``side``, ``time_s``, ``x_m``, ``y_m``: the RTS-Kalman position at the middle of each
  zero-velocity interval gaitmap's detector found, for the trial's walked distance.

Pipeline (gaitmap 2.6 with gaitmap_mad, every parameter at its default): the IPOL sensors' mounting is not
documented, so each foot is brought into gaitmap's foot sensor frame by align_dataset_to_gravity (z up at
rest), PcaAlignment (y on the main rotation axis of the gyro) and ForwardDirectionSignAlignment (x forward);
then convert_to_fbf, BarthDtw, RamppEventDetection, RegionLevelTrajectory(RtsKalman) over the whole trial,
SpatialParameterCalculation.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from gaitmap.event_detection import RamppEventDetection
from gaitmap.parameters import SpatialParameterCalculation
from gaitmap.preprocessing.sensor_alignment import (ForwardDirectionSignAlignment, PcaAlignment,
                                                    align_dataset_to_gravity)
from gaitmap.stride_segmentation import BarthDtw, ConstrainedBarthDtw
from gaitmap.trajectory_reconstruction import RegionLevelTrajectory, RtsKalman
from gaitmap.utils.consts import SF_ACC, SF_GYR
from gaitmap.utils.coordinate_conversion import convert_left_foot_to_fbf, convert_right_foot_to_fbf

SIDES = ("left", "right")
TO_FBF = {"left": convert_left_foot_to_fbf, "right": convert_right_foot_to_fbf}
#: gaitmap's two DTW stride segmenters, each with its own defaults
SEGMENTERS = {"barth": BarthDtw, "constrained": ConstrainedBarthDtw}


def sensor_frame(acc_mps2: np.ndarray, gyr_radps: np.ndarray, fs_hz: float) -> pd.DataFrame:
    """One foot in gaitmap's foot sensor frame (x forward, y left, z up; acc m/s², gyr deg/s)."""
    raw = pd.DataFrame(np.hstack([acc_mps2, np.degrees(gyr_radps)]), columns=SF_ACC + SF_GYR)
    up = align_dataset_to_gravity(raw, fs_hz)
    heading = PcaAlignment(target_axis="y", pca_plane_axis=("gyr_x", "gyr_y")).align(up).aligned_data_
    return ForwardDirectionSignAlignment().align(heading, sampling_rate_hz=fs_hz).aligned_data_


def run_foot(sf: pd.DataFrame, side: str, segmenter: str, fs: float, t0: float) -> pd.DataFrame:
    """gaitmap's swings of one foot, times in s, with its stride length where it computed one (m)."""
    bf = TO_FBF[side](sf)
    strides = SEGMENTERS[segmenter]().segment(data=bf, sampling_rate_hz=fs).stride_list_
    ed = RamppEventDetection().detect(data=bf, stride_list=strides, sampling_rate_hz=fs)
    ev = ed.annotated_original_event_list_.dropna(subset=["tc", "ic"])
    mv = ed.min_vel_event_list_
    length = pd.Series(dtype=float)
    if len(mv):
        roi = pd.DataFrame({"start": [0], "end": [len(sf)]}, index=pd.Index([0], name="roi_id"))
        rts = RegionLevelTrajectory(ori_method=None, pos_method=None, trajectory_method=RtsKalman())
        traj = rts.estimate_intersect(data=sf, regions_of_interest=roi, stride_event_list=mv, sampling_rate_hz=fs)
        spatial = SpatialParameterCalculation().calculate(
            stride_event_list=mv, positions=traj.position_, orientations=traj.orientation_,
            sampling_rate_hz=fs).parameters_
        # a min_vel stride holds the swing (tc, ic) of the segmented stride it came from: join on tc
        length = pd.Series(spatial["stride_length"].to_numpy(), index=mv.loc[spatial.index, "tc"].to_numpy())
        length = length[~length.index.duplicated()]
    return pd.DataFrame({"side": side, "segmenter": segmenter, "toe_off_s": t0 + ev["tc"].to_numpy(float) / fs,
                         "initial_contact_s": t0 + ev["ic"].to_numpy(float) / fs,
                         "stride_length_m": length.reindex(ev["tc"].to_numpy()).to_numpy(float)})


def zupt_positions(sf: pd.DataFrame, side: str, fs: float, t0: float) -> pd.DataFrame:
    """RTS-Kalman horizontal position (m) at the middle of each zero-velocity interval of one foot."""
    rts = RtsKalman().estimate(sf, sampling_rate_hz=fs)
    mid = ((rts.zupts_["start"] + rts.zupts_["end"]) // 2).to_numpy(int)
    pos = rts.position_[["pos_x", "pos_y"]].to_numpy()[mid]
    return pd.DataFrame({"side": side, "time_s": t0 + mid / fs, "x_m": pos[:, 0], "y_m": pos[:, 1]})


def run_trial(trial: np.lib.npyio.NpzFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """gaitmap's swings (every segmenter) and zero-velocity positions of one trial."""
    fs = float(trial["fs_hz"])
    swings, zupts = [], []
    for side in SIDES:
        t0 = float(trial[f"{side}_t0_s"])
        sf = sensor_frame(trial[f"{side}_acc"], trial[f"{side}_gyr"], fs)
        swings += [run_foot(sf, side, name, fs, t0) for name in SEGMENTERS]
        zupts.append(zupt_positions(sf, side, fs, t0))
    return pd.concat(swings, ignore_index=True), pd.concat(zupts, ignore_index=True)


def main() -> None:
    # every region starts at the first sample, so gaitmap's gravity window is always cut short: expected
    warnings.filterwarnings("ignore", "Could not use complete window length")
    in_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    for path in sorted(in_dir.glob("*.npz")):
        with np.load(path) as trial:
            swings, zupts = run_trial(trial)
        swings.to_csv(out_dir / f"{path.stem}_swings.csv", index=False)
        zupts.to_csv(out_dir / f"{path.stem}_zupts.csv", index=False)


if __name__ == "__main__":
    main()
