"""`imu-logger analyze` (being built: see the issue tracker)."""

import click

from imu_logger.errors import UserError


@click.command()
def analyze() -> None:
    """Not available yet."""
    raise UserError("'analyze' is not available in this version")
