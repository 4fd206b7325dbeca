"""``WaitlistStore`` in memory: booking a waiter is all or nothing, as the real transaction is."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.domain.errors import ConflictError, NotFoundError
from tests.fakes.core import page_of

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.domain.bookings import Booking
    from chalicelib.domain.paging import Page, PageRequest
    from chalicelib.domain.waitlists import Waiter
    from tests.fakes.core import FakeBookingStore


class FakeWaitlistStore:
    def __init__(self, bookings: FakeBookingStore) -> None:
        self.bookings = bookings
        self.items: dict[tuple[str, str, str], Waiter] = {}
        self.outbox: dict[tuple[str, str, str], tuple[Waiter, str]] = {}  # promoted, not mailed yet
        self.starts: dict[tuple[str, str], datetime] = {}

    def _key(self, w: Waiter) -> tuple[str, str, str]:
        return (w.business_id, w.entry_id, w.email)

    def _same(self, w: Waiter) -> bool:
        current = self.items.get(self._key(w))
        return current is not None and current.waiter_id == w.waiter_id

    def add(self, waiter: Waiter, starts_at: datetime) -> None:
        if self._key(waiter) in self.items or self._key(waiter) in self.outbox:
            raise ConflictError("You are already on this entry's waitlist.", code="already_waiting")
        self.items[self._key(waiter)] = waiter
        self.starts[(waiter.business_id, waiter.entry_id)] = starts_at

    def waiting(self, business_id: str, entry_id: str) -> int:
        return len(self._line(business_id, entry_id))

    def awaiting_mail(self, business_id: str, entry_id: str) -> list[tuple[Waiter, str]]:
        return [v for (b, e, _), v in self.outbox.items() if (b, e) == (business_id, entry_id)]

    def mailed(self, waiter: Waiter) -> None:
        self.outbox.pop(self._key(waiter), None)

    def entries_waiting(self, after: datetime) -> list[tuple[str, str]]:
        return sorted({(b, e) for b, e, _ in self.items if self.starts[(b, e)] > after})

    def find(self, business_id: str, entry_id: str, email: str) -> Waiter | None:
        return self.items.get((business_id, entry_id, email))

    def _line(self, business_id: str, entry_id: str) -> list[Waiter]:
        return sorted((w for (b, e, _), w in self.items.items() if (b, e) == (business_id, entry_id)),
                      key=lambda w: w.position)

    def first(self, business_id: str, entry_id: str, limit: int) -> list[Waiter]:
        return self._line(business_id, entry_id)[:limit]

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Waiter]:
        return page_of(self._line(business_id, entry_id), page)

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Waiter]:
        mine = [w for (b, _, e), w in self.items.items() if (b, e) == (business_id, email)]
        return page_of(sorted(mine, key=lambda w: w.joined_at, reverse=True), page)

    def ahead_of(self, waiter: Waiter) -> int:
        return sum(1 for w in self._line(waiter.business_id, waiter.entry_id) if w.position < waiter.position)

    def move(self, waiter: Waiter, position: int) -> None:
        if not self._same(waiter):
            raise NotFoundError(f"'{waiter.email}' is no longer on this waitlist.")
        self.items[self._key(waiter)] = replace(self.items[self._key(waiter)], position=position)

    def remove(self, waiter: Waiter) -> bool:
        if not self._same(waiter):
            return False
        del self.items[self._key(waiter)]
        return True

    def book(self, waiter: Waiter, booking: Booking, capacity: int, booker_cap: int | None) -> None:
        if not self._same(waiter):
            raise ConflictError("This waitlist sign-up was booked, moved off or left meanwhile.", code="not_waiting")
        self.bookings.create(booking, capacity, booker_cap)  # refuses before writing anything
        self.outbox[self._key(waiter)] = (self.items.pop(self._key(waiter)), booking.booking_id)
