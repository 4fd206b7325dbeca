"""L1: every list is a page with an opaque cursor; nothing is cut; cursors cannot be forged or replayed.
C2/L1 search: any part of a name or email, across the "@", accents and case ignored."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import app  # noqa: F401  (importing the app registers every route)
from chalicelib.adapters.dynamodb.customers import CustomerRepository
from chalicelib.api.framework import OPERATIONS
from chalicelib.domain.customers import Customer
from tests.conftest import make_business, staff_token

LIST = "/v1/manage/customers"


def add_customers(business_id: str, count: int) -> set[str]:
    repo, at = CustomerRepository(), datetime(2030, 1, 1, tzinfo=UTC)
    emails = {f"person{i:03d}@example.org" for i in range(count)}
    for email in emails:
        repo.create_if_missing(Customer(business_id, email, name=f"Person {email[:9]}", created_at=at))
    return emails


def read_all(api, path: str, token: str, limit: int) -> tuple[list[str], int]:
    seen, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        resp = api.call("GET", url, token)
        assert resp.status_code == 200, resp.body
        assert len(resp.json["items"]) <= limit
        seen += [c["email"] for c in resp.json["items"]]
        pages += 1
        cursor = resp.json["next"]
        if cursor is None:
            return seen, pages


def test_250_customers_read_completely_through_the_cursor(api):
    make_business("biz-a")
    emails = add_customers("biz-a", 250)
    seen, pages = read_all(api, LIST, staff_token("biz-a"), limit=100)
    assert len(seen) == len(set(seen)) == 250 and set(seen) == emails
    assert pages >= 3
    first = api.call("GET", LIST, staff_token("biz-a")).json
    assert len(first["items"]) == 50 and first["next"]  # the default page size, and "more" is said


def test_limit_bounds_and_forged_or_foreign_cursors_are_400_naming_the_field(api):
    make_business("biz-a")
    make_business("biz-b")
    add_customers("biz-a", 5)
    add_customers("biz-b", 5)
    staff_a, staff_b = staff_token("biz-a"), staff_token("biz-b")
    for bad in ("0", "101", "-1", "ten"):
        resp = api.call("GET", f"{LIST}?limit={bad}", staff_a)
        assert resp.status_code == 400 and resp.json["error"]["fields"][0]["field"] == "limit", bad
    assert len(api.call("GET", f"{LIST}?limit=100", staff_a).json["items"]) == 5
    cursor = api.call("GET", f"{LIST}?limit=2", staff_a).json["next"]
    assert cursor
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad_cursor, token, path in [
        (tampered, staff_a, LIST),
        ("eyJidXNpbmVzc19pZCI6eyJTIjoiYml6LWEifX0", staff_a, LIST),  # a readable key, unsealed
        (cursor, staff_b, LIST),  # another business
        (cursor, staff_a, f"{LIST}?kind=primary"),  # the same route with another filter
    ]:
        sep = "&" if "?" in path else "?"
        resp = api.call("GET", f"{path}{sep}cursor={bad_cursor}", token)
        assert resp.status_code == 400, resp.body
        assert resp.json["error"]["code"] == "invalid_cursor" and resp.json["error"]["fields"][0]["field"] == "cursor"
    assert api.call("GET", f"{LIST}?limit=2&cursor={cursor}", staff_a).status_code == 200


@pytest.mark.parametrize("query", ["smith@exam", "@example.net", "example.net", "jose", "JOSÉ", "ith@EXAMPLE.n", "sé sm"])
def test_search_finds_across_the_at_the_domain_alone_and_without_accents(api, query):
    make_business("biz-a")
    repo, at = CustomerRepository(), datetime(2030, 1, 1, tzinfo=UTC)
    repo.create_if_missing(Customer("biz-a", "jose.smith@example.net", name="José Smith", created_at=at))
    repo.create_if_missing(Customer("biz-a", "other@elsewhere.org", name="Ann Other", created_at=at))
    resp = api.call("GET", f"{LIST}?q={query}", staff_token("biz-a"))
    assert resp.status_code == 200, resp.body
    assert [c["email"] for c in resp.json["items"]] == ["jose.smith@example.net"]


def test_search_pages_through_many_matches_without_losing_any(api):
    make_business("biz-a")
    emails = add_customers("biz-a", 120)
    seen, _ = read_all(api, f"{LIST}?q=@example.org", staff_token("biz-a"), limit=40)
    assert len(seen) == len(set(seen)) and set(seen) == emails


def test_every_list_route_is_paginated():
    bare = {f"{op.method} {op.path}" for op in OPERATIONS if op.many}
    assert not bare, f"no route may return a bare list; declare these paginated=True: {bare}"
    converted = {op.path for op in OPERATIONS if op.paginated}
    assert {LIST, f"{LIST}/{{email}}/bookings", f"{LIST}/{{email}}/passes", "/v1/manage/groups", "/v1/manage/staff",
            "/v1/me/businesses", "/v1/businesses/{business_id}/me/allowances"} <= converted


def test_backfill_makes_records_of_the_old_fragment_scheme_findable_and_is_idempotent(api):
    from chalicelib.adapters.dynamodb.customers import CustomerModel, CustomerSearchModel

    make_business("biz-a")
    CustomerModel("biz-a", "jose.smith@example.net", name="José Smith").save()  # indexed by the old scheme:
    for old in ("josé", "smith", "example", "net"):
        CustomerSearchModel("biz-a", f"{old}#jose.smith@example.net", email="jose.smith@example.net",
                            name="José Smith").save()
    find = lambda q: api.call("GET", f"{LIST}?q={q}", staff_token("biz-a")).json["items"]  # noqa: E731
    assert find("smith@exam") == [] and find("jose") == []
    assert CustomerRepository().reindex("biz-a")[1] == 2  # "josé" and "example" are not fragments any more
    assert CustomerRepository().reindex("biz-a") == (1, 0)
    assert [c["email"] for c in find("smith@exam")] == [c["email"] for c in find("jose")] == ["jose.smith@example.net"]
