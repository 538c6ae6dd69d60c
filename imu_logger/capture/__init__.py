"""Live capture: connect to sensors through bleak, stream, reconnect, write the recording."""
