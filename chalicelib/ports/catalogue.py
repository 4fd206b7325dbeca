"""Schedule pages and entries (with their tickets and booked counts)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..domain.catalogue import Entry, SchedulePage
    from ..domain.paging import Page, PageRequest


class CatalogueStore(Protocol):
    def get_page(self, business_id: str, page_id: str) -> SchedulePage: ...

    def list_pages(self, business_id: str) -> list[SchedulePage]: ...

    def pages_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[SchedulePage]: ...

    def save_page(self, page: SchedulePage) -> None: ...

    def delete_page(self, business_id: str, page_id: str) -> None: ...

    def get_entry(self, business_id: str, entry_id: str, consistent: bool = False) -> Entry:
        """``consistent``: a strongly consistent read (X2: a join re-reads the places after writing its count)."""
        ...

    def entries_on_page(self, business_id: str, page_id: str) -> list[Entry]: ...

    def entries_page(self, business_id: str, page_id: str, page: PageRequest, published_only: bool) -> Page[Entry]:
        """One page of the entries on a schedule page, by start time."""
        ...

    def entries_in_series(self, business_id: str, series_id: str) -> list[Entry]: ...

    def save_entry(self, entry: Entry) -> None: ...

    def save_entries(self, entries: Iterable[Entry]) -> None: ...

    def update_entry(self, before: Entry, after: Entry) -> None:
        """Write ``after`` unless the entry changed since ``before`` was read (booked count included)."""
        ...

    def delete_entry(self, business_id: str, entry_id: str) -> None: ...
