"""`imu-logger import axivity`: a real AX6 .cwa (scikit-digital-health's test file, MIT; README in
tests/data/formats) read by skdh's maintained reader into a recording that analyses end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from conftest import cli_fails, cli_ok
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

AXIVITY = Path(__file__).parent / "data" / "formats" / "axivity"
G = 9.80665
#: the file's first timestamp and sample count, as in skdh's own truth file (ax6_data.npz)
FIRST_S, SAMPLES = 1572339786.3, 10360


def test_ax6_file_imports_in_si_units_and_analyses(tmp_path):
    rec = tmp_path / "ax6.mcap"
    cli_ok("import", "axivity", "--placement", f"left_shin={AXIVITY / 'ax6_sample.cwa'}", "--out", rec)
    recording = read_recording(rec)
    assert abs(recording.start_wall_ns - FIRST_S * 1e9) < 1e3
    shin = decode_recording(recording)["left_shin"]
    assert len(shin.data) == SAMPLES and shin.missing_samples == 0
    # the reader's authors' values (g, °/s) for the first 200 samples, in m/s² and rad/s
    truth = pd.read_csv(AXIVITY / "ax6_sample_truth_head.csv")
    head = shin.data.iloc[:len(truth)]
    # a hundredth of a sample period: the reader has since moved some timestamps by 50 µs
    np.testing.assert_allclose(head["time_s"], truth["time_from_first_s"], atol=1e-4)
    np.testing.assert_allclose(head[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]],
                               truth[["accel_x_g", "accel_y_g", "accel_z_g"]] * G, atol=5e-4)
    np.testing.assert_allclose(head[["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]],
                               np.deg2rad(truth[["gyro_x_dps", "gyro_y_dps", "gyro_z_dps"]]), atol=1e-5)
    norm = np.linalg.norm(shin.data[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]].to_numpy(float), axis=1)
    assert abs(np.median(norm) / G - 1) < 0.05  # gravity dominates: m/s², not g
    assert "mag_x_ut" not in shin.data  # an AX6 has no magnetometer
    cli_ok("analyze", rec, "--out", tmp_path / "res")
    assert (tmp_path / "res" / "strides.csv").is_file() and (tmp_path / "res" / "bouts.csv").is_file()


def test_files_it_cannot_import_get_one_line_errors(tmp_path):
    out = tmp_path / "x.mcap"
    ax3 = cli_fails("import", "axivity", "--placement", f"left_shin={AXIVITY / 'ax3_sample.cwa'}", "--out", out)
    assert ax3 == f"error: {AXIVITY / 'ax3_sample.cwa'}: no gyroscope data (an AX3, or an AX6 set to accelerometer only)"
    other = tmp_path / "x.cwa"
    other.write_bytes(b"PK\x03\x04" + bytes(600))
    assert "not an Axivity .cwa file" in cli_fails("import", "axivity", "--placement", f"left_shin={other}",
                                                  "--out", out)
    assert not out.exists()
