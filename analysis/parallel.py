"""Running one function over a few items (sensors, sides) on the machine's cores, with threads.

Threads suffice because the heavy work is in compiled kernels (numba ``nogil``) and numpy calls that
release the GIL; processes would copy whole-day arrays.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

#: items processed at the same time (the target machine has 2 cores)
WORKERS = 2

_T = TypeVar("_T")
_R = TypeVar("_R")


def in_parallel(fn: Callable[[_T], _R], items: list[_T]) -> list[_R]:
    """fn over items, ``WORKERS`` at a time, results in order (exceptions re-raised)."""
    if len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(fn, items))
