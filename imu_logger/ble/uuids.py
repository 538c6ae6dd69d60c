"""UUID spellings: the models' lower-case 128-bit strings, Bumble's UUID objects, bleak's strings."""

from __future__ import annotations

import uuid as std_uuid

from bumble.core import UUID

#: Bluetooth SIG base UUID: 16-bit UUIDs are ``0000xxxx-0000-1000-8000-00805f9b34fb``
_SIG_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"

BATTERY_SERVICE = "0000180f" + _SIG_BASE_SUFFIX
BATTERY_LEVEL = "00002a19" + _SIG_BASE_SUFFIX
DEVICE_NAME = "00002a00" + _SIG_BASE_SUFFIX


def normalize(uuid: str) -> str:
    """The lower-case 128-bit form of a UUID given as 16-bit hex ("ffe5") or in full."""
    text = uuid.strip().lower()
    if len(text) == 4:
        return f"0000{text}{_SIG_BASE_SUFFIX}"
    if len(text) == 8:
        return f"{text}{_SIG_BASE_SUFFIX}"
    return str(std_uuid.UUID(text))


def to_bumble(uuid: str) -> UUID:
    """A Bumble UUID, 16-bit when the UUID is on the SIG base (as a real device declares it)."""
    full = normalize(uuid)
    if full.endswith(_SIG_BASE_SUFFIX) and full.startswith("0000"):
        return UUID.from_16_bits(int(full[4:8], 16))
    return UUID(full)


def from_bumble(uuid: UUID) -> str:
    """The lower-case 128-bit string of a Bumble UUID (bleak's spelling)."""
    return str(std_uuid.UUID(bytes=bytes(reversed(uuid.to_bytes(force_128=True)))))
