"""Period arithmetic, table-driven: anchored month ends, leap years, DST in the business's zone."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.periods import PeriodUnit, anchor_for, one_time_period, period_at, shift

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
D, W, M, Y = PeriodUnit.DAY, PeriodUnit.WEEK, PeriodUnit.MONTH, PeriodUnit.YEAR


@pytest.mark.parametrize(
    "anchor, unit, n, expected",
    [
        (date(2025, 1, 31), M, 1, date(2025, 2, 28)),
        (date(2025, 1, 31), M, 2, date(2025, 3, 31)),  # from the anchor, not from 28 Feb
        (date(2024, 1, 31), M, 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), M, 3, date(2025, 4, 30)),
        (date(2025, 1, 31), M, 11, date(2025, 12, 31)),
        (date(2025, 1, 31), M, 12, date(2026, 1, 31)),
        (date(2025, 1, 31), M, -2, date(2024, 11, 30)),
        (date(2024, 2, 29), Y, 1, date(2025, 2, 28)),
        (date(2024, 2, 29), Y, 4, date(2028, 2, 29)),
        (date(2025, 12, 30), W, 1, date(2026, 1, 6)),
        (date(2025, 12, 31), D, 1, date(2026, 1, 1)),
    ],
)
def test_shift_counts_from_the_anchor_and_clamps_month_ends(anchor, unit, n, expected):
    assert shift(anchor, unit, n) == expected


@pytest.mark.parametrize(
    "anchor, unit, now_utc, key, starts, ends",
    [
        # Monthly from 31 Jan, Berlin (CET = UTC+1): the February period ends at local midnight of 31 March.
        (date(2025, 1, 31), M, "2025-03-15T12:00", "2025-02-28", "2025-02-27T23:00", "2025-03-30T22:00"),
        (date(2025, 1, 31), M, "2025-02-27T22:59", "2025-01-31", "2025-01-30T23:00", "2025-02-27T23:00"),
        (date(2025, 1, 31), M, "2025-02-27T23:00", "2025-02-28", "2025-02-27T23:00", "2025-03-30T22:00"),
        # DST (30 March 2025, +1 -> +2): the period ends at midnight summer time, 22:00 UTC.
        (date(2025, 1, 31), M, "2025-03-30T21:59", "2025-02-28", "2025-02-27T23:00", "2025-03-30T22:00"),
        (date(2025, 1, 31), M, "2025-03-30T22:00", "2025-03-31", "2025-03-30T22:00", "2025-04-29T22:00"),
        # A day period across the spring-forward day is 23 hours long; across fall-back, 25.
        (date(2025, 1, 1), D, "2025-03-30T12:00", "2025-03-30", "2025-03-29T23:00", "2025-03-30T22:00"),
        (date(2025, 1, 1), D, "2025-10-26T12:00", "2025-10-26", "2025-10-25T22:00", "2025-10-26T23:00"),
        # Weekly from Wednesday 1 Jan 2025.
        (date(2025, 1, 1), W, "2025-01-14T23:30", "2025-01-15", "2025-01-14T23:00", "2025-01-21T23:00"),
        # Yearly from 29 Feb 2024: the 2025 period starts 28 Feb.
        (date(2024, 2, 29), Y, "2025-06-01T00:00", "2025-02-28", "2025-02-27T23:00", "2026-02-27T23:00"),
        # Before the anchor (a billing date in the future): the period before it.
        (date(2025, 5, 10), M, "2025-05-01T10:00", "2025-04-10", "2025-04-09T22:00", "2025-05-09T22:00"),
    ],
)
def test_period_at_in_berlin(anchor, unit, now_utc, key, starts, ends):
    period = period_at(anchor, unit, datetime.fromisoformat(now_utc).replace(tzinfo=UTC), BERLIN)
    assert period.key == key
    assert period.starts_at == datetime.fromisoformat(starts).replace(tzinfo=UTC)
    assert period.ends_at == datetime.fromisoformat(ends).replace(tzinfo=UTC)


def test_period_boundary_is_local_midnight_in_new_york_across_fall_back():
    # 2 Nov 2025: EDT (-4) -> EST (-5). A monthly period from 2 Oct ends at 2 Nov 00:00 EDT = 04:00 UTC,
    # the next one at 2 Dec 00:00 EST = 05:00 UTC.
    p = period_at(date(2025, 10, 2), M, datetime(2025, 11, 2, 4, 30, tzinfo=UTC), NEW_YORK)
    assert (p.key, p.starts_at.hour, p.ends_at.isoformat()) == ("2025-11-02", 4, "2025-12-02T05:00:00+00:00")


def test_every_instant_falls_in_exactly_one_period_and_periods_tile():
    anchor, now = date(2024, 1, 31), datetime(2024, 1, 31, tzinfo=UTC)
    previous = period_at(anchor, M, now, BERLIN)
    for _ in range(30):
        nxt = period_at(anchor, M, previous.ends_at, BERLIN)
        assert nxt.starts_at == previous.ends_at
        assert period_at(anchor, M, previous.ends_at - timedelta(microseconds=1), BERLIN).key == previous.key
        previous = nxt
    assert previous.key == "2026-07-31"


def test_one_time_period_never_ends_and_anchor_is_local_day():
    assert one_time_period(date(2025, 3, 1), BERLIN).ends_at is None
    # 23:30 UTC on 31 Dec is already 1 Jan in Berlin.
    assert anchor_for(datetime(2025, 12, 31, 23, 30, tzinfo=UTC), BERLIN) == date(2026, 1, 1)


def test_days_to_scan_from_watermark_day_through_today():
    from datetime import datetime, timezone

    from chalicelib.domain.periods import days_to_scan

    now = datetime(2030, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert days_to_scan(datetime(2030, 2, 27, 23, 0, tzinfo=timezone.utc), now, 3) == [
        "2030-02-27", "2030-02-28", "2030-03-01", "2030-03-02"]
    assert days_to_scan(now, now, 3) == ["2030-03-02"]
    assert days_to_scan(None, now, 1) == ["2030-03-01", "2030-03-02"]
