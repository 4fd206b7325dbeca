"""Bookings: the one transaction that takes places together with what pays for them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from ..domain.bookings import Booking, BookingStatus, Refund, Settlement
    from ..domain.paging import Page, PageRequest


class BookingStore(Protocol):
    def get(self, business_id: str, booking_id: str) -> Booking: ...

    def for_booker(self, business_id: str, email: str) -> list[Booking]: ...

    def for_entry(self, business_id: str, entry_id: str) -> list[Booking]: ...

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Booking]:
        """Newest first."""
        ...

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Booking]: ...

    def create(self, booking: Booking, capacity: int, booker_cap: int | None = None) -> None:
        """Take the places and the settlement's use in one transaction; ``EntryFullError`` or
        ``TransactionContendedError`` (re-read and decide again) or the settlement's own refusal."""
        ...

    def cancel(self, booking: Booking, at: datetime, give_back_use: bool, only_if: BookingStatus | None = None) -> bool:
        """Free the places (and give the use back if asked) in one transaction; True when a use came back."""
        ...

    def retake(self, booking: Booking, capacity: int) -> None:
        """Take a released hold's places again (``EntryFullError`` when they went to someone else)."""
        ...

    def confirm_held(self, booking: Booking, settlement: Settlement) -> bool:
        """Held -> confirmed, paid by ``settlement`` whose writes join the same transaction (B7); False
        when no longer held, the settlement's refusal when its condition failed."""
        ...

    def record_refund(self, business_id: str, booking_id: str, refund: Refund) -> None:
        """Show on the booking what a cancellation gave back (B3)."""
        ...

    def holds_expiring_on(self, day: str, before: datetime) -> list[tuple[str, str]]: ...
