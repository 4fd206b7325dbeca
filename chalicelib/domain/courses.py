"""Courses (S1, S2): a subscription bought to join a series, billed on the course's own cycle, ending with it.

A course is a membership product with ``CourseTerms``: the series it enrols into, the first cycle's start
(the billing anchor every booker shares) and the end (Stripe ``cancel_at``). ``course_billing`` is Stripe's
own arithmetic, pure, so what a booker joining on any day pays can be shown and tested without Stripe:

- a ``billing_cycle_anchor`` in the future with ``proration_behavior=create_prorations`` charges, at
  checkout, the part of the current cycle that is left: ``price * seconds left / seconds of the cycle``;
- every later cycle is charged in full at its start;
- ``cancel_at`` inside a cycle prorates that final cycle the same way, and the subscription ends there.

Joining before the course starts: the anchor is the start and nothing is prorated (``proration_behavior=none``),
so the first charge is the first full cycle, on the first day.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from .errors import InvalidInputError, RuleRefusedError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .catalogue import Entry

CourseInterval = Literal["week", "month"]
MAX_COURSE_CYCLES = 120  # ten years of monthly billing: a bound on the arithmetic, never reached by a course
COURSE_HOLD_LIMIT = 30  # sessions held in one transaction (3 items each: DynamoDB's 100-item bound)


@dataclass(frozen=True)
class CourseTerms:
    """What makes a membership a course: sold only through booking, enrolling into ``series_id``."""

    series_id: str
    ticket_id: str  # the ticket of each session an enrolment books
    starts_at: datetime  # UTC: the first cycle begins here; every cycle is counted from it
    ends_at: datetime  # UTC: the end of the course (Stripe ``cancel_at``)
    auto_enrol: bool = True  # S3: a purchase adds the buyer to every remaining session


@dataclass(frozen=True)
class Charge:
    at: datetime
    period_start: datetime
    period_end: datetime
    amount_minor: int
    prorated: bool


@dataclass(frozen=True)
class CourseBilling:
    """The checkout's subscription parameters and every charge they lead to."""

    billing_cycle_anchor: datetime | None  # None: the cycle starts now (joined on a cycle boundary)
    proration_behavior: Literal["create_prorations", "none"]
    cancel_at: datetime
    charges: tuple[Charge, ...]

    @property
    def total_minor(self) -> int:
        return sum(c.amount_minor for c in self.charges)


def course_end(ends_on: date, tz: ZoneInfo) -> datetime:
    """A course ending on ``ends_on`` ends at the following midnight in the business's zone (UTC)."""
    return datetime.combine(ends_on + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def _add_months(start: datetime, months: int) -> datetime:
    """Stripe's monthly anchors: the same day of month as the start, clamped to shorter months."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def cycle_start(terms_start: datetime, interval: CourseInterval, count: int, k: int) -> datetime:
    if interval == "week":
        return terms_start + timedelta(weeks=count * k)
    return _add_months(terms_start, count * k)


def _share(price_minor: int, part: timedelta, whole: timedelta) -> int:
    """Stripe prorates by seconds and rounds to the nearest minor unit."""
    share = Decimal(price_minor) * Decimal(int(part.total_seconds())) / Decimal(int(whole.total_seconds()))
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_course(starts_at: datetime, ends_at: datetime, interval: str | None, count: int) -> None:
    if interval not in ("week", "month"):
        raise InvalidInputError("A course is billed every N weeks or months.", field="interval")
    if not 1 <= count <= (52 if interval == "week" else 12):
        raise InvalidInputError("interval_count is 1..52 weeks or 1..12 months.", field="interval_count")
    if ends_at <= starts_at:
        raise InvalidInputError("ends_on must be after the course starts.", field="ends_on")


def course_billing(price_minor: int, interval: CourseInterval, count: int, starts_at: datetime,
                   ends_at: datetime, joined_at: datetime) -> CourseBilling:
    """What a booker joining at ``joined_at`` is charged, and when, under Stripe's rules (module docstring)."""
    if joined_at >= ends_at:
        raise RuleRefusedError("course_ended", "This course has ended.")
    if joined_at < starts_at:
        anchor: datetime | None = starts_at
        behavior: Literal["create_prorations", "none"] = "none"
        k = 0
        charges: list[Charge] = []
    else:
        k = 0
        while cycle_start(starts_at, interval, count, k + 1) <= joined_at:
            k += 1
        begin, end = cycle_start(starts_at, interval, count, k), cycle_start(starts_at, interval, count, k + 1)
        stop = min(end, ends_at)
        first = _share(price_minor, stop - joined_at, end - begin)
        charges = [Charge(joined_at, joined_at, stop, first, prorated=joined_at != begin or stop != end)]
        anchor = end if joined_at != begin else None
        behavior = "create_prorations"
        k += 1
    while True:
        begin = cycle_start(starts_at, interval, count, k)
        if begin >= ends_at:
            break
        if k > MAX_COURSE_CYCLES:
            raise InvalidInputError(f"A course bills at most {MAX_COURSE_CYCLES} cycles.", field="ends_on")
        end = cycle_start(starts_at, interval, count, k + 1)
        stop = min(end, ends_at)
        charges.append(Charge(begin, begin, stop, _share(price_minor, stop - begin, end - begin), prorated=stop != end))
        k += 1
    return CourseBilling(anchor if anchor is None or anchor < ends_at else None, behavior, ends_at, tuple(charges))


def remaining_sessions(sessions: list[Entry], now: datetime) -> list[Entry]:
    """The sessions of the series a buyer joining now is enrolled in: those not started yet, in order."""
    return sorted((e for e in sessions if e.starts_at > now), key=lambda e: e.starts_at)


def prorated_refund(paid_minor: int, sessions_paid: int, sessions_left: int) -> int:
    """S5: a staff refund when a booker leaves the course: the paid share of the sessions not yet held."""
    if sessions_paid <= 0 or sessions_left <= 0:
        return 0
    left = min(sessions_left, sessions_paid)
    return int((Decimal(paid_minor) * left / sessions_paid).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Enrolment:
    """One person on a course's roster (S3, S4): in through a purchase (``subscription_id``) or by staff."""

    business_id: str
    course_id: str
    email: str
    source: Literal["purchase", "staff"]
    enrolled_at: datetime
    subscription_id: str | None = None
    checkout_id: str | None = None
    state: Literal["enrolled", "left"] = "enrolled"
    left_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.state == "enrolled"
