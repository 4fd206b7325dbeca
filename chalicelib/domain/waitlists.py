"""Waitlists (X2): bookers queued for a full entry, in an order staff may change.

A waiter is one booker on one entry (once per booker and entry), with the ticket, attendees and the
way they would pay. ``position`` is a sortable number, the join time in microseconds by default:
moving a waiter rewrites only that waiter's position (between its new neighbours), so the order is
a key order and the first N waiting are one query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import RuleRefusedError

PAY_WITH = ("auto", "offer", "pass", "card")
POSITION_GAP = 1_000_000  # one second of join time: room to move waiters between neighbours


@dataclass(frozen=True)
class Waiter:
    business_id: str
    entry_id: str
    email: str
    waiter_id: str  # names this sign-up (emails are sent once per sign-up)
    ticket_id: str
    participants: tuple[str, ...]
    pay_with: str  # auto | offer | pass | card
    position: int
    joined_at: datetime
    place: int | None = None  # 1 = next in line (computed when shown to the booker)

    @property
    def seats(self) -> int:
        return 1 + len(self.participants)

    @property
    def booking_pay_with(self) -> str:
        """How the booking is asked to pay: an offer use is what ``auto`` picks for a member ticket."""
        return "auto" if self.pay_with == "offer" else self.pay_with


def join_position(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


def check_offer_choice(pay_with: str, exclusive: bool) -> None:
    if pay_with == "offer" and not exclusive:
        raise RuleRefusedError("offer_not_for_ticket", "Only member (exclusive) tickets are paid with an offer use; "
                               "choose auto, pass or card.", **{"try": ["auto", "pass", "card"]})


def position_between(before: int | None, after: int | None) -> int | None:
    """A position strictly between two neighbours (None: no neighbour on that side); None when no
    integer fits, and the caller renumbers."""
    if before is None and after is None:
        return 0
    if before is None:
        assert after is not None
        return after - POSITION_GAP
    if after is None:
        return before + POSITION_GAP
    middle = (before + after) // 2
    return middle if before < middle < after else None


@dataclass(frozen=True)
class PromotionOutcome:
    """What one promotion run did: bookings made (or places held for card), waiters skipped."""

    promoted: tuple[str, ...] = ()  # booking ids
    skipped: tuple[tuple[str, str], ...] = ()  # (email, reason)
