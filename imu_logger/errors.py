"""Errors that reach the user as one clear line (the CLI prints them without a traceback)."""

from analysis.errors import UserError  # one error type for the whole path, defined where the data path ends

__all__ = ["DecodeError", "UserError"]


class DecodeError(ValueError):
    """Bytes that do not form a valid frame of the sensor model named in the message."""
