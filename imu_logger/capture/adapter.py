"""This computer's Bluetooth adapter: a missing one is a clear message, not a traceback."""

from __future__ import annotations

import contextlib
from typing import Iterator

from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError

from imu_logger.errors import UserError

HINT = "to try imu-logger without sensors, add --backend virtual (built-in virtual sensors)"


@contextlib.contextmanager
def bluetooth_available() -> Iterator[None]:
    """Turn "there is no usable Bluetooth here" into one UserError that says what is missing.

    On Linux bleak talks to BlueZ over the D-Bus system bus: no bus socket gives
    FileNotFoundError or ConnectionRefusedError, no BlueZ service a ServiceUnknown D-Bus error; bleak
    itself raises BleakBluetoothNotAvailableError when there is no adapter, or it is off or denied.
    """
    try:
        yield
    except BleakBluetoothNotAvailableError as exc:
        raise UserError(f"Bluetooth not available: {exc}; {HINT}") from None
    except (FileNotFoundError, ConnectionRefusedError):
        raise UserError("no Bluetooth on this computer (the D-Bus system bus that BlueZ uses is not "
                        f"running); {HINT}") from None
    except BleakDBusError as exc:
        if exc.dbus_error != "org.freedesktop.DBus.Error.ServiceUnknown":
            raise
        raise UserError(f"no Bluetooth service on this computer (BlueZ is not running); {HINT}") from None
