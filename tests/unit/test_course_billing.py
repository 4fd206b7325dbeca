"""S2: what a booker joining a course mid-way pays, by Stripe's proration rules (``domain/courses.py``).

The course: starts Monday 5 January 2026 00:00 UTC, billed EUR 60.00 every 4 weeks, ends 31 May 2026
(``cancel_at`` = 1 June 00:00 UTC). Cycles begin on 5 Jan, 2 Feb, 2 Mar, 30 Mar, 27 Apr and 25 May; the
last one (25 May to 22 Jun) is cut at 1 June.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.courses import course_billing, course_end, prorated_refund
from chalicelib.domain.errors import InvalidInputError, RuleRefusedError

START = datetime(2026, 1, 5, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)
PRICE = 6000


def at(day: int, month: int = 1) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_joining_on_12_january_pays_the_three_weeks_left_then_full_cycles_then_the_last_week():
    """Hand computation (Stripe prorates by seconds; whole days here):
    - at checkout, 12 Jan → 2 Feb is 21 of the cycle's 28 days: 6000 * 21 / 28 = 4500;
    - full cycles on 2 Feb, 2 Mar, 30 Mar, 27 Apr: 4 * 6000 = 24000;
    - 25 May → 1 June (cancel_at) is 7 of 28 days: 6000 * 7 / 28 = 1500;
    - total 4500 + 24000 + 1500 = 30000 (EUR 300.00).
    Checkout parameters: billing_cycle_anchor = 2 Feb, proration_behavior = create_prorations, cancel_at = 1 June.
    """
    plan = course_billing(PRICE, "week", 4, START, END, at(12))
    assert plan.billing_cycle_anchor == at(2, 2)
    assert plan.proration_behavior == "create_prorations"
    assert plan.cancel_at == END
    assert [(c.at, c.amount_minor) for c in plan.charges] == [
        (at(12), 4500), (at(2, 2), 6000), (at(2, 3), 6000), (at(30, 3), 6000), (at(27, 4), 6000), (at(25, 5), 1500)]
    assert plan.total_minor == 30000
    assert [c.prorated for c in plan.charges] == [True, False, False, False, False, True]


def test_joining_on_26_january_pays_one_week_then_the_same_cycles():
    """Hand computation:
    - at checkout, 26 Jan → 2 Feb is 7 of 28 days: 6000 * 7 / 28 = 1500;
    - full cycles on 2 Feb, 2 Mar, 30 Mar, 27 Apr: 24000;
    - last cycle cut at 1 June: 1500;
    - total 1500 + 24000 + 1500 = 27000 (EUR 270.00), 3000 less than joining two weeks earlier.
    """
    plan = course_billing(PRICE, "week", 4, START, END, at(26))
    assert plan.billing_cycle_anchor == at(2, 2)
    assert [c.amount_minor for c in plan.charges] == [1500, 6000, 6000, 6000, 6000, 1500]
    assert plan.total_minor == 27000


def test_prorated_by_seconds_not_days():
    """Joining 12 Jan at 12:00: 20.5 of 28 days are left: 6000 * 20.5 / 28 = 4392.857… → 4393."""
    plan = course_billing(PRICE, "week", 4, START, END, datetime(2026, 1, 12, 12, tzinfo=UTC))
    assert plan.charges[0].amount_minor == 4393


def test_joining_before_the_start_is_charged_the_first_full_cycle_on_the_first_day():
    plan = course_billing(PRICE, "week", 4, START, END, at(1))
    assert plan.billing_cycle_anchor == START and plan.proration_behavior == "none"
    assert [c.amount_minor for c in plan.charges] == [6000, 6000, 6000, 6000, 6000, 1500]


def test_joining_on_a_cycle_boundary_starts_a_full_cycle_now_without_an_anchor():
    plan = course_billing(PRICE, "week", 4, START, END, at(2, 2))
    assert plan.billing_cycle_anchor is None
    assert [c.amount_minor for c in plan.charges] == [6000, 6000, 6000, 6000, 1500]


def test_joining_in_the_last_cycle_pays_up_to_the_end_only():
    """28 May → 1 June is 4 of the 28-day cycle: 6000 * 4 / 28 = 857.14 → 857; no anchor past the end."""
    plan = course_billing(PRICE, "week", 4, START, END, at(28, 5))
    assert plan.billing_cycle_anchor is None
    assert [c.amount_minor for c in plan.charges] == [857]


def test_monthly_cycles_keep_the_start_day_and_clamp_short_months():
    """Start 31 Jan, monthly: cycles 31 Jan, 28 Feb, 31 Mar; end 15 Mar: the Feb cycle (28 Feb → 31 Mar,
    31 days) is cut after 15 days: 9300 * 15 / 31 = 4500."""
    plan = course_billing(9300, "month", 1, at(31), at(15, 3), at(31))
    assert [(c.at, c.amount_minor) for c in plan.charges] == [(at(31), 9300), (at(28, 2), 4500)]


def test_after_the_end_nobody_can_join():
    with pytest.raises(RuleRefusedError):
        course_billing(PRICE, "week", 4, START, END, END)


def test_course_end_is_the_midnight_after_the_last_day_in_the_business_zone():
    assert course_end(date(2026, 5, 31), ZoneInfo("Europe/London")) == datetime(2026, 5, 31, 23, tzinfo=UTC)


def test_prorated_refund_pays_back_the_sessions_not_held():
    assert prorated_refund(30000, 12, 4) == 10000
    assert prorated_refund(30000, 12, 0) == 0
    assert prorated_refund(1000, 3, 1) == 333


def test_a_course_is_billed_in_weeks_or_months():
    from chalicelib.domain.courses import check_course

    with pytest.raises(InvalidInputError) as err:
        check_course(START, END, "year", 1)
    assert err.value.details == {"field": "interval"}
