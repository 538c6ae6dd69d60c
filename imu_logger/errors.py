"""Errors that reach the user as one clear line (the CLI prints them without a traceback)."""


class UserError(Exception):
    """A problem with the user's input: a file, an option, a sensor. The message names it."""


class DecodeError(ValueError):
    """Bytes that do not form a valid frame of the sensor model named in the message."""
