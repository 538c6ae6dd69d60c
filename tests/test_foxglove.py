"""`export --format mcap`: decoded samples in Foxglove's schemas beside the raw channels, read back with
an independent reader (the mcap package's reader and the mcap-protobuf-support decoder, which builds
the message classes from the schema stored in the file, not from foxglove-sdk)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mcap.reader import make_reader
from mcap_protobuf.decoder import DecoderFactory

from conftest import IPOL_FIXTURE, cli_ok
from imu_logger.recording.reader import read_recording
from imu_logger.samples.decode import decode_recording

QUANTITIES = {"acc_mps2": (("acc_x_mps2", "acc_y_mps2", "acc_z_mps2"), "m/s^2"),
              "gyr_radps": (("gyr_x_radps", "gyr_y_radps", "gyr_z_radps"), "rad/s")}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("fox")
    rec = tmp / "3-6.mcap"  # packets lost: gaps in the decoded channels too
    cli_ok("import", "xsens", "--placement", f"left_foot={IPOL_FIXTURE / '3-6_lf.txt'}",
           "--placement", f"right_foot={IPOL_FIXTURE / '3-6_rf.txt'}", "--out", rec)
    cli_ok("export", rec, "--format", "mcap", "--out", tmp / "out")
    return rec, tmp / "out" / "3-6.mcap"


def test_every_decoded_message_matches_the_samples(exported):
    rec, out = exported
    recording = read_recording(rec)
    samples = decode_recording(recording)
    seen: dict[str, list] = {}
    with out.open("rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        topics = [c.topic for c in reader.get_summary().channels.values() if c.topic.startswith("imu/")]
        assert sorted(topics) == sorted(f"imu/{p}/{q}" for p in ("left_foot", "right_foot") for q in QUANTITIES)
        for schema, channel, message, decoded in reader.iter_decoded_messages(topics=topics):
            assert schema.name == "foxglove.Vector3" and schema.encoding == "protobuf"
            assert channel.metadata["unit"] == QUANTITIES[channel.topic.rsplit("/", 1)[1]][1]
            seen.setdefault(channel.topic, []).append((message.log_time, decoded.x, decoded.y, decoded.z))
    for topic, values in seen.items():
        _, placement, quantity = topic.split("/")
        data = samples[placement].data
        got = np.asarray(values)
        assert len(got) == len(data)  # one message per sample: nothing filled into the gaps
        wall = recording.start_wall_ns + np.round(data["time_s"].to_numpy() * 1e9)
        np.testing.assert_allclose(got[:, 0], wall, atol=1e3)  # log time: the sample's wall clock, ns
        np.testing.assert_allclose(got[:, 1:], data[list(QUANTITIES[quantity][0])].to_numpy(float), rtol=1e-6)


def test_raw_channels_are_copied_byte_for_byte(exported):
    rec, out = exported

    def raw(path: Path) -> list[tuple[str, int, bytes]]:
        with path.open("rb") as f:
            return [(c.topic, m.log_time, m.data) for _, c, m in make_reader(f).iter_messages()
                    if not c.topic.startswith("imu/")]

    assert raw(out) == raw(rec)
    assert read_recording(out).session == read_recording(rec).session
    assert out.stat().st_mode & 0o777 == 0o600
    assert not list(out.parent.glob("*.partial"))


def test_the_exported_file_still_analyses(exported, tmp_path):
    _, out = exported
    cli_ok("analyze", out, "--out", tmp_path / "res")
    strides = pd.read_csv(tmp_path / "res" / "strides.csv")
    meta = json.loads((IPOL_FIXTURE / "3-6.json").read_text())
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        assert len(meta[key]) - 5 <= (strides["side"] == side).sum() <= len(meta[key])
    # a results folder exports the recording behind it (here the exported file: its decoded
    # channels are written anew, not twice)
    cli_ok("export", tmp_path / "res", "--format", "mcap", "--out", tmp_path / "again")

    def topics(path: Path) -> list[str]:
        with path.open("rb") as f:
            return sorted(c.topic for c in make_reader(f).get_summary().channels.values())

    assert topics(tmp_path / "again" / out.name) == topics(out)


def test_a_recording_cut_by_a_crash_exports_up_to_the_cut(exported, tmp_path):
    rec, _ = exported
    cut = tmp_path / "cut.mcap"
    data = rec.read_bytes()
    cut.write_bytes(data[:int(len(data) * 0.6)])
    cli_ok("export", cut, "--format", "mcap", "--out", tmp_path / "out")
    samples = decode_recording(read_recording(cut))
    with (tmp_path / "out" / "cut.mcap").open("rb") as f:
        counts: dict[str, int] = {}
        for _, channel, _ in make_reader(f).iter_messages(topics=["imu/left_foot/acc_mps2",
                                                                   "imu/right_foot/acc_mps2"]):
            counts[channel.topic] = counts.get(channel.topic, 0) + 1
    assert counts == {f"imu/{p}/acc_mps2": len(s.data) for p, s in samples.items() if len(s.data)}
    assert 0 < sum(counts.values()) < 3856 + 3922
