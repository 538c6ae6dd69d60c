"""`python -m imu_logger` is the same as the `imu-logger` command."""

from imu_logger.cli import main

main()
