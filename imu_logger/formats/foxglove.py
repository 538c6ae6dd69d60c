"""A recording as an MCAP file that Foxglove plots: the raw channels copied unchanged, plus the decoded
samples in Foxglove's own message schemas (``foxglove.Vector3``, protobuf, from the foxglove-sdk).

Per sensor ``P`` the topics are ``imu/P/acc_mps2`` (m/s², gravity included), ``imu/P/gyr_radps``
(rad/s) and, where the sensor has one, ``imu/P/mag_ut`` (µT): one message per sample, x/y/z on the
sensor's own axes, log time = the sample's wall-clock time (ns). Each channel's metadata states its
unit, quantity, frame and source channel. The raw channels (``raw/P``) and the session metadata stay
the source of truth: the file is still a recording that `imu-logger` reads, decodes and analyses.
Missing samples have no message, so a gap shows as a gap.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import zstandard
from foxglove.messages import Vector3
from mcap.exceptions import McapError
from mcap.records import Channel, Message, Metadata, Schema
from mcap.stream_reader import StreamReader
from mcap.writer import CompressionType, Writer

from analysis.columns import ACC, GYR, MAG, TIME
from imu_logger import __version__
from imu_logger.recording.writer import PROFILE

#: (topic suffix, sample columns, unit, quantity) of each decoded channel
QUANTITIES = (("acc_mps2", ACC, "m/s^2", "acceleration (gravity included)"),
              ("gyr_radps", GYR, "rad/s", "angular rate"),
              ("mag_ut", MAG, "uT", "magnetic field"))
DECODED_PREFIX = "imu/"


def _copy_recording(source: Path, writer: Writer) -> None:
    """Every schema, channel, message and metadata record of ``source`` into ``writer``, except
    decoded channels of an earlier export (written anew); a file cut short by a crash is copied up to
    its last complete record."""
    schemas: dict[int, int] = {0: 0}
    channels: dict[int, int | None] = {}
    try:
        with source.open("rb") as f:
            for record in StreamReader(f).records:
                if isinstance(record, Schema):
                    schemas[record.id] = writer.register_schema(record.name, record.encoding, record.data)
                elif isinstance(record, Channel) and record.id not in channels:
                    channels[record.id] = None if record.topic.startswith(DECODED_PREFIX) else (
                        writer.register_channel(record.topic, record.message_encoding,
                                                schemas[record.schema_id], record.metadata))
                elif isinstance(record, Message) and channels[record.channel_id] is not None:
                    writer.add_message(channels[record.channel_id], record.log_time, record.data,
                                       record.publish_time, record.sequence)
                elif isinstance(record, Metadata):
                    writer.add_metadata(record.name, record.metadata)
    except (McapError, EOFError, struct.error, ValueError, zstandard.ZstdError):
        pass  # a crash cut the recording inside a record: what came before is copied


def write_foxglove_mcap(source: Path, samples: dict[str, pd.DataFrame], start_wall_ns: int,
                        out: Path) -> dict[str, int]:
    """Write ``out``: ``source`` copied plus the decoded ``samples`` (placement → time_s from the
    session start, acc m/s², gyr rad/s, mag µT) as foxglove.Vector3 channels. Written beside
    ``out`` first and renamed when complete, so ``out`` is never a half-written file. Returns the
    decoded messages written per placement."""
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # health data: owner-only
    counts: dict[str, int] = {}
    try:
        with os.fdopen(fd, "wb") as f:
            writer = Writer(f, compression=CompressionType.ZSTD)
            writer.start(profile=PROFILE, library=f"imu-logger {__version__}")
            _copy_recording(source, writer)
            schema = Vector3.get_schema()
            schema_id = writer.register_schema(schema.name, schema.encoding, schema.data)
            for placement, data in samples.items():
                log_ns = start_wall_ns + np.round(data[TIME].to_numpy(float) * 1e9).astype(np.int64)
                n = 0
                for suffix, columns, unit, quantity in QUANTITIES:
                    if not set(columns) <= set(data.columns):
                        continue
                    channel = writer.register_channel(
                        f"{DECODED_PREFIX}{placement}/{suffix}", schema.encoding, schema_id,
                        {"unit": unit, "quantity": quantity, "frame": f"{placement} sensor axes",
                         "source": f"raw/{placement} decoded by imu-logger {__version__}"})
                    xyz = data[list(columns)].to_numpy(np.float64)
                    for t, (x, y, z) in zip(log_ns.tolist(), xyz.tolist()):
                        writer.add_message(channel, t, Vector3(x=x, y=y, z=z).encode(), t)
                    n += len(xyz)
                counts[placement] = n
            writer.finish()
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts

