"""Schedule pages, entries (dated sessions with a capacity), tickets and weekly series.

Times are stored in UTC; staff give wall-clock times in the business's time zone, and series repeat
on the same wall-clock time, so a 18:00 class stays at 18:00 across a daylight-saving change.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from .errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MAX_SERIES_SESSIONS = 260  # five years of a weekly class


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    title: str
    price_minor: int
    currency: str
    exclusive_group_id: str | None = None

    @property
    def exclusive(self) -> bool:
        return self.exclusive_group_id is not None

    @property
    def free(self) -> bool:
        return self.price_minor == 0 and not self.exclusive


@dataclass(frozen=True)
class Entry:
    business_id: str
    entry_id: str
    page_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int = 0
    published: bool = True
    series_id: str | None = None
    tickets: tuple[Ticket, ...] = field(default_factory=tuple)

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)

    def ticket(self, ticket_id: str) -> Ticket:
        for t in self.tickets:
            if t.ticket_id == ticket_id:
                return t
        raise NotFoundError(f"Ticket '{ticket_id}' is not on entry '{self.entry_id}'.")


@dataclass(frozen=True)
class SchedulePage:
    business_id: str
    page_id: str
    title: str
    published: bool = True


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """A naive datetime is wall-clock time in the business's zone; an aware one is taken as is."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInputError("ends_at must be after starts_at.", field="ends_at")


def check_capacity(capacity: int, booked: int = 0) -> None:
    if capacity < booked:
        raise InvalidInputError(
            f"capacity {capacity} is below the {booked} places already booked.", field="capacity"
        )


def weekly_occurrences(first_start_local: datetime, until: date, tz: ZoneInfo) -> list[datetime]:
    """UTC start times of a weekly series, same wall-clock time each week, up to ``until`` inclusive."""
    if first_start_local.tzinfo is not None:
        first_start_local = first_start_local.astimezone(tz).replace(tzinfo=None)
    if until < first_start_local.date():
        raise InvalidInputError("until is before the first session.", field="until")
    starts: list[datetime] = []
    day: date = first_start_local.date()
    wall: time = first_start_local.time()
    while day <= until:
        if len(starts) >= MAX_SERIES_SESSIONS:
            raise InvalidInputError(f"A series has at most {MAX_SERIES_SESSIONS} sessions.", field="until")
        starts.append(datetime.combine(day, wall, tzinfo=tz).astimezone(UTC))
        day += timedelta(days=7)
    return starts


def with_ticket(entry: Entry, ticket: Ticket) -> Entry:
    others = tuple(t for t in entry.tickets if t.ticket_id != ticket.ticket_id)
    return replace(entry, tickets=others + (ticket,))
