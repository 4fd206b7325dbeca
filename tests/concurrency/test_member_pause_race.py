"""X1: ten pauses asked for at once by one member, on DynamoDB Local, each within the yearly limit alone
but any two over it: exactly one is stored. Every member-record write is conditional on the pauses it
read (``pause_rev``), so a loser re-reads, sees the winner's days, and is refused ``over_yearly_limit``."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest

from chalicelib.bootstrap import container
from chalicelib.domain.context import BookerContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import RuleRefusedError
from chalicelib.domain.memberships import MemberRecord, Membership
from chalicelib.services.memberships.pauses import PauseRequest
from tests.conftest import make_business

pytestmark = pytest.mark.xdist_group("dynamodb_local")
BIZ, EMAIL = "biz-race", "ann@example.com"


def test_concurrent_member_pauses_never_exceed_the_yearly_limit(ddb_local):
    make_business(BIZ)
    c = container()
    business = replace(c.businesses.get(BIZ), members_may_pause=True, pause_max_days_per_year=10, pause_notice_days=0)
    c.businesses.save(business)
    c.membership_store.save(Membership(BIZ, "m1", "Gold", "", True, (), "g1"))
    c.member_store.replace(None, MemberRecord(BIZ, "sub_1", "m1", EMAIL, "active", synced_ms=1))
    ctx = BookerContext(business, "u1", EMAIL, Customer(BIZ, EMAIL))
    first = date(date.today().year + 1, 2, 1)  # all in one calendar year

    def attempt(i: int) -> str:
        start = first + timedelta(days=10 * i)
        try:
            c.membership_pauses.pause_mine(ctx, "sub_1", PauseRequest(start, start + timedelta(days=6)))
        except RuleRefusedError as exc:
            return exc.reason
        return "paused"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("paused") == 1, outcomes
    assert set(outcomes) == {"paused", "over_yearly_limit"}, outcomes
    stored = c.member_store.get(BIZ, "sub_1")
    assert len(stored.pauses) == 1 and stored.pauses[0].days() == 6
    assert c.member_store.pausing_on(stored.pauses[0].starts_on.isoformat()) == [(BIZ, "sub_1")]
