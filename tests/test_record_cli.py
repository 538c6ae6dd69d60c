"""`scan` and `record` as a user runs them, on the virtual backend (real bleak + Bumble underneath)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import run_cli
from imu_logger.recording.reader import read_recording


def test_scan_lists_the_virtual_sensors_with_battery():
    r = run_cli("scan", "--backend", "virtual", "--timeout", "1.0")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 4
    assert {line.split()[0] for line in lines} == {"movella_dot", "open_nrf", "polar_verity", "witmotion"}
    assert all("dBm" in line and "battery 100%" in line for line in lines), r.output


def test_record_named_sensors_then_replay_them_byte_for_byte(tmp_path):
    first = tmp_path / "first.mcap"
    r = run_cli("record", "--backend", "virtual", "--sensor", "left_foot=thingy52",
                "--sensor", "right_foot=open_nrf", "--virtual-source", "simple",
                "--duration", "3", "--out", first)
    assert r.exit_code == 0, r.output
    assert "left_foot" in r.output and "right_foot" in r.output
    rec = read_recording(first)
    assert {p: s.model for p, s in rec.sensors.items()} == {"left_foot": "thingy52",
                                                            "right_foot": "open_nrf"}

    second = tmp_path / "replayed.mcap"
    r = run_cli("record", "--backend", "virtual", "--replay", first, "--duration", "2", "--out", second)
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
    assert run_cli("import", "csv", "--placement", f"left_foot={csv}", "--out", rec).exit_code == 0
    r = run_cli("record", "--backend", "virtual", "--replay", rec, "--duration", "1", "--out",
                tmp_path / "x.mcap")
    assert r.exit_code == 2 and "only BLE recordings can be replayed" in r.output
    r = run_cli("record", "--replay", rec, "--duration", "1", "--out", tmp_path / "x.mcap")
    assert r.exit_code == 2 and "--replay needs --backend virtual" in r.output


# A computer without Bluetooth, made real: BlueZ is reached over the D-Bus system bus, and this
# address points at a socket that does not exist (as on a machine with no bus or no BlueZ).
NO_BUS = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/imu-logger-test/system_bus_socket"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bleak reaches BlueZ over D-Bus on Linux")
@pytest.mark.parametrize("args", [
    ["scan", "--timeout", "1"],
    ["record", "--sensor", "left_shin=movella_dot", "--out", "day.mcap"],
    ["k2w", "--sensor", "left_shin=movella_dot", "--side", "left", "--yes", "--out", "k2w.mcap"],
])
def test_no_bluetooth_is_one_line_naming_the_virtual_backend_and_leaves_no_file(tmp_path, args):
    env = {**os.environ, **NO_BUS}
    r = subprocess.run([sys.executable, "-m", "imu_logger", *args], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "no Bluetooth" in errors[0] and "--backend virtual" in errors[0]
    assert list(tmp_path.iterdir()) == []  # no empty recording left behind


def test_an_existing_recording_is_never_replaced_without_overwrite(tmp_path):
    out = tmp_path / "day.mcap"
    out.write_bytes(b"a patient's day")
    r = run_cli("record", "--backend", "virtual", "--virtual-source", "simple", "--duration", "1",
                "--out", out)
    assert r.exit_code == 2 and "already exists; pass --overwrite" in r.output, r.output
    assert out.read_bytes() == b"a patient's day"
    r = run_cli("record", "--backend", "virtual", "--virtual-source", "simple", "--duration", "1",
                "--sensor", "left_foot=open_nrf", "--out", out, "--overwrite")
    assert r.exit_code == 0, r.output
    assert set(read_recording(out).sensors) == {"left_foot"}


def test_record_says_how_long_it_recorded_with_the_same_loss_numbers_as_info(tmp_path):
    out = tmp_path / "lossy.mcap"
    r = run_cli("record", "--backend", "virtual", "--virtual-source", "simple", "--duration", "3",
                "--sensor", "left_foot=witmotion", "--sensor", "right_foot=open_nrf", "--out", out)
    assert r.exit_code == 0, r.output
    assert re.search(r"recorded 3\.\d s to .*--duration reached; connecting the sensors took "
                     r"\d+\.\d s", r.output), r.output
    for placement in ("left_foot", "right_foot"):  # connection progress, sensor by sensor
        assert re.search(rf"{placement}: connected to .* in \d+\.\d s", r.output), r.output
    info = run_cli("info", out)
    assert info.exit_code == 0, info.output
    for placement in ("left_foot", "right_foot"):
        summary_line = next(line for line in r.output.splitlines() if line.strip().startswith(placement + " "))
        info_line = next(line for line in info.output.splitlines() if line.strip().startswith(placement + " "))
        assert summary_line.strip() == info_line.strip()


def test_the_status_shows_elapsed_time_file_size_and_each_sensor(tmp_path):
    from imu_logger.capture.config import RecordConfig
    from imu_logger.capture.job import record_session, virtual_specs

    cfg = RecordConfig(duration_s=3.0)
    shown: list[str] = []
    out = tmp_path / "status.mcap"
    record_session(cfg, out, "virtual", status=shown.append, specs=virtual_specs(cfg, "simple"))
    assert len(shown) >= 2  # once a second
    header, *sensors = shown[-1].splitlines()
    m = re.fullmatch(r"recording 0:00:0(\d)  status\.mcap (\d+) kB", header)
    assert m and int(m.group(1)) >= 1 and int(m.group(2)) > 0, header
    assert [line.split()[0] for line in sensors] == ["left_shin", "left_foot", "right_shin", "right_foot"]
    assert all(" ok " in line and " Hz " in line for line in sensors), sensors
