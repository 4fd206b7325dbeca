"""50 concurrent exclusive bookings by one member with 3 uses left, on DynamoDB Local: exactly 3 win.

The use and the place are one transaction, so the counter and the entry's booked count agree.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.adapters.dynamodb.groups import GroupMemberModel, raw_usage
from chalicelib.bootstrap import container
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.periods import PeriodUnit, period_at
from chalicelib.domain.tenancy import Caller, Feature
from chalicelib.services.bookings import BookTickets
from chalicelib.services.groups import NewGroup, NewMembers, NewOffer, ScopeTerms, UsageTerms
from tests.conftest import grant_staff, make_business

pytestmark = pytest.mark.xdist_group("dynamodb_local")
MEMBER = "m@x.org"


def setup(uses_per_month: int, stored: dict | None):
    make_business("biz-race")
    grant_staff("biz-race", "staff-biz-race")
    staff = container().access.staff(Caller("staff-biz-race"), Feature.CUSTOMER_GROUPS)
    groups = container().groups
    catalogue = container().catalogue.catalogue
    catalogue.save_page(SchedulePage("biz-race", "p1", "Members"))
    group = groups.create(staff, NewGroup(name="Gold"))
    groups.create_offer(staff, group.group_id, NewOffer(ScopeTerms(page_id="p1"), usage=UsageTerms("per_period", uses_per_month, "month")))
    groups.add_members(staff, group.group_id, NewMembers(emails=MEMBER))
    starts = datetime.now(UTC) + timedelta(days=3)
    catalogue.save_entry(Entry("biz-race", "e1", "p1", "Class", starts, starts + timedelta(hours=1), capacity=100,
                               tickets=(Ticket("t1", "Members", 0, "EUR", exclusive_group_id=group.group_id),)))
    if stored is not None:
        offer_id = groups.get(staff, group.group_id).offers[0].offer_id
        GroupMemberModel(group.group_id, MEMBER).update(actions=[GroupMemberModel.usage[offer_id].set(stored)])
    return group.group_id


def race(n: int = 50) -> list[str]:
    services = container().bookings
    booker = container().access.booker(Caller("m", email=MEMBER), "biz-race", None)

    def attempt(_: int) -> str:
        try:
            services.book(booker, BookTickets(entry_id="e1", ticket_id="t1"))
            return "ok"
        except ConflictError as exc:
            return exc.details.get("reason") or exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(attempt, range(n)))


def current_key(group_id: str) -> str:
    anchor = date.fromisoformat(GroupMemberModel.get(group_id, MEMBER).anchor)
    return period_at(anchor, PeriodUnit.MONTH, datetime.now(UTC), ZoneInfo("Europe/Berlin")).key


def test_fifty_concurrent_bookings_with_three_uses_left(ddb_local):
    gid = setup(uses_per_month=5, stored=None)
    key = current_key(gid)
    GroupMemberModel(gid, MEMBER).update(actions=[GroupMemberModel.usage[
        container().groups.groups.get("biz-race", gid).offers[0].offer_id].set(
        {"period": key, "used": 2, "tz": "Europe/Berlin", "unit": "month"})])
    outcomes = race()
    assert outcomes.count("ok") == 3, outcomes
    assert set(outcomes) - {"ok"} <= {"no_uses_left", "busy"}
    [counter] = raw_usage(GroupMemberModel.get(gid, MEMBER)).values()
    assert (counter["period"], counter["used"]) == (key, 5)
    assert EntryModel.get("biz-race", "e1").booked == 3


def test_fifty_concurrent_bookings_when_the_stored_counter_is_from_last_period(ddb_local):
    # Last period's counter is spent; nobody has moved it forward. The new period allows 3.
    gid = setup(uses_per_month=3, stored={"period": "1999-01-01", "used": 3, "tz": "Europe/Berlin", "unit": "month"})
    outcomes = race()
    assert outcomes.count("ok") == 3, outcomes
    [counter] = raw_usage(GroupMemberModel.get(gid, MEMBER)).values()
    assert (counter["period"], counter["used"]) == (current_key(gid), 3)
    assert EntryModel.get("biz-race", "e1").booked == 3
