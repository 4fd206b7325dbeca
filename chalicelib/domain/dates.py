"""The range of calendar dates the product works with, so no computed instant can overflow.

Python's ``date``/``datetime`` stop at year 9999: a pass valid "through 9999-12-31" ends at midnight
after it, which does not exist. Requests are held to this range at the edge (``schemas/common.py``)
and the domain checks it again wherever a date is kept, so a stored value that cannot be shown is
impossible.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from .errors import InvalidInputError

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
