"""Capture side of the ankle-motion logger: sensor protocols, BLE, recording format and CLI."""

__version__ = "0.1.0"
