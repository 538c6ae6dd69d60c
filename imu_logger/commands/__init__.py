"""CLI commands that live in their own modules (registered on the group in imu_logger.cli)."""
