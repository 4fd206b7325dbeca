"""Dates as people read them in emails: the business's own time zone, in words, never raw UTC."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

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
