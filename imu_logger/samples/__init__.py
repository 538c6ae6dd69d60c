"""Recording to samples: decode raw notifications, place them on one time base, account for gaps."""
