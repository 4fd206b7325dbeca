"""Waitlists (X2): the queue of bookers per full entry, and the one write that books a waiter."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from ..domain.bookings import Booking
    from ..domain.paging import Page, PageRequest
    from ..domain.waitlists import Waiter


class WaitlistStore(Protocol):
    def add(self, waiter: Waiter, starts_at: datetime) -> None:
        """Put the waiter only if this booker is not waiting on the entry yet (``ConflictError``
        ``already_waiting`` otherwise); the entry's waiting count goes up in the same write."""
        ...

    def find(self, business_id: str, entry_id: str, email: str) -> Waiter | None:
        """The booker's sign-up while it waits (None once booked)."""
        ...

    def waiting(self, business_id: str, entry_id: str) -> int:
        """How many wait on the entry (a strongly consistent read of the count)."""
        ...

    def awaiting_mail(self, business_id: str, entry_id: str) -> list[tuple[Waiter, str]]:
        """Sign-ups booked by a promotion whose email is not sent yet, with their booking id."""
        ...

    def mailed(self, waiter: Waiter) -> None:
        """The promoted sign-up's email went out: its row goes."""
        ...

    def entries_waiting(self, after: datetime) -> list[tuple[str, str]]:
        """(business_id, entry_id) of entries starting after ``after`` that someone waits for (indexed)."""
        ...

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
        """Take this sign-up off the list (the count down in the same write); False when it was gone already."""
        ...

    def book(self, waiter: Waiter, booking: Booking, capacity: int, booker_cap: int | None) -> None:
        """The booking transaction (places + settlement) with the waiter's removal (kept as an outbox row
        until ``mailed``) and the count down, as one write:
        conditioned on the sign-up still waiting (``ConflictError`` ``not_waiting``) and on capacity
        (``EntryFullError``); the settlement's refusals as the booking transaction raises them."""
        ...


class PlacesFreedSignal(Protocol):
    def __call__(self, business_id: str, entry_id: str) -> None:
        """Places came back on an entry (cancellation, released hold, capacity raised): promote waiters."""
        ...
