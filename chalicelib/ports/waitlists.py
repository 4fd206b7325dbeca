"""Waitlists (X2): the queue of bookers per full entry, and the one write that books a waiter."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.bookings import Booking
    from ..domain.paging import Page, PageRequest
    from ..domain.waitlists import Waiter


class WaitlistStore(Protocol):
    def add(self, waiter: Waiter) -> None:
        """Put the waiter only if this booker is not waiting on the entry yet (``ConflictError``
        ``already_waiting`` otherwise)."""
        ...

    def find(self, business_id: str, entry_id: str, email: str) -> Waiter | None: ...

    def first(self, business_id: str, entry_id: str, limit: int) -> list[Waiter]:
        """The first ``limit`` waiting, by position."""
        ...

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Waiter]:
        """By position."""
        ...

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Waiter]:
        """A booker's sign-ups, newest first."""
        ...

    def ahead_of(self, waiter: Waiter) -> int:
        """How many wait before this waiter."""
        ...

    def move(self, waiter: Waiter, position: int) -> None:
        """Rewrite the position, only while the waiter still waits (``NotFoundError`` otherwise)."""
        ...

    def remove(self, waiter: Waiter) -> bool:
        """Take this sign-up off the list; False when it was gone already."""
        ...

    def book(self, waiter: Waiter, booking: Booking, capacity: int, booker_cap: int | None) -> None:
        """The booking transaction (places + settlement) with the waiter's removal, as one write:
        conditioned on the sign-up still waiting (``ConflictError`` ``not_waiting``) and on capacity
        (``EntryFullError``); the settlement's refusals as the booking transaction raises them."""
        ...


class PlacesFreedSignal(Protocol):
    def __call__(self, business_id: str, entry_id: str) -> None:
        """Places came back on an entry (cancellation, released hold, capacity raised): promote waiters."""
        ...
