"""Files in and out: generic CSV import, table and raw-sample export."""
