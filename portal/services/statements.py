"""Statements built once and reused, so an event pays for running its queries, not for
building them.

SQLAlchemy remembers a statement's compiled form by a cache key that it computes from the
whole statement tree, and it remembers that key on the statement object itself. Building a
fresh statement on every call throws both away. A statement made here is built the first
time its conditions are seen and reused after that; what varies per call (the record's id)
is a bound parameter passed when it runs. The scope rule's conditions are themselves made
once per person (portal/services/scope.py), so the same person's statements are the same
objects from one event to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

S = TypeVar("S")

# Enough for every person of a large firm to have each of their statements kept.
MEMO = 8192


@dataclass(frozen=True, eq=False)
class Same:
    """An SQL element as a cache key: the same object is the same key. (Elements compare
    with `==` into SQL, so they cannot be keys themselves.)"""

    element: Any

    def __hash__(self) -> int:
        return id(self.element)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.element is self.element


def built(build: Callable[..., S]) -> Callable[..., S]:
    """`build(*elements)` makes a statement; the result makes it once per set of elements."""

    @lru_cache(maxsize=MEMO)
    def cached(*keys: Same) -> S:
        return build(*(key.element for key in keys))

    def get(*elements: Any) -> S:
        return cached(*(Same(element) for element in elements))

    return get
