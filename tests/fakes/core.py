"""In-memory fakes of ``ports/tenancy.py``, ``ports/catalogue.py`` and ``ports/bookings.py``.

They keep the promises the real adapters make, not just their shapes: the booking store takes places
only within the entry's capacity, refuses a duplicate booking id, and runs each settlement kind's
writer inside the same all-or-nothing "transaction" (every condition is checked before anything is
written), like ``adapters/dynamodb/bookings.py``. ``contend_next`` makes the next N writes fail as
contended, to exercise the services' retries.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Protocol, TypeVar

from chalicelib.domain.bookings import Booking, BookingStatus, Refund, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, SchedulePage
from chalicelib.domain.customers import Customer, CustomerKind, matches
from chalicelib.domain.errors import ConflictError, EntryFullError, NotFoundError, RuleRefusedError, TransactionContendedError
from chalicelib.domain.paging import Page, PageRequest
from chalicelib.domain.tenancy import Business

Write = Callable[[], None]
T = TypeVar("T")


class FakeBusinessStore:
    def __init__(self, *businesses: Business) -> None:
        self.items = {b.business_id: b for b in businesses}
        self.reads = 0

    def get(self, business_id: str) -> Business:
        found = self.find(business_id)
        if found is None:
            raise NotFoundError(f"Business '{business_id}' does not exist.")
        return found

    def find(self, business_id: str) -> Business | None:
        self.reads += 1
        return self.items.get(business_id)

    def save(self, business: Business) -> None:
        self.items[business.business_id] = business


def page_of(items: list[T], page: PageRequest) -> Page[T]:
    """A page of an in-memory list, positioned like a store key ({"offset": n})."""
    start = int((page.start or {}).get("offset", 0))
    end = start + page.limit
    return Page(items[start:end], {"offset": end} if end < len(items) else None)


class FakeCustomerStore:
    def __init__(self, *customers: Customer) -> None:
        self.items = {(c.business_id, c.email): c for c in customers}
        self.reads = 0

    def get(self, business_id: str, email: str) -> Customer:
        found = self.find(business_id, email)
        if found is None:
            raise NotFoundError(f"No customer with email '{email}'.")
        return found

    def find(self, business_id: str, email: str) -> Customer | None:
        self.reads += 1
        return self.items.get((business_id, email))

    def create_if_missing(self, customer: Customer) -> bool:
        key = (customer.business_id, customer.email)
        if key in self.items:
            return False
        self.items[key] = customer
        return True

    def make_primary(self, business_id: str, email: str, at: datetime) -> None:
        key = (business_id, email)
        self.items[key] = replace(self.items[key], kind=CustomerKind.PRIMARY)

    def mark_signed_in(self, business_id: str, email: str, at: datetime) -> None:
        key = (business_id, email)
        self.items[key] = replace(self.items[key], signed_in_at=at)

    def save(self, before: Customer | None, after: Customer) -> None:
        current = self.items.get((after.business_id, after.email))
        if current != before:
            raise TransactionContendedError("The customer changed since it was read.")
        self.items[(after.business_id, after.email)] = after

    def search(self, business_id: str, query: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]:
        found = [c for (b, _), c in sorted(self.items.items()) if b == business_id and kind in (None, c.kind)]
        return page_of([c for c in found if matches(query, c.name, c.email)], page)

    def list(self, business_id: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]:
        return page_of([c for (b, _), c in sorted(self.items.items()) if b == business_id and kind in (None, c.kind)],
                       page)


class FakeCatalogueStore:
    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], SchedulePage] = {}
        self.entries: dict[tuple[str, str], Entry] = {}

    def get_page(self, business_id: str, page_id: str) -> SchedulePage:
        try:
            return self.pages[(business_id, page_id)]
        except KeyError:
            raise NotFoundError(f"Schedule page '{page_id}' does not exist.") from None

    def list_pages(self, business_id: str) -> list[SchedulePage]:
        return [p for (b, _), p in sorted(self.pages.items()) if b == business_id]

    def pages_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[SchedulePage]:
        return page_of([p for p in self.list_pages(business_id) if p.published or not published_only], page)

    def entries_page(self, business_id: str, page_id: str, page: PageRequest, published_only: bool) -> Page[Entry]:
        entries = self.entries_on_page(business_id, page_id)
        return page_of([e for e in entries if e.published or not published_only], page)

    def save_page(self, page: SchedulePage) -> None:
        self.pages[(page.business_id, page.page_id)] = page

    def delete_page(self, business_id: str, page_id: str) -> None:
        self.pages.pop((business_id, page_id), None)

    def get_entry(self, business_id: str, entry_id: str, consistent: bool = False) -> Entry:
        try:
            return self.entries[(business_id, entry_id)]
        except KeyError:
            raise NotFoundError(f"Entry '{entry_id}' does not exist.") from None

    def entries_on_page(self, business_id: str, page_id: str) -> list[Entry]:
        return sorted((e for (b, _), e in self.entries.items() if b == business_id and e.page_id == page_id),
                      key=lambda e: e.starts_at)

    def entries_in_series(self, business_id: str, series_id: str) -> list[Entry]:
        return sorted((e for (b, _), e in self.entries.items() if b == business_id and e.series_id == series_id),
                      key=lambda e: e.starts_at)

    def save_entry(self, entry: Entry) -> None:
        self.entries[(entry.business_id, entry.entry_id)] = entry

    def save_entries(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            self.save_entry(entry)

    def update_entry(self, before: Entry, after: Entry) -> None:
        if self.entries.get((before.business_id, before.entry_id)) != before:
            raise TransactionContendedError("The entry changed since it was read; try again.")
        self.save_entry(after)

    def delete_entry(self, business_id: str, entry_id: str) -> None:
        self.entries.pop((business_id, entry_id), None)


class FakeSettlementWriter(Protocol):
    """A settlement kind's part of the booking transaction: check now, write only if all checks pass."""

    def take(self, booking: Booking) -> Write:
        """Raise the kind's refusal (e.g. no uses left), or return the write that spends the use."""
        ...

    def give_back(self, booking: Booking) -> Write | None:
        """The write that gives the use back, or None when there is nothing to give back."""
        ...


