"""O5/O6 rules as pure functions: terms by join time, refusal order, uses per period, roll-forward."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.catalogue import Ticket
from chalicelib.domain.errors import InvalidInputError, RuleRefusedError
from chalicelib.domain.groups import (
    Group,
    GroupMember,
    Offer,
    OfferTerms,
    Scope,
    UsageCounter,
    choose_offer,
    make_attendees,
    make_scope,
    make_usage,
    parse_emails,
    roll_forward,
)

TZ = ZoneInfo("Europe/Berlin")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 15, 12, tzinfo=UTC)
TICKET = Ticket("t1", "Members", 0, "EUR", exclusive_group_id="g1")


def terms(version=1, created_at=T0, extra=0, usage=("per_period", 3, "month"), scope=Scope(page_id="p1")):
    return OfferTerms(version, created_at, "Offer", extra, make_usage(*usage), scope)


def group(*offers):
    return Group("biz", "g1", "Members", "", T0, offers=offers)


def offer(*versions, enabled=True, offer_id="o1"):
    return Offer(offer_id, enabled, versions[0].created_at, versions)


MEMBER = GroupMember("g1", "a@x.org", "biz", joined_at=datetime(2025, 1, 31, 10, tzinfo=UTC), anchor=date(2025, 1, 31))


def refusal(*args, **kwargs) -> str:
    with pytest.raises(RuleRefusedError) as err:
        choose_offer(*args, **kwargs)
    return err.value.reason


@pytest.mark.parametrize(
    "case, g, member, counters, page, seats, reason",
    [
        ("no group", None, MEMBER, {}, "p1", 1, "not_a_member"),
        ("not a member", group(offer(terms())), None, {}, "p1", 1, "not_a_member"),
        ("offer disabled", group(offer(terms(), enabled=False)), MEMBER, {}, "p1", 1, "offer_disabled"),
        ("no offer", group(), MEMBER, {}, "p1", 1, "offer_disabled"),
        ("other page", group(offer(terms())), MEMBER, {}, "p2", 1, "ticket_not_in_scope"),
        ("not in list", group(offer(terms(scope=Scope(ticket_ids=("t9",))))), MEMBER, {}, "p1", 1, "ticket_not_in_scope"),
        ("personal only", group(offer(terms())), MEMBER, {}, "p1", 2, "too_many_attendees"),
        ("3 extra > 2", group(offer(terms(extra=2))), MEMBER, {}, "p1", 4, "too_many_attendees"),
        ("used up", group(offer(terms())), MEMBER, {"o1": UsageCounter("o1", "2025-02-28", 3)}, "p1", 1, "no_uses_left"),
        ("2 left, 3 seats", group(offer(terms(extra=5))), MEMBER, {"o1": UsageCounter("o1", "2025-02-28", 1)}, "p1", 3, "no_uses_left"),
        ("one-time spent", group(offer(terms(usage=("one_time_total", 2, None)))), MEMBER,
         {"o1": UsageCounter("o1", "total", 2)}, "p1", 1, "no_uses_left"),
        # Disabled is checked before scope, scope before attendees, attendees before uses.
        ("disabled wins over scope", group(offer(terms(), enabled=False)), MEMBER, {}, "p2", 5, "offer_disabled"),
        ("scope wins over attendees", group(offer(terms())), MEMBER, {}, "p2", 5, "ticket_not_in_scope"),
        ("attendees win over uses", group(offer(terms())), MEMBER, {"o1": UsageCounter("o1", "2025-02-28", 3)}, "p1", 2,
         "too_many_attendees"),
    ],
)
def test_refusals_in_order(case, g, member, counters, page, seats, reason):
    assert refusal(g, member, counters, page, TICKET, seats, TZ, NOW) == reason, case


def test_last_period_counter_does_not_count_and_starts_a_new_period():
    g = group(offer(terms()))
    choice = choose_offer(g, MEMBER, {"o1": UsageCounter("o1", "2025-01-31", 3)}, "p1", TICKET, 1, TZ, NOW)
    assert choice.period.key == "2025-02-28" and choice.starts_period
    same = choose_offer(g, MEMBER, {"o1": UsageCounter("o1", "2025-02-28", 2)}, "p1", TICKET, 1, TZ, NOW)
    assert not same.starts_period


def test_unlimited_offer_is_preferred_and_counts_nothing():
    g = group(offer(terms()), offer(terms(usage=("unlimited", None, None)), offer_id="o2"))
    choice = choose_offer(g, MEMBER, {}, "p1", TICKET, 1, TZ, NOW)
    assert choice.offer.offer_id == "o2" and choice.period is None


def test_terms_are_the_version_in_force_when_the_member_joined():
    v1 = terms(1, T0, usage=("per_period", 3, "month"))
    v2 = terms(2, datetime(2025, 2, 1, tzinfo=UTC), usage=("per_period", 10, "month"))
    o = offer(v1, v2)
    assert o.terms_for(MEMBER.joined_at).version == 1  # joined 31 Jan: keeps v1
    assert o.terms_for(datetime(2025, 2, 1, tzinfo=UTC)).version == 2
    assert o.terms_for(datetime(2024, 6, 1, tzinfo=UTC)).version == 1  # joined before the offer existed
    # Old member with 3/month has used 3: refused, although new members get 10.
    assert refusal(group(o), MEMBER, {"o1": UsageCounter("o1", "2025-02-28", 3)}, "p1", TICKET, 1, TZ, NOW) == "no_uses_left"


@pytest.mark.parametrize(
    "args, field",
    [
        (("per_period", None, "month"), "usage.uses"),
        (("per_period", 3, None), "usage.period"),
        (("one_time_total", 3, "week"), "usage.period"),
        (("unlimited", 3, None), "usage"),
    ],
)
def test_usage_rule_validation_names_the_field(args, field):
    with pytest.raises(InvalidInputError) as err:
        make_usage(*args)
    assert err.value.details["field"] == field


def test_attendee_and_scope_validation():
    assert make_attendees(True, None) == 0 and make_attendees(False, 3) == 3
    for bad in ((False, None), (True, 2), (False, 25)):
        with pytest.raises(InvalidInputError):
            make_attendees(*bad)
    for bad in ((None, None), ("p1", ["t1"]), (None, [])):
        with pytest.raises(InvalidInputError):
            make_scope(*bad)


def test_parse_emails_normalises_reports_invalid_and_duplicates():
    got = parse_emails("Jane <Jane@Example.com>, bob@x.org; not-an-email\nBOB@x.org  carl@y.io")
    assert [(c.email, c.duplicate) for c in got] == [
        ("jane@example.com", False), ("bob@x.org", False), (None, False), ("bob@x.org", True), ("carl@y.io", False)]
    with pytest.raises(InvalidInputError):
        parse_emails("  ,; ")


def test_roll_forward_restarts_only_ended_periods_and_is_idempotent():
    stored = {
        "o1": {"period": "2025-01-31", "used": 3, "unit": "month", "tz": "Europe/Berlin", "ends_at": "x"},
        "o2": {"period": "total", "used": 1, "tz": "Europe/Berlin"},  # one-time: never rolled
    }
    roll = roll_forward(date(2025, 1, 31), stored, NOW)
    assert roll.restarted == {"o1": {**stored["o1"], "period": "2025-02-28", "used": 0, "ends_at": "2025-03-30T22:00:00+00:00"}}
    assert roll.old_periods == {"o1": "2025-01-31"}
    assert roll.next_reset_at == datetime(2025, 3, 30, 22, tzinfo=UTC)
    again = roll_forward(date(2025, 1, 31), {**stored, **roll.restarted}, NOW + timedelta(hours=1))
    assert again.restarted == {} and again.next_reset_at == roll.next_reset_at
