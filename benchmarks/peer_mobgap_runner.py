"""mobgap's Mobilise-D pipeline on mobgap's own lab example data; runs in .venv-peers-lb, not the project's venv.

Run (done by bench_lower_back_mobgap.py):
MOBGAP_DATA_DIR=.venv-peers-lb/mobgap_data .venv-peers-lb/bin/python benchmarks/peer_mobgap_runner.py OUT_DIR

mobgap (1.2) pins other numpy/pandas versions than the project, so it has its own venv and this script
imports nothing from the project. Data: ``mobgap.data.LabExampleDataset`` (Mobilise-D lab example data: a
lower-back IMU at 100 Hz with the INDIP reference system, walking-bout level reference parameters), read from
``$MOBGAP_DATA_DIR/v1.2.0/`` (the ``example_data`` folder of the mobgap repository; nothing is downloaded).

Output per trial ``TRIAL`` (cohort_participant_test_trial):

* ``TRIAL.npz``: ``acc`` (n×3, m/s², gravity included), ``gyr`` (n×3, rad/s), sensor frame of the file;
  ``fs_hz``; ``sensor_height_m``; reference ``ref_ic_s`` and ``ref_ic_left`` (1 = left);
  ``ref_wb`` (k×4: start_s, end_s, avg_cadence_spm, avg_walking_speed_mps); mobgap's ``mobgap_ic_s``
  and ``mobgap_ic_left`` (its raw initial contacts and their laterality) and ``mobgap_wb`` (k×4, same
  columns, from ``per_wb_parameters_``);
* ``trials.json``: the trial names, cohorts and which mobgap pipeline ran.

Pipeline: ``MobilisedPipelineHealthy`` for healthy adults (HA), ``MobilisedPipelineImpaired`` for the
other cohorts (MS here), as Mobilise-D recommends, every parameter at its default.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np


def _wb_table(df, fs: float) -> np.ndarray:
    if df is None or len(df) == 0:
        return np.zeros((0, 4))
    cad = df["avg_cadence_spm"] if "avg_cadence_spm" in df else df["cadence_spm"]
    ws = df["avg_walking_speed_mps"] if "avg_walking_speed_mps" in df else df["walking_speed_mps"]
    return np.column_stack([df["start"].to_numpy(float) / fs, df["end"].to_numpy(float) / fs,
                            cad.to_numpy(float), ws.to_numpy(float)])


def main(out_dir: str) -> None:
    warnings.filterwarnings("ignore")
    from mobgap.data import LabExampleDataset
    from mobgap.pipeline import MobilisedPipelineHealthy, MobilisedPipelineImpaired

    out = Path(out_dir)
    ds = LabExampleDataset(reference_system="INDIP", reference_para_level="wb")
    trials = []
    for d in ds:
        row = d.group_label
        name = f"{row.cohort}_{row.participant_id}_{row.test}_{row.trial}"
        fs = float(d.sampling_rate_hz)
        data = d.data_ss
        acc = data[["acc_x", "acc_y", "acc_z"]].to_numpy(float)
        gyr = np.radians(data[["gyr_x", "gyr_y", "gyr_z"]].to_numpy(float))  # mobgap's gyroscope is in deg/s
        ref = d.reference_parameters_
        ics = ref.ic_list
        pipe_cls = MobilisedPipelineHealthy if row.cohort == "HA" else MobilisedPipelineImpaired
        pipe = pipe_cls().safe_run(d)
        raw_ic = pipe.raw_ic_list_
        np.savez(out / f"{name}.npz", acc=acc, gyr=gyr, fs_hz=fs,
                 sensor_height_m=float(d.participant_metadata["sensor_height_m"]),
                 ref_ic_s=ics["ic"].to_numpy(float) / fs,
                 ref_ic_left=(ics["lr_label"].to_numpy(str) == "left").astype(int),
                 ref_wb=_wb_table(ref.wb_list, fs),
                 mobgap_ic_s=raw_ic["ic"].to_numpy(float) / fs if len(raw_ic) else np.zeros(0),
                 mobgap_ic_left=(raw_ic["lr_label"].to_numpy(str) == "left").astype(int) if len(raw_ic)
                 else np.zeros(0, int),
                 mobgap_wb=_wb_table(pipe.per_wb_parameters_, fs))
        trials.append({"trial": name, "cohort": row.cohort, "pipeline": pipe_cls.__name__})
        print(f"mobgap: {name} done ({pipe_cls.__name__})", flush=True)
    (out / "trials.json").write_text(json.dumps(trials, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
