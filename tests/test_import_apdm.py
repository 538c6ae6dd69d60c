"""`imu-logger import apdm`: APDM Opal .h5 (file format v5) into recordings that analyse end to end.

No real APDM file with a public licence could be found (scikit-digital-health's test file is not in
its repository's stored snapshot), so the fixture is built from APDM's documented v5 layout, carrying
the real IPOL trial 3-2 signals (tests/data/ipol_feet) as three synchronised Opals."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from conftest import IPOL_FIXTURE, assert_gravity_at_rest, assert_ipol_3_2_strides, cli_fails, cli_ok
from imu_logger.formats.apdm_h5 import read_apdm_h5
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

START_US = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z
LOST = slice(1000, 1012)  # twelve samples of the left foot never reached the file


def write_apdm(path: Path, *, version: int = 5) -> dict[str, pd.DataFrame]:
    """An APDM v5 file: Opals labelled Left Foot, Right Foot and Upper Arm, carrying IPOL 3-2's
    signals at the 100 Hz they were sampled at."""
    feet = {}
    with h5py.File(path, "w") as f:
        f.attrs["FileFormatVersion"] = np.int32(version)
        for sensor_id, label, foot in (("XI-000101", "Left Foot", "lf"), ("XI-000102", "Right Foot", "rf"),
                                       ("XI-000103", "Upper Arm", "lf")):
            raw = pd.read_csv(IPOL_FIXTURE / f"3-2_{foot}.txt", sep="\t", skiprows=1)
            time_us = START_US + (raw["PacketCounter"].to_numpy() * 10_000).astype(np.uint64)
            keep = np.ones(len(raw), bool)
            if label == "Left Foot":
                keep[LOST] = False
            raw, time_us = raw[keep].reset_index(drop=True), time_us[keep]
            g = f.create_group(f"Sensors/{sensor_id}")
            g["Accelerometer"] = raw[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(np.float32)
            g["Gyroscope"] = raw[["Gyr_X", "Gyr_Y", "Gyr_Z"]].to_numpy(np.float32)
            g["Magnetometer"] = (raw[["Mag_X", "Mag_Y", "Mag_Z"]].to_numpy() * 48.0).astype(np.float32)
            g["Time"] = time_us
            config = g.create_group("Configuration")
            config.attrs["Label 0"] = np.bytes_(label)
            config.attrs["Sample Rate"] = np.uint16(100)
            feet[label] = raw.assign(time_us=time_us)
    return feet


def test_apdm_file_imports_with_labels_mapped_and_analyses(tmp_path):
    h5 = tmp_path / "opal.h5"
    feet = write_apdm(h5)
    rec = tmp_path / "opal.mcap"
    out = cli_ok("import", "apdm", h5, "--placement", "Left Foot=left_foot", "--placement", "Right Foot=right_foot",
                 "--out", rec)
    assert "12 lost" in out
    recording = read_recording(rec)
    assert recording.start_wall_ns == START_US * 1000
    samples = decode_recording(recording)
    assert set(samples) == {"left_foot", "right_foot"}
    left = samples["left_foot"]
    assert len(left.data) == len(feet["Left Foot"]) and left.missing_samples == 12 and len(left.gaps) == 1
    np.testing.assert_allclose(left.data["time_s"], (feet["Left Foot"]["time_us"] - START_US) * 1e-6, atol=1e-6)
    np.testing.assert_allclose(left.data[["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]],
                               feet["Left Foot"][["Gyr_X", "Gyr_Y", "Gyr_Z"]], rtol=1e-6, atol=1e-6)
    assert np.nanmedian(np.linalg.norm(left.data[["mag_x_ut", "mag_y_ut", "mag_z_ut"]], axis=1)) > 20  # µT
    assert_gravity_at_rest(left.data)
    assert_ipol_3_2_strides(rec, tmp_path / "res")


def test_usual_labels_map_by_name_and_unknown_ones_are_left_out(tmp_path):
    h5 = tmp_path / "opal.h5"
    write_apdm(h5)
    cli_ok("import", "apdm", h5, "--out", tmp_path / "auto.mcap")  # Left Foot, Right Foot; Upper Arm left out
    assert set(read_recording(tmp_path / "auto.mcap").sensors) == {"left_foot", "right_foot"}
    labels = {s.label: s.sensor_id for s in read_apdm_h5(h5)}
    assert labels == {"Left Foot": "XI-000101", "Right Foot": "XI-000102", "Upper Arm": "XI-000103"}
    cli_ok("import", "apdm", h5, "--placement", "XI-000103=left_shin", "--out", tmp_path / "id.mcap")
    assert set(read_recording(tmp_path / "id.mcap").sensors) == {"left_shin"}


def test_malformed_apdm_files_get_one_line_errors(tmp_path):
    old = tmp_path / "v4.h5"
    write_apdm(old, version=4)
    assert "version 4" in cli_fails("import", "apdm", old, "--out", tmp_path / "a.mcap")
    h5 = tmp_path / "opal.h5"
    write_apdm(h5)
    assert "'Left Knee'" in cli_fails("import", "apdm", h5, "--placement", "Left Knee=left_foot",
                                      "--out", tmp_path / "b.mcap")
    with h5py.File(h5, "a") as f:
        del f["Sensors/XI-000102/Gyroscope"]
    line = cli_fails("import", "apdm", h5, "--out", tmp_path / "c.mcap")
    assert str(h5) in line and "XI-000102 lacks Gyroscope" in line
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    assert "not an HDF5 file" in cli_fails("import", "apdm", text, "--out", tmp_path / "d.mcap")
