"""`imu-logger report` (being built: see the issue tracker)."""

import click

from imu_logger.errors import UserError


@click.command()
def report() -> None:
    """Not available yet."""
    raise UserError("'report' is not available in this version")
