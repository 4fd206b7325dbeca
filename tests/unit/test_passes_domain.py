"""Pass rules (P1, P4–P7) as pure functions: expiry in the business's zone, oldest-first, overrides."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.catalogue import Entry, Ticket
from chalicelib.domain.errors import ConflictError, InvalidInputError, RuleRefusedError
from chalicelib.domain.passes import (
    Eligibility,
    ExpiryKind,
    ExpiryRule,
    Pass,
    PassState,
    choose_pass,
    expires_at,
    last_valid_day,
    pass_id_for,
    revoke,
    set_fixed_expiry,
    set_relative_expiry,
    set_uses_total,
    state,
    validate_product_terms,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
TICKET = Ticket("t-yoga", "Drop-in", 1500, "EUR")
ENTRY = Entry("biz", "e1", "page-yoga", "Flow", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1), capacity=10,
              tickets=(TICKET,))
FOR_YOGA = Eligibility(ticket_ids=("t-yoga",))


def a_pass(pass_id: str, purchased_at: datetime, *, uses_total: int = 10, uses_taken: int = 0,
           expiry: ExpiryRule | None = None, eligibility: Eligibility = FOR_YOGA, **kw) -> Pass:
    return Pass("biz", "jane@example.com", pass_id, "prod", "10 classes", uses_total, uses_taken, eligibility,
                expiry or ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=30), purchased_at, **kw)


# P1: expiry rules, end of day in the business's time zone


def test_fixed_date_expires_at_midnight_after_that_day_in_business_zone():
    p = a_pass("p1", NOW, expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 7, 31)))
    # Midnight 1 August in Berlin (CEST, UTC+2) is 22:00 UTC on 31 July.
    assert expires_at(p, BERLIN) == datetime(2030, 7, 31, 22, 0, tzinfo=UTC)
    assert state(p, datetime(2030, 7, 31, 21, 59, 59, tzinfo=UTC), BERLIN) is PassState.ACTIVE
    assert state(p, datetime(2030, 7, 31, 22, 0, tzinfo=UTC), BERLIN) is PassState.EXPIRED


def test_days_from_first_use_has_no_expiry_until_first_use_then_counts_local_days():
    p = a_pass("p1", NOW)
    assert last_valid_day(p, BERLIN) is None and expires_at(p, BERLIN) is None
    assert state(p, NOW + timedelta(days=4000), BERLIN) is PassState.ACTIVE
    # 23:30 UTC on 10 Jan is 00:30 on 11 Jan in Berlin: the timeframe starts on the local day.
    used = replace(p, first_used_at=datetime(2030, 1, 10, 23, 30, tzinfo=UTC))
    assert last_valid_day(used, BERLIN) == date(2030, 2, 10)
    assert expires_at(used, BERLIN) == datetime(2030, 2, 10, 23, 0, tzinfo=UTC)


def test_days_from_purchase_counts_from_purchase_even_when_unused():
    p = a_pass("p1", datetime(2030, 1, 1, 9, 0, tzinfo=UTC), expiry=ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=10))
    assert last_valid_day(p, BERLIN) == date(2030, 1, 11)
    assert state(p, datetime(2030, 1, 11, 22, 59, tzinfo=UTC), BERLIN) is PassState.ACTIVE
    assert state(p, datetime(2030, 1, 11, 23, 0, tzinfo=UTC), BERLIN) is PassState.EXPIRED


def test_states_used_up_and_revoked():
    assert state(a_pass("p", NOW, uses_total=3, uses_taken=3), NOW, BERLIN) is PassState.USED_UP
    assert state(a_pass("p", NOW, revoked=True), NOW, BERLIN) is PassState.REVOKED


def test_expiry_rule_and_product_terms_are_validated():
    with pytest.raises(InvalidInputError):
        ExpiryRule(ExpiryKind.FIXED_DATE)
    with pytest.raises(InvalidInputError):
        ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=0)
    with pytest.raises(InvalidInputError):
        Eligibility()
    with pytest.raises(InvalidInputError) as exc:
        validate_product_terms(uses=0, price_minor=100)
    assert exc.value.details["field"] == "uses"


def test_pass_ids_sort_by_purchase_time():
    earlier, later = NOW, NOW + timedelta(microseconds=1)
    assert pass_id_for(earlier, "zzzz") < pass_id_for(later, "aaaa")


# P4: the oldest eligible pass pays


def test_oldest_pass_is_used_even_when_a_newer_one_expires_sooner():
    oldest = a_pass("old", NOW - timedelta(days=20), expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 12, 31)))
    newer = a_pass("new", NOW - timedelta(days=5), expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 2, 1)))
    assert choose_pass([newer, oldest], ENTRY, TICKET, 1, NOW, BERLIN).pass_id == "old"


def test_expired_used_up_revoked_and_ineligible_passes_are_skipped():
    expired = a_pass("a", NOW - timedelta(days=40), expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 1, 1)))
    used_up = a_pass("b", NOW - timedelta(days=30), uses_total=5, uses_taken=5)
    revoked = a_pass("c", NOW - timedelta(days=20), revoked=True)
    other = a_pass("d", NOW - timedelta(days=15), eligibility=Eligibility(ticket_ids=("t-spin",)))
    good = a_pass("e", NOW - timedelta(days=1))
    assert choose_pass([good, other, revoked, used_up, expired], ENTRY, TICKET, 1, NOW, BERLIN).pass_id == "e"


def test_a_pass_with_too_few_uses_for_all_seats_is_skipped_for_the_next():
    one_left = a_pass("a", NOW - timedelta(days=10), uses_total=10, uses_taken=9)
    plenty = a_pass("b", NOW - timedelta(days=1))
    assert choose_pass([one_left, plenty], ENTRY, TICKET, 2, NOW, BERLIN).pass_id == "b"
    assert choose_pass([one_left, plenty], ENTRY, TICKET, 1, NOW, BERLIN).pass_id == "a"


def test_pass_must_still_be_valid_when_the_entry_starts():
    ends_tomorrow = a_pass("a", NOW - timedelta(days=10), expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 1, 16)))
    with pytest.raises(RuleRefusedError) as exc:
        choose_pass([ends_tomorrow], ENTRY, TICKET, 1, NOW, BERLIN)  # entry starts on 17 Jan
    assert exc.value.reason == "pass_expired"


def test_eligibility_by_entry_or_page_and_never_exclusive_tickets():
    by_entry = a_pass("a", NOW, eligibility=Eligibility(entry_ids=("e1",)))
    by_page = a_pass("b", NOW, eligibility=Eligibility(page_ids=("page-yoga",)))
    assert choose_pass([by_entry], ENTRY, TICKET, 1, NOW, BERLIN).pass_id == "a"
    assert choose_pass([by_page], ENTRY, TICKET, 1, NOW, BERLIN).pass_id == "b"
    members_only = Ticket("t-yoga", "Members", 0, "EUR", exclusive_group_id="g1")
    with pytest.raises(RuleRefusedError) as exc:
        choose_pass([by_entry], ENTRY, members_only, 1, NOW, BERLIN)
    assert exc.value.reason == "no_eligible_pass"


@pytest.mark.parametrize(
    ("passes", "reason"),
    [
        ([], "no_eligible_pass"),
        ([a_pass("a", NOW, eligibility=Eligibility(ticket_ids=("t-other",)))], "no_eligible_pass"),
        ([a_pass("a", NOW, uses_total=2, uses_taken=2)], "pass_used_up"),
        ([a_pass("a", NOW, expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 1, 1)))], "pass_expired"),
        ([a_pass("a", NOW, revoked=True)], "pass_revoked"),
        # Not enough uses is the most useful thing to say, even if another pass expired.
        ([a_pass("a", NOW, uses_total=2, uses_taken=2),
          a_pass("b", NOW, expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 1, 1)))], "pass_used_up"),
    ],
)
def test_refusals_name_the_rule(passes, reason):
    with pytest.raises(RuleRefusedError) as exc:
        choose_pass(passes, ENTRY, TICKET, 1, NOW, BERLIN)
    assert exc.value.reason == reason


# P5–P7: overrides, each recorded with who, when, old and new


def test_relative_timeframe_override_is_the_whole_timeframe_30_plus_14_is_44():
    p = a_pass("p", NOW, first_used_at=datetime(2030, 1, 1, 10, 0, tzinfo=UTC))
    assert last_valid_day(p, BERLIN) == date(2030, 1, 31)
    changed = set_relative_expiry(p, 44, "staff-1", NOW)
    assert last_valid_day(changed, BERLIN) == date(2030, 2, 14)
    assert changed.revision == p.revision + 1
    (h,) = changed.history
    assert (h.who, h.at, h.field) == ("staff-1", NOW, "expiry")
    assert h.old == {"kind": "days_from_first_use", "date": None, "days": 30}
    assert h.new == {"kind": "days_from_first_use", "date": None, "days": 44}


def test_relative_override_keeps_purchase_anchor_and_moves_fixed_date_to_first_use():
    from_purchase = a_pass("p", NOW, expiry=ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=10))
    assert set_relative_expiry(from_purchase, 20, "s", NOW).expiry == ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=20)
    fixed = a_pass("p", NOW, expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 3, 1)))
    assert set_relative_expiry(fixed, 20, "s", NOW).expiry == ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=20)


def test_fixed_date_override_revives_an_expired_pass():
    p = a_pass("p", NOW, expiry=ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(2030, 1, 1)))
    assert state(p, NOW, BERLIN) is PassState.EXPIRED
    changed = set_fixed_expiry(p, date(2030, 6, 30), "s", NOW)
    assert state(changed, NOW, BERLIN) is PassState.ACTIVE
    assert changed.history[-1].new == {"kind": "fixed_date", "date": "2030-06-30", "days": None}


def test_uses_override_sets_the_new_original_total_23_used_5_set_22_leaves_17():
    p = a_pass("p", NOW, uses_total=23, uses_taken=5)
    changed = set_uses_total(p, 22, "staff-1", NOW)
    assert (changed.uses_total, changed.uses_taken, changed.uses_left) == (22, 5, 17)
    assert (changed.history[-1].old, changed.history[-1].new) == (23, 22)


def test_uses_override_below_uses_taken_is_refused_with_the_floor():
    p = a_pass("p", NOW, uses_total=23, uses_taken=5)
    with pytest.raises(ConflictError) as exc:
        set_uses_total(p, 4, "s", NOW)
    assert exc.value.code == "uses_below_taken" and "5" in exc.value.message
    assert set_uses_total(p, 5, "s", NOW).uses_left == 0  # exactly the uses taken is allowed


def test_revoke_is_recorded_and_a_revoked_pass_cannot_be_changed_or_used():
    p = revoke(a_pass("p", NOW), "staff-1", NOW)
    assert state(p, NOW, BERLIN) is PassState.REVOKED
    assert (p.history[-1].field, p.history[-1].old, p.history[-1].new) == ("revoked", False, True)
    with pytest.raises(ConflictError):
        revoke(p, "s", NOW)
    with pytest.raises(ConflictError):
        set_uses_total(p, 50, "s", NOW)
    with pytest.raises(RuleRefusedError) as exc:
        choose_pass([p], ENTRY, TICKET, 1, NOW, BERLIN)
    assert exc.value.reason == "pass_revoked"
