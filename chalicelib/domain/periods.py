"""Usage periods: which allowance period an instant falls in, counted from the member's start date.

Every boundary is computed FROM THE ANCHOR (``anchor + n units``), never by stepping from the
previous boundary, so month ends clamp without drifting: a member who started on 31 January renews
on 28/29 February and then on 31 March. Boundaries are local midnight in the business's zone,
converted to UTC through ``zoneinfo``, so a period across a daylight-saving change is 23 or 25 hours
long and still ends at midnight on the wall clock.

Pure functions: a booking computes its period from the anchor each time, so it never depends on the
scheduler having moved the stored counters forward.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

ONE_TIME_KEY = "total"  # the single, never-resetting period of a one-time allowance


class PeriodUnit(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    """``[starts_at, ends_at)`` in UTC; ``key`` names it in stored counters (sortable local start date)."""

    key: str
    starts_at: datetime
    ends_at: datetime | None  # None: never resets (one-time total)


def shift(anchor: date, unit: PeriodUnit, n: int) -> date:
    """The anchor moved by ``n`` units; a day missing in the target month clamps to its last day."""
    if unit is PeriodUnit.DAY:
        return anchor + timedelta(days=n)
    if unit is PeriodUnit.WEEK:
        return anchor + timedelta(weeks=n)
    if unit is PeriodUnit.MONTH:
        months = anchor.month - 1 + n
        year, month = anchor.year + months // 12, months % 12 + 1
    else:
        year, month = anchor.year + n, anchor.month
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period_index(anchor: date, unit: PeriodUnit, day: date) -> int:
    """The ``n`` with ``shift(anchor, n) <= day < shift(anchor, n + 1)`` (negative before the anchor)."""
    if unit is PeriodUnit.DAY:
        return (day - anchor).days
    if unit is PeriodUnit.WEEK:
        return (day - anchor).days // 7
    if unit is PeriodUnit.MONTH:
        n = (day.year - anchor.year) * 12 + day.month - anchor.month
    else:
        n = day.year - anchor.year
    return n - 1 if shift(anchor, unit, n) > day else n


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Start of ``day`` on the business's wall clock, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def period_at(anchor: date, unit: PeriodUnit, now: datetime, tz: ZoneInfo, paused_days: int = 0) -> Period:
    """The recurring period that contains ``now``.

    Paused days (X1) do not count: with ``paused_days`` days paused since the anchor, ``now`` is
    placed as if it were that many days earlier, and the period's boundaries move that many days
    later. Its ``key`` stays the unshifted start, so a member back from a pause is in the period
    they left, with the uses they had left in it (a 10-day pause in a monthly period: same uses,
    the period ends 10 days later)."""
    n = period_index(anchor, unit, now.astimezone(tz).date() - timedelta(days=paused_days))
    start, end = shift(anchor, unit, n), shift(anchor, unit, n + 1)
    moved = timedelta(days=paused_days)
    return Period(key=start.isoformat(), starts_at=local_midnight(start + moved, tz),
                  ends_at=local_midnight(end + moved, tz))


def one_time_period(anchor: date, tz: ZoneInfo) -> Period:
    return Period(key=ONE_TIME_KEY, starts_at=local_midnight(anchor, tz), ends_at=None)


def anchor_for(joined_at: datetime, tz: ZoneInfo) -> date:
    """A member's start date: the day they joined, on the business's wall clock."""
    return joined_at.astimezone(tz).date()


def days_to_scan(watermark: datetime | None, now: datetime, first_run_days: int) -> list[str]:
    """ISO days (UTC) a catch-up schedule must read: from the day of its last successful run (or
    ``first_run_days`` back on its first run) through today. A run that is late, repeated, or
    missing for weeks still reads every day it has not finished, and nothing older."""
    start = (watermark or now - timedelta(days=first_run_days)).date()
    return [(start + timedelta(days=i)).isoformat() for i in range((now.date() - start).days + 1)]
