"""L1 per route: each converted list reads completely through ``next``, a page at a time, and items
its filter drops (archived, unpublished, another business's) never appear on any page."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.adapters.dynamodb.memberships import MemberRepository, MembershipRepository
from chalicelib.adapters.dynamodb.passes import PassProductRepository
from chalicelib.adapters.dynamodb.staff import StaffRepository
from chalicelib.domain.memberships import MemberRecord, Membership
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, PassProduct
from chalicelib.domain.staff import Invitation, StaffRole
from tests.conftest import booker_token, grant_staff, make_business, mint, staff_token

BIZ = "biz-a"
AT = datetime(2030, 1, 1, tzinfo=UTC)


def read_pages(api, path: str, token: str | None, limit: int, key: str) -> tuple[list[str], int]:
    """Every item's ``key`` over all pages, and how many pages it took."""
    seen, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in path else "?"
        resp = api.call("GET", f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token)
        assert resp.status_code == 200, resp.body
        assert len(resp.json["items"]) <= limit
        seen += [item[key] for item in resp.json["items"]]
        pages, cursor = pages + 1, resp.json["next"]
        if cursor is None:
            return seen, pages


def test_groups_and_a_groups_members_page_through(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    made = {api.call("POST", "/v1/manage/groups", staff, {"name": f"G{i}"}).json["group_id"] for i in range(5)}
    seen, pages = read_pages(api, "/v1/manage/groups", staff, 2, "group_id")
    assert sorted(seen) == sorted(made) and pages == 3
    gid = sorted(made)[0]
    emails = {f"m{i:02d}@example.org" for i in range(7)}
    assert api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": sorted(emails)}).status_code == 200
    seen, pages = read_pages(api, f"/v1/manage/groups/{gid}/members", staff, 3, "email")
    assert sorted(seen) == sorted(emails) and pages == 3


def test_my_allowances_page_over_my_group_memberships_and_a_members_rows_by_offset(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    page_id = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json["page_id"]
    groups = []
    for i in range(3):
        gid = api.call("POST", "/v1/manage/groups", staff, {"name": f"G{i}"}).json["group_id"]
        for _ in range(2):
            offer = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {
                "scope": {"page_id": page_id}, "usage": {"mode": "per_period", "uses": 2, "period": "month"},
                "attendees": {"personal_use_only": True}})
            assert offer.status_code == 201, offer.body
        api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": ["m@x.org"]})
        groups.append(gid)
    seen, pages = read_pages(api, f"/v1/businesses/{BIZ}/me/allowances", booker_token("m@x.org"), 2, "group_id")
    # 6 rows, 2 a page: a member page of 2 groups (4 rows) is answered in two pages, then the last group.
    assert sorted(seen) == sorted(g for g in groups for _ in range(2)) and pages == 3
    seen, pages = read_pages(api, f"/v1/manage/groups/{groups[0]}/members/m@x.org/allowances", staff, 1, "offer_id")
    assert len(set(seen)) == 2 and pages == 2


def test_a_memberships_members_mine_and_the_published_list_page_through(api):
    make_business(BIZ)
    repo, members = MembershipRepository(), MemberRepository()
    for i in range(5):
        repo.save(Membership(BIZ, f"ms{i}", f"Club {i}", "", published=i != 2, page_ids=(), group_id=f"g{i}"))
    for i in range(7):
        members.replace(None, MemberRecord(BIZ, f"sub_{i}", "ms0", f"p{i}@x.org", "active", started_at=AT))
    for i in range(3):
        members.replace(None, MemberRecord(BIZ, f"sub_me{i}", f"ms{i + 1}", "me@x.org", "active", started_at=AT))
    staff = staff_token(BIZ)
    seen, pages = read_pages(api, "/v1/manage/memberships", staff, 2, "membership_id")
    assert sorted(seen) == [f"ms{i}" for i in range(5)] and pages == 3
    seen, _ = read_pages(api, f"/v1/businesses/{BIZ}/memberships", None, 2, "membership_id")
    assert sorted(seen) == ["ms0", "ms1", "ms3", "ms4"]  # the unpublished one is filtered at the store
    seen, pages = read_pages(api, "/v1/manage/memberships/ms0/members", staff, 3, "subscription_id")
    assert sorted(seen) == [f"sub_{i}" for i in range(7)] and pages == 3
    seen, pages = read_pages(api, f"/v1/businesses/{BIZ}/me/memberships", booker_token("me@x.org"), 2,
                             "subscription_id")
    assert sorted(seen) == ["sub_me0", "sub_me1", "sub_me2"] and pages == 2


def test_pass_products_page_through_with_archived_and_unpublished_left_out(api):
    make_business(BIZ)
    repo = PassProductRepository()
    for i in range(9):
        repo.save(PassProduct(BIZ, f"pp{i}", f"Pass {i}", "", 1000, "EUR", 5, Eligibility(page_ids=("p",)),
                              ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=30),
                              published=i % 3 != 1, archived=i % 4 == 3))
    seen, _ = read_pages(api, "/v1/manage/pass-products", staff_token(BIZ), 2, "product_id")
    assert sorted(seen) == [f"pp{i}" for i in range(9) if i % 4 != 3]
    seen, _ = read_pages(api, f"/v1/businesses/{BIZ}/pass-products", None, 2, "product_id")
    assert sorted(seen) == [f"pp{i}" for i in range(9) if i % 4 != 3 and i % 3 != 1]


