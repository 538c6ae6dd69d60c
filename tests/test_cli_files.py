"""The file-level commands as a user runs them: import csv, info, export --raw, and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli


def _generic_csv(path, n=500, fs=100.0, deg=False, seed=0):
    rng = np.random.default_rng(seed)
    t = 3.0 + np.arange(n) / fs
    df = pd.DataFrame({"time_s": t})
    for i, axis in enumerate("xyz"):
        df[f"acc_{axis}"] = rng.normal(0, 1, n) + (9.80665 if axis == "z" else 0)
    for axis in "xyz":
        df[f"gyr_{axis}"] = rng.normal(0, 0.5, n) * (180 / np.pi if deg else 1)
    df.to_csv(path, index=False)
    return df


def test_import_info_export_round_trip(tmp_path):
    left = _generic_csv(tmp_path / "lf.csv", seed=1)
    right = _generic_csv(tmp_path / "rf.csv", deg=True, seed=2)
    rec = tmp_path / "rec.mcap"
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'lf.csv'}", "--out", rec)
    assert r.exit_code == 0, r.output
    assert "left_foot: 500 samples" in r.output
    r = run_cli("import", "csv", "--placement", f"right_foot={tmp_path / 'rf.csv'}",
                "--gyro-unit", "deg/s", "--out", tmp_path / "rec2.mcap")
    assert r.exit_code == 0, r.output

    r = run_cli("info", rec)
    assert r.exit_code == 0, r.output
    assert "left_foot" in r.output and "500 samples" in r.output and "0 missing" in r.output

    out = tmp_path / "export"
    r = run_cli("export", rec, "--raw", "--format", "csv", "--out", out)
    assert r.exit_code == 0, r.output
    back = pd.read_csv(out / "left_foot.csv")
    assert list(back.columns) == ["time_s", "wall_iso", "acc_x_mps2", "acc_y_mps2", "acc_z_mps2", "gyr_x_radps",
                                  "gyr_y_radps", "gyr_z_radps"]  # units in the names, like every table
    assert back["wall_iso"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$").all()
    np.testing.assert_allclose(back["time_s"], left["time_s"] - 3.0, atol=1e-6)
    np.testing.assert_allclose(back[["acc_x_mps2", "gyr_z_radps"]], left[["acc_x", "gyr_z"]], rtol=1e-5, atol=1e-5)

    r = run_cli("export", tmp_path / "rec2.mcap", "--raw", "--out", tmp_path / "e2")
    back = pd.read_csv(tmp_path / "e2" / "right_foot.csv")
    np.testing.assert_allclose(back["gyr_y_radps"], np.deg2rad(right["gyr_y"]), rtol=1e-5, atol=1e-6)
    r = run_cli("import", "csv", "--placement", f"right_foot={tmp_path / 'e2' / 'right_foot.csv'}",
                "--out", tmp_path / "again.mcap")  # the export imports back as it is
    assert r.exit_code == 0 and "right_foot: 500 samples" in r.output, r.output


def test_acceleration_in_g_declared_as_mps2_is_an_error_naming_the_unit(tmp_path):
    df = _generic_csv(tmp_path / "g.csv", seed=3)
    df[["acc_x", "acc_y", "acc_z"]] /= 9.80665  # a file in g
    df.to_csv(tmp_path / "g.csv", index=False)
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'g.csv'}", "--out", tmp_path / "g.mcap")
    assert r.exit_code == 2 and "g.csv: the acceleration at rest reads 1" in r.output
    assert "look like g (pass --acc-unit g)" in r.output and not (tmp_path / "g.mcap").exists()
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'g.csv'}", "--acc-unit", "g",
                "--out", tmp_path / "g.mcap")
    assert r.exit_code == 0, r.output
    _generic_csv(tmp_path / "si.csv", seed=4)  # a file in m/s²
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'si.csv'}", "--acc-unit", "g",
                "--out", tmp_path / "si.mcap")
    assert r.exit_code == 2 and "look like m/s² (do not pass --acc-unit g)" in r.output


@pytest.mark.parametrize("content, message", [
    ("time_s,acc_x\n0,1\n", "missing column(s) acc_y"),
    ("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,4,5,6\n0.01,1,2,x,4,5,6\n",
     "line 3 has a missing or non-numeric value"),
    ("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,4,5,6\n0,1,2,3,4,5,6\n",
     "time_s must increase"),
])
def test_import_bad_csv_names_the_file(tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    r = run_cli("import", "csv", "--placement", f"left_foot={bad}", "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2
    assert "bad.csv" in r.output and message in r.output
    assert "Traceback" not in r.output


def test_bad_placement_and_missing_file(tmp_path):
    r = run_cli("import", "csv", "--placement", "left_knee=x.csv", "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2 and "unknown placement 'left_knee'" in r.output
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'nope.csv'}", "--out",
                tmp_path / "x.mcap")
    assert r.exit_code == 2 and "nope.csv: file not found" in r.output


def test_info_on_foreign_and_truncated_files(tmp_path):
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    r = run_cli("info", junk)
    assert r.exit_code == 2 and "photo.jpg: not an imu-logger recording" in r.output
    _generic_csv(tmp_path / "lf.csv")
    rec = tmp_path / "rec.mcap"
    run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'lf.csv'}", "--out", rec)
    data = rec.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[:60])
    r = run_cli("info", cut)
    assert r.exit_code == 2 and "cut.mcap: recording is cut short" in r.output


@pytest.mark.parametrize("toml, message", [
    ('[[sensors]]\nplacement = "left_foot"\nmodel = "fitbit"\n', "unknown sensor model 'fitbit'"),
    ('[[sensors]]\nplacement = "elbow"\nmodel = "witmotion"\n', "unknown placement 'elbow'"),
    ('subject_id = "x"\n', "no [[sensors]] entries"),
    ('[[sensors]\n', "not valid TOML"),
    ('[[sensors]]\nplacement = "left_foot"\nmodel = "witmotion"\nrate_hz = -5\n',
     "rate_hz must be a positive number"),
    ('colour = 3\n[[sensors]]\nplacement = "left_foot"\nmodel = "witmotion"\n', "unknown key(s) colour"),
])
def test_record_bad_config_is_one_clear_line(tmp_path, toml, message):
    cfg = tmp_path / "session.toml"
    cfg.write_text(toml)
    r = run_cli("record", "--config", cfg, "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2
    assert "session.toml" in r.output and message in r.output
    assert "Traceback" not in r.output


def test_record_unknown_sensor_option(tmp_path):
    r = run_cli("record", "--sensor", "left_foot=acme9000", "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2
    assert "--sensor left_foot=acme9000: unknown sensor model 'acme9000'" in r.output


def test_simulate_and_import_refuse_to_replace_existing_files(tmp_path):
    out = tmp_path / "sim.mcap"
    r = run_cli("simulate", "--minutes", "0.1", "--out", out)
    assert r.exit_code == 0, r.output
    first = out.read_bytes()
    r = run_cli("simulate", "--minutes", "0.1", "--seed", "3", "--out", out)
    assert r.exit_code == 2 and f"--out {out}: file already exists; pass --overwrite" in r.output
    assert out.read_bytes() == first
    out.unlink()  # the truth tables beside it are still there, and are protected too
    r = run_cli("simulate", "--minutes", "0.1", "--seed", "3", "--out", out)
    assert r.exit_code == 2 and "sim_truth: directory already exists" in r.output, r.output
    r = run_cli("simulate", "--minutes", "0.1", "--seed", "3", "--out", out, "--overwrite")
    assert r.exit_code == 0 and out.read_bytes() != first

    _generic_csv(tmp_path / "lf.csv")
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'lf.csv'}", "--out", out)
    assert r.exit_code == 2 and "already exists; pass --overwrite" in r.output
    r = run_cli("import", "csv", "--placement", f"left_foot={tmp_path / 'lf.csv'}", "--out", out,
                "--overwrite")
    assert r.exit_code == 0, r.output
