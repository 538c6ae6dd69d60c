"""`imu-logger import xsens`: MT Manager text exports into recordings that analyse end to end.

Real files: the shipped IPOL trials (MTw Awinda via MT Manager, tests/data/ipol_feet) and OpenSim's
MT Manager 4.6 / 2020 / 2022 exports (tests/data/formats/xsens, README there)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import IPOL_FIXTURE, cli_fails, cli_ok
from imu_logger.formats.xsens_text import read_xsens_text
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

XSENS = Path(__file__).parent / "data" / "formats" / "xsens"
G = 9.80665


def import_trial(tmp_path: Path, trial: str) -> Path:
    rec = tmp_path / f"{trial}.mcap"
    cli_ok("import", "xsens", "--placement", f"left_foot={IPOL_FIXTURE / f'{trial}_lf.txt'}",
           "--placement", f"right_foot={IPOL_FIXTURE / f'{trial}_rf.txt'}", "--out", rec)
    return rec


def ipol_counters(trial: str, foot: str) -> np.ndarray:
    return pd.read_csv(IPOL_FIXTURE / f"{trial}_{foot}.txt", sep="\t", skiprows=1)["PacketCounter"].to_numpy()


def test_ipol_trial_imports_and_analyses_to_the_reference_strides(tmp_path):
    rec = import_trial(tmp_path, "3-2")
    cli_ok("analyze", rec, "--out", tmp_path / "res")
    strides = pd.read_csv(tmp_path / "res" / "strides.csv")
    meta = json.loads((IPOL_FIXTURE / "3-2.json").read_text())
    first = min(ipol_counters("3-2", "lf")[0], ipol_counters("3-2", "rf")[0])
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        heel_strikes = (np.asarray(meta[key])[:, 1] - first) / 100.0  # packet numbers at 100 Hz
        found = strides[strides["side"] == side]["start_s"].to_numpy()
        # every reference stride but the first and last of each walk is found (U-turn splits the walk)
        assert len(heel_strikes) - 4 <= len(found) <= len(heel_strikes)
        error = np.abs(found[:, None] - heel_strikes[None, :]).min(axis=1)
        assert np.median(error) < 0.05, f"{side}: initial contacts off by {np.median(error):.3f} s"


def test_units_and_gaps_come_from_the_file(tmp_path):
    rec = import_trial(tmp_path, "3-6")
    samples = decode_recording(read_recording(rec))
    for foot, placement in (("lf", "left_foot"), ("rf", "right_foot")):
        counter = ipol_counters("3-6", foot)
        s = samples[placement]
        assert len(s.data) == len(counter)  # nothing interpolated, nothing dropped
        jumps = np.diff(counter)
        assert len(s.gaps) == int((jumps > 1).sum()) > 0
        assert s.missing_samples == int((jumps[jumps > 1] - 1).sum())
        # the trial starts standing: gravity alone, in m/s² (this trial's sensors read 3-6 % high:
        # far from g's factor 9.8), and rad/s near zero
        still = s.data.iloc[:100]
        norm = np.linalg.norm(still[["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]].to_numpy(float), axis=1)
        assert abs(np.median(norm) / G - 1) < 0.1
        assert np.abs(still[["gyr_x_radps", "gyr_y_radps", "gyr_z_radps"]].to_numpy(float)).max() < 0.2
        assert s.rate_hz == 100.0
    # the two Awinda sensors share the packet counter, so their times stay aligned
    first = min(ipol_counters("3-6", "lf")[0], ipol_counters("3-6", "rf")[0])
    expected = (ipol_counters("3-6", "rf") - first) / 100.0
    np.testing.assert_allclose(samples["right_foot"].data["time_s"], expected, atol=1e-6)


def test_axes_are_kept_and_magnetometer_needs_the_field_strength(tmp_path):
    raw = pd.read_csv(IPOL_FIXTURE / "3-2_lf.txt", sep="\t", skiprows=1)
    plain = read_xsens_text(IPOL_FIXTURE / "3-2_lf.txt")
    np.testing.assert_array_equal(plain.rows[:, 1:7], raw[["Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y",
                                                          "Gyr_Z"]].to_numpy())
    assert np.isnan(plain.rows[:, 7:]).all()
    with_mag = read_xsens_text(IPOL_FIXTURE / "3-2_lf.txt", mag_scale=48.0)
    np.testing.assert_allclose(with_mag.rows[:, 7:], raw[["Mag_X", "Mag_Y", "Mag_Z"]].to_numpy() * 48.0)


@pytest.mark.parametrize("name", ["COMMA", "SEMICOLON", "SPACE"])
def test_mt_manager_2022_separators_read_alike(name):
    tab = read_xsens_text(XSENS / "MT2022_ACC_GYRO_ROT_ALL_TAB_NAN_00B42D4B.txt", rate_hz=60.0)
    other = read_xsens_text(XSENS / f"MT2022_ACC_GYRO_ROT_MAT_{name}_00B42D4B.txt", rate_hz=60.0)
    assert other.device == "00B42D4B" and len(other.rows) == 5
    # the tab file's first sample has a NaN acceleration: that sample is absent, never filled
    assert len(tab.rows) == 4
    np.testing.assert_array_equal(other.rows[1:], tab.rows)
    np.testing.assert_allclose(other.rows[0, 1:7], [0.074225, -0.040975, 9.922524, 0.003078, 0.004280,
                                                    0.002706])
    np.testing.assert_allclose(np.diff(other.rows[:, 0]), 1 / 60.0)


def test_mt_manager_4_headers_give_the_rate_and_time():
    mt46 = read_xsens_text(XSENS / "MT46_01-000_00B42D4D.txt")  # "// Update Rate: 100.0Hz", empty fields
    assert mt46.rate_hz == 100.0 and mt46.device == "00B42D4D"
    np.testing.assert_allclose(mt46.rows[:, 0], np.arange(4097, 4102) / 100.0)
    old = read_xsens_text(XSENS / "test1_00B421E6.txt")  # no SampleTimeFine column at all
    assert old.rate_hz == 100.0 and len(old.rows) == 3
    deg = read_xsens_text(XSENS / "test1_00B421E6.txt", gyro_unit="deg/s")
    np.testing.assert_allclose(deg.rows[:, 4:7], old.rows[:, 4:7] * np.pi / 180.0)


def test_counter_wrap_and_jump(tmp_path):
    path = tmp_path / "wrap.txt"
    counters = [65533, 65534, 65535, 0, 1, 4, 5]  # uint16 wrap, then two packets lost
    path.write_text("// Update Rate: 100.0Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\tGyr_Z\n"
                    + "".join(f"{c:05d}\t0\t0\t9.81\t0\t0\t0\n" for c in counters))
    table = read_xsens_text(path)
    np.testing.assert_allclose(np.diff(table.rows[:, 0]), [0.01, 0.01, 0.01, 0.01, 0.03, 0.01])
    assert table.lost_samples == 2
    rec = tmp_path / "wrap.mcap"
    cli_ok("import", "xsens", "--placement", f"left_foot={path}", "--out", rec)
    gaps = decode_recording(read_recording(rec))["left_foot"].gaps
    assert gaps["missing_samples"].tolist() == [2]


def test_malformed_files_get_one_line_errors(tmp_path):
    out = tmp_path / "x.mcap"
    acc_only = XSENS / "MT_01200312-002-000_00B474BA.txt"
    assert "Gyr_X" in cli_fails("import", "xsens", "--placement", f"left_foot={acc_only}", "--out", out)
    no_rate = XSENS / "MT2022_ACC_GYRO_ROT_MAT_COMMA_00B42D4B.txt"
    assert "--rate" in cli_fails("import", "xsens", "--placement", f"left_foot={no_rate}", "--out", out)
    cli_ok("import", "xsens", "--placement", f"left_foot={no_rate}", "--rate", "60", "--out", out)
    assert "exists" in cli_fails("import", "xsens", "--placement", f"left_foot={no_rate}", "--rate", "60",
                                 "--out", out)
    text = (IPOL_FIXTURE / "3-2_lf.txt").read_text().splitlines()
    text[5] = text[5].replace("\t", "\tabc", 1)
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(text))
    line = cli_fails("import", "xsens", "--placement", f"left_foot={bad}", "--out", tmp_path / "y.mcap")
    assert str(bad) in line and "line 6" in line
    binary = tmp_path / "log.mtb"
    binary.write_bytes(bytes(range(256)) * 4)
    assert str(binary) in cli_fails("import", "xsens", "--placement", f"left_foot={binary}", "--out",
                                    tmp_path / "z.mcap")
    assert "unknown placement 'left_knee'" in cli_fails("import", "xsens", "--placement",
                                                        f"left_knee={no_rate}", "--out", tmp_path / "k.mcap")


@settings(max_examples=60, deadline=None)
@given(start=st.integers(0, 65535), steps=st.lists(st.integers(1, 300), min_size=1, max_size=60),
       rate=st.sampled_from([40.0, 60.0, 100.0, 120.0]))
def test_any_counter_sequence_gives_its_times_and_losses(tmp_path_factory, start, steps, rate):
    counters = start + np.r_[0, np.cumsum(steps)]  # unwrapped; written as the uint16 the device sends
    path = tmp_path_factory.mktemp("h") / "x.txt"
    path.write_text(f"// Update Rate: {rate}Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\tGyr_Z\n"
                    + "".join(f"{c % 65536:05d}\t0\t0\t9.81\t0.1\t0\t0\n" for c in counters))
    table = read_xsens_text(path)
    np.testing.assert_allclose(table.rows[:, 0] - table.rows[0, 0], (counters - counters[0]) / rate, atol=1e-9)
    assert table.lost_samples == sum(steps) - len(steps)


def test_rate_from_sample_time_fine_where_the_header_has_none(tmp_path):
    """MT Manager 2020+ states no rate: SampleTimeFine (10 kHz ticks; µs on a DOT) gives it,
    across its uint32 wrap."""
    from imu_logger.formats.xsens_text import FINE_TICKS_DOT
    columns = "PacketCounter\tSampleTimeFine\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\tGyr_Z\n"
    for ticks_per_s, rate in ((10_000.0, 60.0), (FINE_TICKS_DOT, 120.0)):
        fine = (np.arange(10) * ticks_per_s / rate + 2**32 - 3 * ticks_per_s / rate) % 2**32
        path = tmp_path / f"{rate}.txt"
        path.write_text("// General information:\n" + columns
                        + "".join(f"{i}\t{f:.0f}\t0\t0\t9.81\t0\t0\t0\n" for i, f in enumerate(fine)))
        table = read_xsens_text(path, fine_ticks_per_s=ticks_per_s)
        assert table.rate_hz == rate
        np.testing.assert_allclose(np.diff(table.rows[:, 0]), 1 / rate)
