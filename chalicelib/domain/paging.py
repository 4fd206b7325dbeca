"""One page of a list (L1): what a repository returns and what a list route answers.

``start`` and ``next_key`` are the store's own position (DynamoDB's ``LastEvaluatedKey``); services
pass them through untouched and only the API edge turns them into an opaque, sealed cursor.
A page may hold fewer than ``limit`` items (even none) while ``next_key`` is set: the store stops
after reading ``limit`` items, and a filter may drop some of them. Only ``next_key is None`` means
the list is complete.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    start: dict[str, Any] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    next_key: dict[str, Any] | None = None

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.next_key)


def page_of_rows(rows: list[T], page: PageRequest) -> Page[T]:
    """A page of rows computed from one stored item (already bounded by the item's size), positioned
    by offset: for lists that are not a key range of the store."""
    start = int((page.start or {}).get("offset", 0))
    end = start + page.limit
    return Page(rows[start:end], {"offset": end} if end < len(rows) else None)
