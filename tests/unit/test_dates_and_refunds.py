"""The email date formatter (business time zone, in words) and the refund policy rule (B3)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.bookings import refund_due
from chalicelib.domain.dates import day_in_words, in_words


@pytest.mark.parametrize(("moment", "tz", "text"), [
    (datetime(2024, 12, 3, 17, 0, tzinfo=UTC), "Europe/Berlin", "Tue 3 Dec, 18:00"),
    (datetime(2024, 7, 3, 16, 5, tzinfo=UTC), "Europe/Berlin", "Wed 3 Jul, 18:05"),  # summer time
    (datetime(2024, 12, 31, 23, 30, tzinfo=UTC), "Asia/Tokyo", "Wed 1 Jan, 08:30"),  # next day there
    (datetime(2024, 3, 1, 2, 0, tzinfo=UTC), "America/New_York", "Thu 29 Feb, 21:00"),
])
def test_a_moment_in_the_business_zone_in_words(moment, tz, text):
    assert in_words(moment, ZoneInfo(tz)) == text


def test_a_day_in_words_has_its_year():
    assert day_in_words(date(2031, 12, 2)) == "Tue 2 Dec 2031"


START = datetime(2030, 5, 1, 18, tzinfo=UTC)


@pytest.mark.parametrize(("policy", "hours", "before", "due"), [
    ("full", 24, timedelta(minutes=5), 3000),
    ("none", 24, timedelta(days=30), 0),
    ("full_until", 24, timedelta(hours=24), 3000),  # exactly at the limit: still in full
    ("full_until", 24, timedelta(hours=23, minutes=59), 0),
    ("full_until", 0, timedelta(minutes=1), 3000),
])
def test_refund_policy(policy, hours, before, due):
    assert refund_due(policy, hours, START, START - before, 3000) == due
