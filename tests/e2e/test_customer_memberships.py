"""C2: a customer's memberships on their record, paged from the by-booker index (moto)."""
from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.adapters.dynamodb.memberships import MemberRepository
from chalicelib.domain.memberships import MemberRecord
from tests.conftest import make_business, staff_token
from tests.e2e.test_list_pages import read_pages

BIZ, PAT = "biz-a", "pat@example.com"
END = datetime(2030, 2, 1, tzinfo=UTC)


def test_a_customers_memberships_page_with_status_renewal_and_history(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    api.call("POST", "/v1/manage/customers", staff, {"email": PAT})
    members = MemberRepository()
    for i, status in enumerate(("active", "canceled", "past_due")):
        members.replace(None, MemberRecord(BIZ, f"sub_{i}", "yoga", PAT, status, cancel_at_period_end=i == 2,
                                           current_period_end=END, started_at=END))
    members.replace(None, MemberRecord(BIZ, "sub_other", "yoga", "someone@example.com", "active"))
    make_business("biz-b")
    members.replace(None, MemberRecord("biz-b", "sub_b", "yoga", PAT, "active"))  # another business's

    path = f"/v1/manage/customers/{PAT}/memberships"
    seen, pages = read_pages(api, path, staff, 2, "subscription_id")
    assert (sorted(seen), pages) == (["sub_0", "sub_1", "sub_2"], 2)
    items = {m["subscription_id"]: m for m in api.call("GET", path, staff).json["items"]}
    assert (items["sub_0"]["status"], items["sub_0"]["has_access"], items["sub_0"]["renews_on"]) == (
        "active", True, "2030-02-01T00:00:00Z")
    assert (items["sub_1"]["has_access"], items["sub_2"]["cancel_at_period_end"]) == (False, True)
    assert all(isinstance(m["history"], list) for m in items.values())
    assert api.call("GET", "/v1/manage/customers/nobody@example.com/memberships", staff).status_code == 404
    make_business("biz-free", plan="free")
    assert api.call("GET", path, staff_token("biz-free")).status_code == 402  # memberships need a paid plan
