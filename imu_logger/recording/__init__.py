"""The recording file: one MCAP file per session holding raw notification bytes, metadata and events."""
