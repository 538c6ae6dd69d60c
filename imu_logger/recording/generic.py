"""Payload of sensors imported from generic CSV files (no BLE model behind them).

Each notification holds up to :data:`ROWS_PER_NOTIFICATION` samples as little-endian float64 rows of
``time_s, acc_x..z (m/s²), gyr_x..z (rad/s), mag_x..z (µT, NaN if absent)``.
"""

from __future__ import annotations

import numpy as np

MODEL_KEY = "generic"
ROWS_PER_NOTIFICATION = 100
_WIDTH = 10


def pack_rows(rows: np.ndarray) -> list[bytes]:
    """Split an (n, 10) float array into notification payloads."""
    rows = np.ascontiguousarray(rows, dtype="<f8")
    return [rows[i:i + ROWS_PER_NOTIFICATION].tobytes()
            for i in range(0, rows.shape[0], ROWS_PER_NOTIFICATION)]


def unpack_rows(payloads: list[bytes]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """Rows (n, 10), the notification index of each row, and the payloads that were malformed."""
    good = [(i, p) for i, p in enumerate(payloads) if len(p) % (8 * _WIDTH) == 0 and p]
    bad = [(i, f"generic payload of {len(p)} bytes is not whole rows")
           for i, p in enumerate(payloads) if not (len(p) % (8 * _WIDTH) == 0 and p)]
    if not good:
        return np.zeros((0, _WIDTH)), np.zeros(0, np.int64), bad
    rows = np.frombuffer(b"".join(p for _, p in good), "<f8").reshape(-1, _WIDTH)
    index = np.repeat([i for i, _ in good], [len(p) // (8 * _WIDTH) for _, p in good])
    return rows, index.astype(np.int64), bad
