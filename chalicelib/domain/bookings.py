"""Bookings: places on an entry, and how each booking was settled.

A booking takes ``seats`` places (the booker plus named participants). How it is paid is a
*settlement*: free, an offer use, a pass use, or a card payment. The settlement is decided by a
``PaymentMethod`` (pluggable, see ``services.bookings``) and written in the same transaction as the
place, so a place is never taken without what pays for it, nor the other way round.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from .errors import ConflictError, InvalidInputError, RuleRefusedError

if TYPE_CHECKING:
    from .catalogue import Entry, Ticket

MAX_SEATS_PER_BOOKING = 20
# B8: checkouts one booker may have open (unpaid) at once. Three covers a class, a membership and a
# retry in another tab; with the per-entry cap it bounds what one person can freeze to 3 x that cap.
MAX_OPEN_CHECKOUTS = 3
CARD_HOLD_SECONDS = 30 * 60  # Stripe's shortest checkout life: a held place comes back after it


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
class NoRef:
    """A free booking: nothing to record."""


@dataclass(frozen=True)
class OfferUseRef:
    """An offer use: which member counter the booking transaction spends, in which period."""

    group_id: str
    offer_id: str
    offer_version: int
    period: str | None = None  # None: an unlimited offer (no counter)
    uses_limit: int | None = None
    starts_period: bool = False  # the first use of a new period (the counter is replaced, not bumped)
    tz: str | None = None
    period_ends_at: str | None = None  # ISO datetime; None for a one-time-total limit
    unit: str | None = None
    next_reset_at: str | None = None


@dataclass(frozen=True)
class PassUseRef:
    """A pass use: the pass and the revision it was read at (an override in between refuses the write)."""

    pass_id: str
    title: str
    revision: int
    uses_total: int


@dataclass(frozen=True)
class CardPaymentRef:
    """A place held for (then paid by) a card checkout."""

    checkout_id: str


SettlementRef = NoRef | OfferUseRef | PassUseRef | CardPaymentRef
REF_TYPES: dict[SettlementKind, type[SettlementRef]] = {
    SettlementKind.FREE: NoRef,
    SettlementKind.OFFER: OfferUseRef,
    SettlementKind.PASS: PassUseRef,
    SettlementKind.CARD: CardPaymentRef,
}


@dataclass(frozen=True)
class Settlement:
    """What paid for a booking; ``ref`` is the kind's own typed record (what its writer needs)."""

    kind: SettlementKind
    ref: SettlementRef = field(default_factory=NoRef)
    # The booking status this settlement produces: card payments hold the place until paid.
    status: BookingStatus = BookingStatus.CONFIRMED

    def __post_init__(self) -> None:
        if not isinstance(self.ref, REF_TYPES[self.kind]):
            raise TypeError(f"a {self.kind.value} settlement needs a {REF_TYPES[self.kind].__name__}")

    def ref_fields(self) -> dict[str, Any]:
        """The ref as plain values (stored in the booking item, shown as ``payment``)."""
        return {k: v for k, v in asdict(self.ref).items() if v is not None}

    @classmethod
    def from_fields(cls, kind: SettlementKind, values: dict[str, Any], status: BookingStatus) -> Settlement:
        ref_type = REF_TYPES[kind]
        names = {f.name: f.type for f in fields(ref_type)}
        kwargs: dict[str, Any] = {k: (int(v) if names[k] in ("int", "int | None") and v is not None else v)
                                  for k, v in values.items() if k in names}
        return cls(kind, ref_type(**kwargs), status)


class RefundPolicy(str, Enum):
    FULL = "full"
    NONE = "none"
    FULL_UNTIL = "full_until"  # in full until N hours before the start, nothing after


@dataclass(frozen=True)
class Refund:
    """Money given back for a cancelled card booking (B3): ``state`` is requested, refunded or failed."""

    amount_minor: int
    currency: str
    state: str


def refund_due(policy: str, hours_before: int, starts_at: datetime, now: datetime, paid_minor: int) -> int:
    """What the business's refund policy gives back of ``paid_minor`` when cancelling at ``now``."""
    rule = RefundPolicy(policy)
    if rule is RefundPolicy.NONE:
        return 0
    if rule is RefundPolicy.FULL_UNTIL and now > starts_at - timedelta(hours=hours_before):
        return 0
    return paid_minor


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
    refund: Refund | None = None
    # Where a ``held`` card booking is paid (only in the response that opened the checkout; not stored).
    checkout_url: str | None = None
    # S5: a place of a course (the course is billed as a whole): cancelling it gives the place and the
    # course's credit back, never a card refund, whichever route cancels it (``course_place_rules``).
    course_id: str | None = None

    @property
    def expires_at(self) -> datetime | None:
        """Until when a held place waits for its payment."""
        return self.hold_expires_at if self.status is BookingStatus.HELD else None

    @property
    def seats(self) -> int:
        return 1 + len(self.participants)

    @property
    def paid_with(self) -> SettlementKind:
        return self.settlement.kind

    @property
    def payment(self) -> dict[str, Any]:
        return self.settlement.ref_fields()


def check_request(entry: Entry, ticket: Ticket, participants: tuple[str, ...], now: datetime, places: bool = True,
                  page_published: bool = True) -> None:
    """Rules that hold for every booking, before any payment method is asked.

    ``page_published``: an entry on an unpublished schedule page is not open either.
    ``places=False`` leaves the place check to the caller, which runs it after the payment method's
    own rules (O6 orders the refusals: membership, offer, scope, attendees, uses, then places).
    """
    if any(not p.strip() for p in participants):
        raise InvalidInputError("Participant names must not be blank.", field="participants")
    if 1 + len(participants) > MAX_SEATS_PER_BOOKING:
        raise InvalidInputError(
            f"A booking holds at most {MAX_SEATS_PER_BOOKING} people.", field="participants"
        )
    if not (entry.published and page_published):
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


def gives_credit_back(booking: Booking, return_use_on_cancel: bool) -> bool:
    """Whether cancelling gives what paid for the place back: a course place always (its credit is the
    place itself, S5); an offer or pass use when the business says so."""
    if booking.course_id is not None:
        return True
    return return_use_on_cancel and booking.settlement.kind in (SettlementKind.OFFER, SettlementKind.PASS)


def refunds_by_card(booking: Booking) -> bool:
    """A confirmed card booking is refunded by the business's policy (B3); a course place never is: the
    course is billed as a whole, its sessions are not paid one by one (S5)."""
    return (booking.course_id is None and booking.settlement.kind is SettlementKind.CARD
            and booking.status is BookingStatus.CONFIRMED)


def check_cancellable(booking: Booking) -> None:
    if booking.status is BookingStatus.CANCELLED:
        raise ConflictError("This booking is already cancelled.", code="already_cancelled")
