"""X1: the pure rules of a pause — what a new pause must pass, and how paused days shift allowance periods."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import ConflictError, ForbiddenError, InvalidInputError, RuleRefusedError
from chalicelib.domain.pauses import (
    PausePolicy,
    PauseWindow,
    check_new_pause,
    check_not_paused,
    next_action_day,
    paused_days_before,
)
from chalicelib.domain.periods import PeriodUnit, period_at
from chalicelib.domain.usage_rolls import roll_forward

TODAY = date(2030, 3, 1)
TZ = ZoneInfo("Europe/Berlin")
ALLOWED = PausePolicy(members_may_pause=True, max_days_per_year=20, notice_days=7)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def refusal(exc: pytest.ExceptionInfo[Exception]) -> str | None:
    err = exc.value
    return err.details.get("field") or err.details.get("reason") or err.code  # type: ignore[attr-defined]


@pytest.mark.parametrize(("window", "status", "existing", "expected"), [
    (PauseWindow("p", TODAY - timedelta(days=1), None), "active", (), "starts_on"),
    (PauseWindow("p", TODAY, TODAY), "active", (), "resumes_on"),
    (PauseWindow("p", TODAY, TODAY + timedelta(days=400)), "active", (), "resumes_on"),
    (PauseWindow("p", TODAY, None), "canceled", (), "not_active"),
    (PauseWindow("p", TODAY, None), "past_due", (), "not_active"),
    (PauseWindow("p", TODAY + timedelta(days=5), None), "active",
     (PauseWindow("old", TODAY, TODAY + timedelta(days=6)),), "already_paused"),
    (PauseWindow("p", TODAY + timedelta(days=50), TODAY + timedelta(days=60)), "active",
     (PauseWindow("open", TODAY, None),), "already_paused"),
])
def test_each_broken_rule_is_named(window, status, existing, expected):
    with pytest.raises((InvalidInputError, RuleRefusedError, ConflictError)) as exc:
        check_new_pause(window, existing, status, TODAY, PausePolicy())
    assert refusal(exc) == expected


def test_staff_pause_today_open_ended_passes_members_limits_do_not_bind_staff():
    check_new_pause(PauseWindow("p", TODAY, None), (), "active", TODAY, PausePolicy(members_may_pause=False))
    back_to_back = (PauseWindow("a", TODAY, TODAY + timedelta(days=3)),)
    check_new_pause(PauseWindow("b", TODAY + timedelta(days=3), None), back_to_back, "active", TODAY, PausePolicy())


def test_member_pause_needs_permission_notice_an_end_and_days_left_in_the_year():
    week = TODAY + timedelta(days=7)
    with pytest.raises(ForbiddenError) as forbidden:
        check_new_pause(PauseWindow("p", week, week + timedelta(days=5), by_member=True), (), "active", TODAY, PausePolicy())
    assert forbidden.value.code == "pause_not_allowed"
    cases = [
        (PauseWindow("p", TODAY + timedelta(days=6), TODAY + timedelta(days=9), by_member=True), (), "too_little_notice"),
        (PauseWindow("p", week, None, by_member=True), (), "resumes_on"),
        (PauseWindow("p", week, week + timedelta(days=21), by_member=True), (), "over_yearly_limit"),
        (PauseWindow("p", week, week + timedelta(days=11), by_member=True),
         (PauseWindow("old", date(2030, 1, 5), date(2030, 1, 15), by_member=True),), "over_yearly_limit"),
    ]
    for window, existing, expected in cases:
        with pytest.raises((InvalidInputError, RuleRefusedError)) as exc:
            check_new_pause(window, existing, "active", TODAY, ALLOWED)
        assert refusal(exc) == expected, window
    # exactly at the limit, and staff pauses or last year's do not count against the member
    taken = (PauseWindow("staff", date(2030, 1, 5), date(2030, 2, 5)),
             PauseWindow("last", date(2029, 12, 1), date(2029, 12, 20), by_member=True),
             PauseWindow("mine", date(2030, 1, 1), date(2030, 1, 11), by_member=True))
    check_new_pause(PauseWindow("p", week, week + timedelta(days=10), by_member=True), taken, "active", TODAY, ALLOWED)


def test_a_ten_day_pause_in_a_monthly_period_keeps_the_period_and_its_uses_and_ends_ten_days_later():
    anchor = date(2030, 1, 15)
    pauses = (PauseWindow("p", date(2030, 3, 1), date(2030, 3, 11)),)
    before = period_at(anchor, PeriodUnit.MONTH, at(date(2030, 2, 28)), TZ)
    assert (before.key, before.ends_at) == ("2030-02-15", at(date(2030, 3, 15), 0))
    back = date(2030, 3, 11)
    after = period_at(anchor, PeriodUnit.MONTH, at(back), TZ, paused_days_before(pauses, anchor, back))
    assert after.key == before.key  # the same stored counter: the uses left are those left at the pause
    assert after.ends_at == at(date(2030, 3, 25), 0)  # shifted by the 10 paused days
    following = date(2030, 3, 25)
    nxt = period_at(anchor, PeriodUnit.MONTH, at(following), TZ, paused_days_before(pauses, anchor, following))
    assert (nxt.key, nxt.starts_at, nxt.ends_at) == ("2030-03-15", at(following, 0), at(date(2030, 4, 25), 0))
    # on 20 March the member is still in the period they left; without the pause, in the next one
    late = date(2030, 3, 20)
    assert period_at(anchor, PeriodUnit.MONTH, at(late), TZ, paused_days_before(pauses, anchor, late)).key == "2030-02-15"
    assert period_at(anchor, PeriodUnit.MONTH, at(late), TZ).key == "2030-03-15"


def test_paused_days_count_only_what_has_passed_and_only_since_the_anchor():
    anchor = date(2030, 1, 1)
    pauses = (PauseWindow("old", date(2029, 12, 1), date(2029, 12, 11)), PauseWindow("a", date(2030, 2, 1), date(2030, 2, 6)),
              PauseWindow("open", date(2030, 3, 1), None))
    assert paused_days_before(pauses, anchor, date(2030, 2, 3)) == 2
    assert paused_days_before(pauses, anchor, date(2030, 3, 4)) == 5 + 3


def test_the_scheduler_does_not_restart_a_counter_whose_period_a_pause_stretched():
    anchor = date(2030, 1, 15)
    pauses = (PauseWindow("p", date(2030, 3, 1), date(2030, 3, 11)),)
    stored = {"o1": {"period": "2030-02-15", "used": 3, "unit": "month", "tz": "Europe/Berlin"}}
    now = at(date(2030, 3, 20))
    assert roll_forward(anchor, stored, now, pauses).restarted == {}
    assert roll_forward(anchor, stored, now).restarted["o1"]["used"] == 0  # what happened without pauses


def test_member_tickets_are_refused_while_paused_or_for_a_day_inside_a_pause():
    pauses = (PauseWindow("p", date(2030, 3, 10), date(2030, 3, 20)),)
    check_not_paused(pauses, TZ, at(date(2030, 3, 1)), at(date(2030, 3, 20)))  # the first day back is bookable
    for now, starts in ((date(2030, 3, 12), date(2030, 3, 25)), (date(2030, 3, 1), date(2030, 3, 19))):
        with pytest.raises(RuleRefusedError) as exc:
            check_not_paused(pauses, TZ, at(now), at(starts))
        assert exc.value.details["reason"] == "membership_paused" and exc.value.details["resumes_on"] == "2030-03-20"


def test_the_schedule_acts_on_the_start_three_days_before_the_end_and_the_end():
    pauses = (PauseWindow("p", date(2030, 3, 10), date(2030, 3, 20)), PauseWindow("q", date(2030, 4, 1), date(2030, 4, 3)))
    days = []
    after = date(2030, 3, 1)
    while (day := next_action_day(pauses, after)) is not None:
        days.append(day)
        after = day + timedelta(days=1)
    assert days == [date(2030, 3, 10), date(2030, 3, 17), date(2030, 3, 20), date(2030, 4, 1), date(2030, 4, 3)]


def test_stripes_own_pause_is_open_ended_while_paused_and_ends_the_day_stripe_resumes():
    from chalicelib.domain.pauses import follow_stripe

    ours = (PauseWindow("p1", date(2030, 3, 1), date(2030, 3, 11)),)
    assert follow_stripe(ours, "paused", date(2030, 3, 5)) == ours  # our pause explains Stripe's status
    paused = follow_stripe(ours, "paused", date(2030, 3, 20))
    [stripe] = [p for p in paused if p.from_stripe]
    assert (stripe.starts_on, stripe.resumes_on) == (date(2030, 3, 20), None)
    assert follow_stripe(paused, "paused", date(2030, 3, 22)) == paused  # a re-read adds nothing
    resumed = follow_stripe(paused, "active", date(2030, 3, 25))
    assert [(p.starts_on, p.resumes_on) for p in resumed if p.from_stripe] == [(date(2030, 3, 20), date(2030, 3, 25))]
    assert follow_stripe(resumed, "active", date(2030, 3, 26)) == resumed
    assert follow_stripe(ours, "active", date(2030, 3, 20)) == ours