def test_schedule_pages_and_a_pages_entries_page_through_staff_and_public(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    pages = [api.call("POST", "/v1/manage/pages", staff, {"title": f"P{i}"}).json["page_id"] for i in range(4)]
    api.call("PATCH", f"/v1/manage/pages/{pages[1]}", staff, {"published": False})
    seen, count = read_pages(api, "/v1/manage/pages", staff, 3, "page_id")
    assert sorted(seen) == sorted(pages) and count == 2
    seen, _ = read_pages(api, f"/v1/businesses/{BIZ}/pages", None, 1, "page_id")
    assert sorted(seen) == sorted(p for p in pages if p != pages[1])
    entries = []
    for day in range(1, 8):
        made = api.call("POST", "/v1/manage/entries", staff, {
            "page_id": pages[0], "title": f"Class {day}", "starts_at": f"2030-06-{day:02d}T09:00:00",
            "ends_at": f"2030-06-{day:02d}T10:00:00", "capacity": 5, "tickets": [{"title": "Drop-in"}]})
        assert made.status_code == 201, made.body
        entries.append(made.json["entry_id"])
    api.call("PATCH", f"/v1/manage/entries/{entries[3]}", staff, {"published": False})
    seen, count = read_pages(api, f"/v1/manage/entries?page_id={pages[0]}", staff, 3, "entry_id")
    assert seen == entries and count == 3  # by start time, across pages
    seen, _ = read_pages(api, f"/v1/businesses/{BIZ}/pages/{pages[0]}/entries", None, 2, "entry_id")
    assert seen == [e for e in entries if e != entries[3]]


def test_staff_invitations_and_my_businesses_page_through(api):
    make_business(BIZ)
    owner = staff_token(BIZ)
    for i in range(4):
        grant_staff(BIZ, f"sub-{i}", "staff")
    seen, pages = read_pages(api, "/v1/manage/staff", owner, 2, "subject")
    assert sorted(seen) == sorted([f"staff-{BIZ}"] + [f"sub-{i}" for i in range(4)]) and pages == 3
    store = StaffRepository()
    for i in range(5):
        store.save_invitation(Invitation(BIZ, f"inv{i}@x.org", StaffRole.STAFF, f"staff-{BIZ}", AT,
                                         AT + timedelta(days=7)))
    seen, pages = read_pages(api, "/v1/manage/staff/invitations", owner, 2, "email")
    assert sorted(seen) == [f"inv{i}@x.org" for i in range(5)] and pages == 3
    for i in range(5):
        make_business(f"biz-{i}")
        grant_staff(f"biz-{i}", "sub-many", "staff")
    seen, pages = read_pages(api, "/v1/me/businesses", mint(sub="sub-many"), 2, "business_id")
    assert sorted(seen) == [f"biz-{i}" for i in range(5)] and pages == 3


def test_a_persons_cursor_does_not_open_another_persons_list(api):
    for i in range(3):
        make_business(f"biz-{i}")
        grant_staff(f"biz-{i}", "sub-one", "staff")
        grant_staff(f"biz-{i}", "sub-two", "staff")
    cursor = api.call("GET", "/v1/me/businesses?limit=1", mint(sub="sub-one")).json["next"]
    assert cursor
    resp = api.call("GET", f"/v1/me/businesses?limit=1&cursor={cursor}", mint(sub="sub-two"))
    assert resp.status_code == 400 and resp.json["error"]["fields"][0]["field"] == "cursor"
