"""Dates: the range the product works with (so no computed instant can overflow), and dates as people
read them in emails (the business's own time zone, in words, never raw UTC).

Python's ``date``/``datetime`` stop at year 9999: a pass valid "through 9999-12-31" ends at midnight
after it, which does not exist. Requests are held to this range at the edge (``schemas/common.py``)
and the domain checks it again wherever a date is kept, so a stored value that cannot be shown is
impossible.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from .errors import InvalidInputError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
EARLIEST_INSTANT = datetime(1999, 12, 31, tzinfo=UTC)  # a day of slack either side for time zones
LATEST_INSTANT = datetime(2101, 1, 2, tzinfo=UTC)


def check_day(day: date, field: str) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInputError(f"'{field}' must be between {EARLIEST_DAY} and {LATEST_DAY}.", field=field)
    return day


def check_instant(at: datetime, field: str) -> datetime:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        inside = EARLIEST_INSTANT <= aware <= LATEST_INSTANT
    except OverflowError:  # an offset pushes it past year 1 or 9999
        inside = False
    if not inside:
        raise InvalidInputError(f"'{field}' must be between {EARLIEST_DAY} and {LATEST_DAY}.", field=field)
    return at


# Fixed English names: strftime's %a/%b follow the process locale, which a Lambda does not promise.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def in_words(moment: datetime, tz: ZoneInfo) -> str:
    """``Tue 3 Dec, 18:00`` in ``tz``: a class time, read close to the day (no year)."""
    local = moment.astimezone(tz)
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}, {local:%H:%M}"


def iso_day_in_words(value: str, tz: ZoneInfo) -> str:
    """A stored ISO moment (aware: taken to ``tz``) or day, as ``day_in_words``; other text as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = moment.astimezone(tz).date() if moment.tzinfo is not None else moment.date()
    return day_in_words(day)


def day_in_words(day: date) -> str:
    """``Tue 3 Dec 2024``: a calendar day (renewal, access end) with its year."""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"
