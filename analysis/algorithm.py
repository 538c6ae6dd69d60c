"""Base of the analysis's algorithm objects, in the style of gaitmap/tpcp.

An algorithm object holds its parameters, set in the constructor (units and sources documented
there) and never changed by running it. Its action method (``detect``, ``run``) computes from data
and stores the results in attributes with a trailing underscore, then returns the object.
``clone()`` gives a fresh object with the same parameters: run a clone when one parameter object is
shared between threads or recordings.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

_A = TypeVar("_A", bound="Algorithm")


class Algorithm:
    """Parameters in the constructor, an action method, results in ``name_`` attributes."""

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, by name."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def clone(self: _A) -> _A:
        """A new object with the same parameters and no results."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.get_params() == other.get_params()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(repr(v) for v in self.get_params().values())))
