"""`scan` and `record` as a user runs them, on the virtual backend (real bleak + Bumble underneath)."""

from __future__ import annotations

from click.testing import CliRunner

from imu_logger.cli import cli
from imu_logger.recording.reader import read_recording


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_scan_lists_the_virtual_sensors_with_battery():
    r = run("scan", "--backend", "virtual", "--timeout", "1.0")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 4
    assert {line.split()[0] for line in lines} == {"movella_dot", "open_nrf", "polar_verity", "witmotion"}
    assert all("dBm" in line and "battery 100%" in line for line in lines), r.output


def test_record_named_sensors_then_replay_them_byte_for_byte(tmp_path):
    first = tmp_path / "first.mcap"
    r = run("record", "--backend", "virtual", "--sensor", "left_foot=thingy52",
            "--sensor", "right_foot=open_nrf", "--virtual-source", "simple",
            "--duration", "3", "--out", first)
    assert r.exit_code == 0, r.output
    assert "left_foot" in r.output and "right_foot" in r.output
    rec = read_recording(first)
    assert {p: s.model for p, s in rec.sensors.items()} == {"left_foot": "thingy52",
                                                            "right_foot": "open_nrf"}

    second = tmp_path / "replayed.mcap"
    r = run("record", "--backend", "virtual", "--replay", first, "--duration", "2", "--out", second)
    assert r.exit_code == 0, r.output
    again = read_recording(second)
    for placement, log in again.raw.items():
        original = rec.raw[placement].payloads
        assert len(log.payloads) > 20
        assert log.payloads == original[:len(log.payloads)], placement


def test_replay_of_a_csv_import_is_refused(tmp_path):
    csv = tmp_path / "lf.csv"
    csv.write_text("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n")
    rec = tmp_path / "imp.mcap"
    assert run("import", "csv", "--placement", f"left_foot={csv}", "--out", rec).exit_code == 0
    r = run("record", "--backend", "virtual", "--replay", rec, "--duration", "1", "--out",
            tmp_path / "x.mcap")
    assert r.exit_code == 2 and "only BLE recordings can be replayed" in r.output
    r = run("record", "--replay", rec, "--duration", "1", "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2 and "--replay needs --backend virtual" in r.output
