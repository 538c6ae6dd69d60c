"""`imu-logger import movella-dot`: the Movella DOT app's CSV export into recordings that analyse.

No exported DOT file with acceleration and angular rate was found in public repositories, so the
fixture is built from the documented layout: the DOT SDK's CSV logger (XsensDotLogger, which the DOT
app uses) writes ``sep=,``, then ``DeviceTag:``, ``FirmwareVersion:``, ``AppVersion:``,
``SyncStatus:``, ``OutputRate:,60Hz``, ``FilterProfile:``, ``Measurement Mode:``,
``StartTime:,yyyy-MM-dd HH:mm:ss.SSS Z`` and a copyright line, each padded with commas, a blank
line, and the columns of the measurement mode ("Custom Mode 5": PacketCounter, SampleTimeFine (µs),
Quat_W..Z, Acc_X..Z m/s², Gyr_X..Z °/s). The signals are IPOL trial 3-2's real ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from conftest import IPOL_FIXTURE, assert_gravity_at_rest, assert_ipol_3_2_strides, cli_fails, cli_ok
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

PAD = "," * 17
LOST = [700, 701, 702, 1500]  # packets that never reached the phone


def write_dot_csv(path: Path, foot: str, *, rate: int = 100, first_counter: int = 65000) -> pd.DataFrame:
    """A DOT app export of one IPOL foot file; the counter starts near its uint16 wrap."""
    raw = pd.read_csv(IPOL_FIXTURE / f"3-2_{foot}.txt", sep="\t", skiprows=1)
    raw = raw.drop(index=LOST).reset_index(drop=True)
    packet = (raw["PacketCounter"].astype(int) + first_counter) % 65536
    fine_us = (raw["PacketCounter"].astype(int) * (1_000_000 // rate) + 4_294_000_000) % (1 << 32)
    header = ["sep=,", f"DeviceTag:,{foot.upper()}{PAD}", f"FirmwareVersion:,2.6.0{PAD}",
              f"AppVersion:,2023.6.0{PAD}", f"SyncStatus:,Synced{PAD}", f"OutputRate:,{rate}Hz{PAD}",
              f"FilterProfile:,General{PAD}", f"Measurement Mode:,Custom Mode 5{PAD}",
              f"StartTime:,2023-05-05 17:39:47.307 +0200{PAD}", f"Movella Technologies B. V. 2005-2023,,{PAD}", ""]
    body = pd.DataFrame({"PacketCounter": packet, "SampleTimeFine": fine_us,
                         "Quat_W": 1.0, "Quat_X": 0.0, "Quat_Y": 0.0, "Quat_Z": 0.0,
                         "Acc_X": raw["Acc_X"], "Acc_Y": raw["Acc_Y"], "Acc_Z": raw["Acc_Z"],
                         "Gyr_X": np.rad2deg(raw["Gyr_X"]), "Gyr_Y": np.rad2deg(raw["Gyr_Y"]),
                         "Gyr_Z": np.rad2deg(raw["Gyr_Z"])})
    path.write_text("\n".join(header) + "\n" + body.to_csv(index=False, float_format="%.6f"))
    return raw


def test_dot_export_imports_in_si_units_with_gaps_and_analyses(tmp_path):
    feet = {p: write_dot_csv(tmp_path / f"{p}.csv", foot) for p, foot in (("left_foot", "lf"), ("right_foot", "rf"))}
    rec = tmp_path / "dot.mcap"
    out = cli_ok("import", "movella-dot", "--placement", f"left_foot={tmp_path / 'left_foot.csv'}",
             "--placement", f"right_foot={tmp_path / 'right_foot.csv'}", "--out", rec)
    assert "4 lost" in out
    recording = read_recording(rec)
    assert recording.start_wall_ns == int(pd.Timestamp("2023-05-05T15:39:47.307Z").value)
    samples = decode_recording(recording)
    for placement, raw in feet.items():
        s = samples[placement]
        assert s.rate_hz == 100.0 and len(s.data) == len(raw)
        # the trial's own lost packets plus 700-702 and 1500, across the counter's wrap at 65536
        jumps = np.diff(raw["PacketCounter"].to_numpy())
        assert s.gaps["missing_samples"].tolist() == (jumps[jumps > 1] - 1).astype(int).tolist()
        assert {3, 1} <= set(s.gaps["missing_samples"]) and s.missing_samples >= 4
        np.testing.assert_allclose(s.data[["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]],
                                   raw[["Gyr_X", "Gyr_Y", "Gyr_Z"]], atol=2e-8)  # °/s back to rad/s
        assert_gravity_at_rest(s.data)
    assert_ipol_3_2_strides(rec, tmp_path / "res")


def test_free_acceleration_only_is_refused(tmp_path):
    path = tmp_path / "free.csv"
    path.write_text(f"sep=,\nOutputRate:,60Hz{PAD}\n\nPacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,"
                    "FreeAcc_X,FreeAcc_Y,FreeAcc_Z\n1,100,0,0,0,0,0,0\n2,16767,0,0,0,0,0,0\n")
    line = cli_fails("import", "movella-dot", "--placement", f"left_foot={path}", "--out", tmp_path / "x.mcap")
    assert "FreeAcc has gravity removed" in line and "Acc_X" in line
