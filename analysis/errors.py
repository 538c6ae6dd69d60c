"""Errors that reach the user as one clear line: the CLI prints them without a traceback."""


class UserError(Exception):
    """A problem with the user's input (a file, an option, a sensor, a recording): the message names it."""
