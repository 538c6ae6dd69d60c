"""Reading a CSV table of the project (results folders, CSV imports) with one clear error per problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.errors import UserError


def read_csv_table(path: Path, required: tuple[str, ...], *, absent: str, hint: str = "") -> pd.DataFrame:
    """A CSV file with the ``required`` columns; UserError naming the file when it is ``absent``
    (the message's tail), unreadable, or lacks a column (``hint`` appended)."""
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path}: {absent}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}{hint}")
    return df
