"""Bookings: places on an entry, and how each booking was settled.

A booking takes ``seats`` places (the booker plus named participants). How it is paid is a
*settlement*: free, an offer use, a pass use, or a card payment. The settlement is decided by a
``PaymentMethod`` (pluggable, see ``services.bookings``) and written in the same transaction as the
place, so a place is never taken without what pays for it, nor the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from .catalogue import Entry, Ticket
from .errors import ConflictError, InvalidInputError, RuleRefusedError

MAX_SEATS_PER_BOOKING = 20


class BookingStatus(str, Enum):
    CONFIRMED = "confirmed"
    HELD = "held"  # place held while a card payment completes
    CANCELLED = "cancelled"


class SettlementKind(str, Enum):
    FREE = "free"
    OFFER = "offer"
    PASS = "pass"
    CARD = "card"


@dataclass(frozen=True)
class Settlement:
    """What paid for a booking. ``ref`` holds the kind's own keys (group/offer/period, pass id...)."""

    kind: SettlementKind
    ref: dict[str, Any] = field(default_factory=dict)
    # The booking status this settlement produces: card payments hold the place until paid.
    status: BookingStatus = BookingStatus.CONFIRMED


@dataclass(frozen=True)
class Booking:
    business_id: str
    booking_id: str
    entry_id: str
    ticket_id: str
    booker_email: str
    participants: tuple[str, ...]
    settlement: Settlement
    status: BookingStatus
    created_at: datetime
    entry_starts_at: datetime
    cancelled_at: datetime | None = None
    use_returned: bool | None = None
    # Until when a ``held`` place waits for its payment; past it (+ grace) the safety net gives it back.
    hold_expires_at: datetime | None = None

    @property
    def seats(self) -> int:
        return 1 + len(self.participants)


def check_request(entry: Entry, ticket: Ticket, participants: tuple[str, ...], now: datetime, places: bool = True) -> None:
    """Rules that hold for every booking, before any payment method is asked.

    ``places=False`` leaves the place check to the caller, which runs it after the payment method's
    own rules (O6 orders the refusals: membership, offer, scope, attendees, uses, then places).
    """
    if any(not p.strip() for p in participants):
        raise InvalidInputError("Participant names must not be blank.", field="participants")
    if 1 + len(participants) > MAX_SEATS_PER_BOOKING:
        raise InvalidInputError(
            f"A booking holds at most {MAX_SEATS_PER_BOOKING} people.", field="participants"
        )
    if not entry.published:
        raise RuleRefusedError("entry_not_published", "This entry is not open for booking.")
    if entry.starts_at <= now:
        raise RuleRefusedError("entry_started", "This entry has already started.")
    if places and entry.places_left < 1 + len(participants):
        raise_full(entry.places_left)


def raise_full(places_left: int) -> None:
    raise RuleRefusedError(
        "no_places_left",
        f"Not enough places left on this entry ({places_left} left).",
        places_left=places_left,
    )


def check_cancellable(booking: Booking) -> None:
    if booking.status is BookingStatus.CANCELLED:
        raise ConflictError("This booking is already cancelled.", code="already_cancelled")
