"""Customer kinds, deletion and account history in memory (C1, C6)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.customers import Customer, CustomerKind
from tests.fakes.core import FakeBookingStore, FakeCustomerStore


class FakeCustomerRecords(FakeCustomerStore):
    """The customer store plus the C1/C6 writes; counts the kind writes that happened."""

    def __init__(self, *customers: Customer) -> None:
        super().__init__(*customers)
        self.promotions = 0

    def promote_to_primary(self, business_id: str, email: str) -> bool:
        current = self.items.get((business_id, email))
        if current is None or current.kind is not CustomerKind.APP_USER:
            return False
        self.items[(business_id, email)] = replace(current, kind=CustomerKind.PRIMARY)
        self.promotions += 1
        return True

    def mark_deleting(self, business_id: str, email: str) -> None:
        self.items[(business_id, email)] = replace(self.items[(business_id, email)], deleting=True)

    def delete(self, customer: Customer) -> None:
        self.items.pop((customer.business_id, customer.email), None)


class CrashError(Exception):
    """The worker died mid-way (timeout, throttling): the queue delivers the message again."""


class FakeAccountHistory:
    """Moves bookings in ``bookings`` between owners; ``crash_after`` transactions, it fails once."""

    def __init__(self, bookings: FakeBookingStore, crash_after: int | None = None) -> None:
        self.bookings = bookings
        self.crash_after = crash_after
        self.transactions = 0
        self.largest = 0
        self.passes: list[Any] = []  # Pass objects; moved by ``move_passes``
        self.payments: list[Any] = []  # PaymentRecord objects; moved by ``move_payments``
        self.enrolments: list[Any] = []  # Enrolment objects; moved by ``move_enrolments``

    def move_bookings(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        if self.crash_after is not None and self.transactions >= self.crash_after:
            self.crash_after = None
            raise CrashError("worker lost")
        found = [k for k, b in self.bookings.items.items() if k[0] == business_id and b.booker_email == from_email]
        for key in found[:limit]:  # all of a transaction or none of it
            self.bookings.items[key] = replace(self.bookings.items[key], booker_email=to_email)
        self.transactions += 1
        self.largest = max(self.largest, len(found[:limit]))
        return len(found[:limit])

    def move_passes(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        found = [i for i, p in enumerate(self.passes) if p.business_id == business_id and p.email == from_email][:limit]
        for i in found:
            self.passes[i] = replace(self.passes[i], email=to_email)
        self.transactions += 1
        self.largest = max(self.largest, len(found))
        return len(found)

    def move_payments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        found = [i for i, p in enumerate(self.payments) if p.business_id == business_id and p.email == from_email][:limit]
        for i in found:
            self.payments[i] = replace(self.payments[i], email=to_email)
        self.transactions += 1
        self.largest = max(self.largest, len(found))
        return len(found)

    def move_enrolments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        found = [i for i, e in enumerate(self.enrolments) if e.business_id == business_id and e.email == from_email][:limit]
        for i in found:
            self.enrolments[i] = replace(self.enrolments[i], email=to_email)
        self.transactions += 1
        self.largest = max(self.largest, len(found))
        return len(found)
