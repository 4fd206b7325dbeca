"""Erasure on request (C6) in memory: each stage moves up to ``limit`` items of the old owner at once."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.customers import ERASED_NAME, Customer, CustomerKind
from tests.fakes.core import FakeBookingStore
from tests.fakes.customers import CrashError, FakeCustomerRecords


class FakeErasureStore:
    def __init__(self, records: FakeCustomerRecords, bookings: FakeBookingStore, crash_after: int | None = None,
                 live: int = 0, open_checkouts: int = 0) -> None:
        self.records = records
        self.bookings = bookings
        self.passes: list[Any] = []
        self.members: list[Any] = []
        self.payments: list[Any] = []
        self.messages: list[Any] = []
        self.enrolments: list[Any] = []  # Enrolment objects
        self.crash_after = crash_after
        self.live = live
        self.open = open_checkouts
        self.transactions = 0
        self.largest = 0
        self.pages_read = 0
        self.customer_reads = 0

    def live_memberships(self, business_id: str, email: str) -> int:
        return self.live

    def open_checkouts(self, business_id: str, email: str) -> int:
        return self.open

    def mark_erasing(self, business_id: str, email: str, as_id: str) -> str:
        current = self.records.items[(business_id, email)]
        if current.erased_as:
            return current.erased_as
        self.records.items[(business_id, email)] = replace(current, erased_as=as_id, deleting=True)
        return as_id

    def _transaction(self, moved: int) -> int:
        if self.crash_after is not None and self.transactions >= self.crash_after:
            self.crash_after = None
            raise CrashError("worker lost")
        self.transactions += 1
        self.largest = max(self.largest, moved)
        return moved

    def erase_bookings(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        keys = [k for k, b in self.bookings.items.items() if k[0] == business_id and b.booker_email == email][:limit]
        moved = self._transaction(len(keys))  # all of a transaction or none of it
        for k in keys:
            b = self.bookings.items[k]
            self.bookings.items[k] = replace(b, booker_email=as_id, participants=(ERASED_NAME,) * len(b.participants))
        return moved

    def _move(self, rows: list[Any], email: str, limit: int, change: dict[str, Any]) -> int:
        found = [i for i, r in enumerate(rows) if r.email == email][:limit]
        moved = self._transaction(len(found))
        for i in found:
            rows[i] = replace(rows[i], **change)
        return moved

    def erase_passes(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return self._move(self.passes, email, limit, {"email": as_id})

    def erase_payments(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return self._move(self.payments, email, limit, {"email": as_id})

    def erase_memberships(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return self._move(self.members, email, limit, {"email": as_id})

    def erase_enrolments(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return self._move(self.enrolments, email, limit, {"email": as_id})

    def erase_messages(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return self._move(self.messages, email, limit, {"email": as_id, "subject": "(erased)"})

    def stripe_customer_ids(self, business_id: str, as_id: str) -> list[str]:
        self.customer_reads += 1
        return sorted({m.customer_id for m in self.members if m.email == as_id and m.customer_id})

    def detach_additional_users(self, business_id: str, email: str, start: dict[str, Any] | None,
                                limit: int) -> dict[str, Any] | None:
        """Pages of the business's records in email order, as a filtered Query reads them."""
        keys = sorted(k for k in self.records.items if k[0] == business_id)
        first = int(start["i"]) if start else 0
        self.pages_read += 1
        for key in keys[first:first + limit]:
            c = self.records.items[key]
            if c.primary_email == email:
                self.records.items[key] = replace(c, kind=CustomerKind.APP_USER, primary_email=None)
        return {"i": first + limit} if first + limit < len(keys) else None

    def finish(self, customer: Customer, erased: Customer) -> None:
        self.records.items[(erased.business_id, erased.email)] = erased
        self.records.delete(customer)