class CountedUses:
    """A settlement writer over a plain counter of uses per booker (a pass or an offer, reduced)."""

    def __init__(self, uses: dict[str, int], refusal: Callable[[], Exception]) -> None:
        self.uses = uses
        self.refusal = refusal

    def take(self, booking: Booking) -> Write:
        email = booking.booker_email
        if self.uses.get(email, 0) < 1:
            raise self.refusal()
        return lambda: self.uses.__setitem__(email, self.uses[email] - 1)

    def give_back(self, booking: Booking) -> Write | None:
        email = booking.booker_email
        return lambda: self.uses.__setitem__(email, self.uses.get(email, 0) + 1)


class FakeBookingStore:
    """Bookings, writing the entry's booked count in ``catalogue`` as the real transaction does."""

    def __init__(self, catalogue: FakeCatalogueStore,
                 writers: dict[SettlementKind, FakeSettlementWriter] | None = None) -> None:
        self.catalogue = catalogue
        self.writers = dict(writers or {})
        self.items: dict[tuple[str, str], Booking] = {}
        self.contend_next = 0  # the next N writes fail as if another transaction touched the items
        self.writes = 0

    def get(self, business_id: str, booking_id: str) -> Booking:
        try:
            return self.items[(business_id, booking_id)]
        except KeyError:
            raise NotFoundError(f"Booking '{booking_id}' does not exist.") from None

    def for_booker(self, business_id: str, email: str) -> list[Booking]:
        found = [b for (biz, _), b in self.items.items() if biz == business_id and b.booker_email == email]
        return sorted(found, key=lambda b: b.created_at, reverse=True)

    def for_entry(self, business_id: str, entry_id: str) -> list[Booking]:
        found = [b for (biz, _), b in self.items.items() if biz == business_id and b.entry_id == entry_id]
        return sorted(found, key=lambda b: b.created_at)

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Booking]:
        return page_of(self.for_booker(business_id, email), page)

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Booking]:
        return page_of(self.for_entry(business_id, entry_id), page)

    def create(self, booking: Booking, capacity: int, booker_cap: int | None = None) -> None:
        self._contend()
        entry = self.catalogue.get_entry(booking.business_id, booking.entry_id)
        if entry.capacity != capacity or entry.booked > capacity - booking.seats:
            raise EntryFullError("Not enough places left on this entry.")
        mine = sum(b.seats for b in self.items.values() if b.entry_id == booking.entry_id
                   and b.booker_email == booking.booker_email and b.status is not BookingStatus.CANCELLED)
        if booker_cap is not None and mine + booking.seats > booker_cap:
            raise RuleRefusedError("booker_limit", "Too many places for one booker.", max_places=booker_cap)
        if (booking.business_id, booking.booking_id) in self.items:
            raise ConflictError("This booking already exists.", code="duplicate_booking")
        writer = self.writers.get(booking.settlement.kind)
        spend = writer.take(booking) if writer is not None else None  # may refuse: nothing written yet
        self.catalogue.save_entry(replace(entry, booked=entry.booked + booking.seats))
        self.items[(booking.business_id, booking.booking_id)] = booking
        if spend is not None:
            spend()
        self.writes += 1

    def cancel(self, booking: Booking, at: datetime, give_back_use: bool, only_if: BookingStatus | None = None) -> bool:
        self._contend()
        current = self.get(booking.business_id, booking.booking_id)
        if (current.status is not only_if) if only_if is not None else current.status is BookingStatus.CANCELLED:
            raise ConflictError("This booking is no longer cancellable (already cancelled or confirmed).",
                                code="already_cancelled")
        entry = self.catalogue.get_entry(booking.business_id, booking.entry_id)
        writer = self.writers.get(booking.settlement.kind)
        back = writer.give_back(booking) if writer is not None and give_back_use else None
        self.catalogue.save_entry(replace(entry, booked=max(entry.booked - booking.seats, 0)))
        self.items[(booking.business_id, booking.booking_id)] = replace(
            current, status=BookingStatus.CANCELLED, cancelled_at=at,
            use_returned=back is not None or (give_back_use and writer is None and booking.course_id is not None))
        if back is not None:
            back()
        self.writes += 1
        return bool(self.items[(booking.business_id, booking.booking_id)].use_returned)

    def retake(self, booking: Booking, capacity: int) -> None:
        self._contend()
        entry = self.catalogue.get_entry(booking.business_id, booking.entry_id)
        if entry.capacity != capacity or entry.booked > capacity - booking.seats:
            raise EntryFullError("Not enough places left on this entry.")
        current = self.get(booking.business_id, booking.booking_id)
        if current.status is not BookingStatus.CANCELLED:
            raise ConflictError("This booking is not cancelled.", code="not_cancelled")
        self.catalogue.save_entry(replace(entry, booked=entry.booked + booking.seats))
        self.items[(booking.business_id, booking.booking_id)] = replace(
            current, status=BookingStatus.CONFIRMED, cancelled_at=None)
        self.writes += 1

    def confirm(self, business_id: str, booking_id: str) -> bool:
        """``HeldPlaces``: held -> confirmed, conditional on still being held."""
        current = self.get(business_id, booking_id)
        if current.status is not BookingStatus.HELD:
            return False
        self.items[(business_id, booking_id)] = replace(current, status=BookingStatus.CONFIRMED, hold_expires_at=None)
        return True

    def confirm_held(self, booking: Booking, settlement: Settlement) -> bool:
        """Held -> confirmed, paid by ``settlement`` (its writer takes the use in the same step)."""
        current = self.get(booking.business_id, booking.booking_id)
        if current.status is not BookingStatus.HELD:
            return False
        paid = replace(current, settlement=settlement, status=BookingStatus.CONFIRMED, hold_expires_at=None)
        writer = self.writers.get(settlement.kind)
        write = writer.take(paid) if writer is not None else None  # refuses before anything is written
        if write is not None:
            write()
        self.items[(booking.business_id, booking.booking_id)] = paid
        return True

    def record_refund(self, business_id: str, booking_id: str, refund: Refund) -> None:
        self.items[(business_id, booking_id)] = replace(self.get(business_id, booking_id), refund=refund)

    def holds_expiring_on(self, day: str, before: datetime) -> list[tuple[str, str]]:
        return [(b.business_id, b.booking_id) for b in self.items.values()
                if b.status is BookingStatus.HELD and b.hold_expires_at is not None
                and b.hold_expires_at.date().isoformat() == day and b.hold_expires_at <= before]

    def _contend(self) -> None:
        if self.contend_next > 0:
            self.contend_next -= 1
            raise TransactionContendedError("Another booking touched the same places; try again.")
