"""Every route, called by the wrong people: no token, a bad token, the other role, another business,
another booker, a booker staff disabled, a business whose plan lacks the feature. None of them may get
data (2xx) or a 500.

Data-driven over the route registry (``api.framework.OPERATIONS``): a route added anywhere is covered
here automatically. ``owned_ids`` builds real resources of business A and its booker; every path
parameter a route uses must have a value there, so a new kind of resource must add one (the test
fails and says which parameter is missing).
"""
from __future__ import annotations

import re

import pytest

import app  # noqa: F401  (importing the app registers every route)
from chalicelib.api.framework import BOOKER, BUSINESS_PARAM, OPERATIONS, OPERATOR, PERSON, PUBLIC, STAFF
from chalicelib.domain.tenancy import FEATURE_MIN_PLAN, Feature
from tests.conftest import booker_token, grant_staff, make_business, mint, module_api, operator_token, staff_token

A, B = "biz-a", "biz-b"
FREE, GHOST = "biz-free", "biz-that-does-not-exist"  # a free-plan business; a business id never created
OWNER_B = "owner-of-b"  # signed B up through the API; staff of nothing else
BOOKER_A, BOOKER_B = "alice@example.com", "bob@example.com"
DISABLED = "carol@example.com"  # a booker of A whom A's staff disabled
GATED_TAGS = {"groups": Feature.CUSTOMER_GROUPS, "passes": Feature.PASSES, "memberships": Feature.MEMBERSHIPS}
# Feature setups in EXTRA_IDS that failed: their routes then fail on a missing id, saying why.
SETUP_FAILURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def api():
    """One moto world for the whole module: these calls must not change A's data anyway."""
    with module_api() as client:
        yield client


@pytest.fixture(scope="module")
def owned_ids(api) -> dict[str, str]:
    """Resources that belong to business A and to booker A."""
    make_business(A)
    # B is a real tenant: signed up by its own owner, then moved to standard by an operator.
    signed_up = api.call("POST", "/v1/businesses", mint(sub=OWNER_B), {
        "business_id": B, "name": "Studio B", "timezone": "Europe/Vienna", "currency": "EUR"})
    assert signed_up.status_code == 201, signed_up.body
    upgraded = api.call("PATCH", f"/v1/operator/businesses/{B}", operator_token(), {"plan": "standard"})
    assert upgraded.status_code == 200, upgraded.body
    make_business(FREE, plan="free")
    staff = staff_token(A)
    ids: dict[str, str] = {"business_id": A}
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Page"}).json
    ids["page_id"] = page["page_id"]
    entry = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "Class", "starts_at": "2031-01-05T10:00:00",
        "ends_at": "2031-01-05T11:00:00", "capacity": 5, "tickets": [{"title": "Free"}]}).json
    ids["entry_id"], ids["ticket_id"] = entry["entry_id"], entry["tickets"][0]["ticket_id"]
    series = api.call("POST", "/v1/manage/series", staff, {
        "page_id": page["page_id"], "title": "Weekly", "first_starts_at": "2031-01-06T10:00:00",
        "duration_minutes": 60, "until": "2031-01-20", "capacity": 5}).json
    ids["series_id"] = series["series_id"]
    booking = api.call("POST", f"/v1/businesses/{A}/me/bookings", booker_token(BOOKER_A),
                       {"entry_id": ids["entry_id"], "ticket_id": ids["ticket_id"]}).json
    ids["booking_id"] = booking["booking_id"]
    ids["email"] = BOOKER_A
    # The disabled booker signs in first (linked and cached), then staff disable the record.
    assert api.call("GET", f"/v1/businesses/{A}/me/bookings", booker_token(DISABLED)).status_code == 200
    disabled = api.call("PATCH", f"/v1/manage/customers/{DISABLED}", staff, {"disabled": True})
    assert disabled.status_code == 200 and disabled.json["disabled"] is True, disabled.body
    for extend in EXTRA_IDS:
        try:
            ids.update(extend(api, staff, ids))
        except Exception as exc:  # one feature's broken setup must not hide every other route's result
            SETUP_FAILURES[extend.__name__] = f"{type(exc).__name__}: {exc}"
    return ids


# Features add a function (api, staff_token_of_A, ids) -> {param: value} for their own resources.
EXTRA_IDS: list = []


def path_for(path: str, ids: dict[str, str]) -> str:
    missing = [p for p in re.findall(r"{(\w+)}", path) if p not in ids]
    assert not missing, (f"owned_ids has no value for {missing} (route {path}): add one to EXTRA_IDS; "
                         f"failed setups: {SETUP_FAILURES}")
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def routes(role: str):
    return [pytest.param(op, id=f"{op.method} {op.path}") for op in OPERATIONS if op.role == role]


def gated_routes():
    return [pytest.param(op, id=f"{op.role} {op.method} {op.path}") for op in OPERATIONS if op.feature is not None]


def body_for(op) -> dict | None:
    return {} if op.method in ("POST", "PUT", "PATCH") else None


@pytest.mark.parametrize("op", routes(STAFF) + routes(BOOKER) + routes(PERSON) + routes(OPERATOR))
def test_no_or_bad_token_is_401(api, owned_ids, op):
    path = path_for(op.path, owned_ids)
    assert api.call(op.method, path, None, body_for(op)).status_code == 401
    for bad in ("not-a-jwt", mint(sub="x", role="staff", business_id=A, aud="someone-else"),
                mint(sub="x", role="staff", business_id=A, exp=1)):
        resp = api.call(op.method, path, bad, body_for(op))
        assert resp.status_code == 401, (bad, resp.body)


@pytest.mark.parametrize("op", routes(STAFF))
def test_staff_routes_refuse_bookers_and_other_businesses(api, owned_ids, op):
    path = path_for(op.path, owned_ids)
    as_booker = api.call(op.method, path, booker_token(BOOKER_A), body_for(op))
    assert as_booker.status_code == 403, as_booker.body
    # Claims a user could edit (role, business_id, Cognito custom attributes) make no one staff.
    edited = mint(sub="mallory", role="staff", business_id=A, **{"custom:role": "staff", "custom:business_id": A})
    assert api.call(op.method, path, edited, body_for(op)).status_code == 403
    # B's owner, even naming A in the header, is not staff of A.
    named = api.call(op.method, path, mint(sub=OWNER_B), body_for(op), headers={"X-Business-Id": A})
    assert named.status_code == 403 and named.json["error"]["code"] == "not_staff", named.body
    other = api.call(op.method, path, mint(sub=OWNER_B), body_for(op))
    if "{" not in op.path:
        # Routes without ids act on the caller's own business: B's answer must hold none of A's ids.
        assert other.status_code < 500, other.body
        assert not any(v in other.body.decode() for k, v in owned_ids.items() if k.endswith("_id") and k != "business_id")
    else:
        assert other.status_code in (400, 403, 404), (other.status_code, other.body)


@pytest.mark.parametrize("op", routes(BOOKER))
def test_booker_routes_refuse_staff_and_other_bookers(api, owned_ids, op):
    path = path_for(op.path, owned_ids)
    as_staff = api.call(op.method, path, staff_token(A), body_for(op))
    assert as_staff.status_code == 403, as_staff.body
    other = api.call(op.method, path, booker_token(BOOKER_B), body_for(op))
    assert other.status_code < 500, other.body
    if other.status_code < 300 and other.body:
        text = other.body.decode()
        assert BOOKER_A not in text and owned_ids["booking_id"] not in text


@pytest.mark.parametrize("op", routes(PUBLIC))
def test_public_routes_never_fail_on_unknown_ids(api, owned_ids, op):
    ids = {k: "nope" for k in owned_ids}
    resp = api.call(op.method, path_for(op.path, ids), None, body_for(op))
    assert resp.status_code < 500, resp.body


@pytest.mark.parametrize("op", routes(OPERATOR))
def test_operator_routes_refuse_everyone_else(api, owned_ids, op):
    """Owners, staff and bookers cannot change a plan, whatever their token claims."""
    path = path_for(op.path, owned_ids)
    for token in (staff_token(A), mint(sub=OWNER_B), booker_token(BOOKER_A), mint(sub="x", role="operator")):
        resp = api.call(op.method, path, token, body_for(op))
        assert resp.status_code == 403, resp.body


def test_every_feature_setup_ran(owned_ids):
    assert SETUP_FAILURES == {}


def test_every_booker_route_names_its_business():
    assert [op.path for op in OPERATIONS if op.role == BOOKER and f"{{{BUSINESS_PARAM}}}" not in op.path] == []


def test_every_route_of_a_gated_feature_declares_its_gate():
    """A groups, passes or memberships route without ``feature=`` would serve free-plan businesses."""
    ungated = [f"{op.method} {op.path}" for op in OPERATIONS
               if op.tag in GATED_TAGS and op.feature is not GATED_TAGS[op.tag]]
    assert ungated == []


@pytest.mark.parametrize("op", routes(STAFF))
def test_staff_of_an_unknown_business_are_refused(api, owned_ids, op):
    resp = api.call(op.method, path_for(op.path, owned_ids), staff_token(GHOST), body_for(op))
    assert resp.status_code == 403, resp.body
    assert resp.json["error"]["code"] == "unknown_business"


@pytest.mark.parametrize("op", routes(BOOKER))
def test_a_disabled_customer_is_refused_on_every_booker_route(api, owned_ids, op):
    resp = api.call(op.method, path_for(op.path, owned_ids), booker_token(DISABLED), body_for(op))
    assert resp.status_code == 403, resp.body
    assert resp.json["error"]["code"] == "customer_disabled"


@pytest.mark.parametrize("op", gated_routes())
def test_a_gated_route_asks_a_free_business_for_the_plan(api, owned_ids, op):
    """402 before anything else: the ids are A's (unknown to the free business), so a 404 would mean the
    handler ran first."""
    token = {STAFF: staff_token(FREE), BOOKER: booker_token(BOOKER_A), PUBLIC: None}[op.role]
    resp = api.call(op.method, path_for(op.path, {**owned_ids, BUSINESS_PARAM: FREE}), token, body_for(op))
    assert resp.status_code == 402, resp.body
    error = resp.json["error"]
    needed = FEATURE_MIN_PLAN[op.feature].value
    assert error["code"] == "plan_required" and error["required_plan"] == needed and needed in error["message"]
    assert error["feature"] == op.feature.value and error["current_plan"] == "free"


def _pass_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Passes: a product of business A and a pass of booker A (issued by A's staff)."""
    product = api.call("POST", "/v1/manage/pass-products", staff, {
        "title": "5 classes", "price_minor": 5000, "uses": 5, "eligible": {"ticket_ids": [ids["ticket_id"]]},
        "expiry": {"kind": "days_from_first_use", "days": 30}}).json
    issued = api.call("POST", f"/v1/manage/customers/{BOOKER_A}/passes", staff, {"product_id": product["product_id"]}).json
    return {"product_id": product["product_id"], "pass_id": issued["pass_id"]}


EXTRA_IDS.append(_pass_ids)


def _group_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Customer groups: a group of business A with an offer, and booker A as its member."""
    group = api.call("POST", "/v1/manage/groups", staff, {"name": "Members"}).json
    api.call("POST", f"/v1/manage/groups/{group['group_id']}/members", staff, {"emails": [BOOKER_A]})
    offer = api.call("POST", f"/v1/manage/groups/{group['group_id']}/offers", staff, {
        "scope": {"page_id": ids["page_id"]}, "usage": {"mode": "per_period", "uses": 2, "period": "week"}}).json
    return {"group_id": group["group_id"], "offer_id": offer["offer_id"]}


EXTRA_IDS.append(_group_ids)


def _membership_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Memberships: a membership of business A, bought by booker A through the local payment provider."""
    from tests.stripe_support import deliver_new_events, local_stripe, setup_queue_and_mail

    queue_url, provider = setup_queue_and_mail(), local_stripe()
    seen = len(provider.events)
    m = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Gold", "published": True,
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "interval": "month"}]}).json
    option_id = m["price_options"][0]["option_id"]
    checkout = api.call("POST", f"/v1/businesses/{A}/me/membership-checkouts", booker_token(BOOKER_A),
                        {"membership_id": m["membership_id"], "option_id": option_id}).json
    provider.pay_checkout(checkout["session_id"])
    deliver_new_events(api, provider, queue_url, seen)
    [mine] = api.call("GET", f"/v1/businesses/{A}/me/memberships", booker_token(BOOKER_A)).json["items"]
    return {"membership_id": m["membership_id"], "option_id": option_id, "subscription_id": mine["subscription_id"]}


EXTRA_IDS.append(_membership_ids)


def _staff_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Staff: a (non-owner) staff member of business A."""
    grant_staff(A, "staff-member-of-a", role="staff")
    return {"subject": "staff-member-of-a"}


EXTRA_IDS.append(_staff_ids)


def _export_job_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Customer exports: a finished background export of business A (written directly: no queue here)."""
    from datetime import UTC, datetime

    from chalicelib.adapters.dynamodb.exports import ExportJobRepository
    from chalicelib.domain.exports import ExportJob, ExportState

    ExportJobRepository().save(ExportJob(A, "export-a", ExportState.DONE, datetime.now(UTC), rows=1,
                                         key=f"exports/{A}/export-a.csv"))
    return {"job_id": "export-a"}


EXTRA_IDS.append(_export_job_ids)


def _portal_link_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """B5: booker A's signed portal link (as their welcome email carries it)."""
    from chalicelib.bootstrap import container

    return {"link": container().portal_links.link(A, ids["subscription_id"]).rsplit("/", 1)[1]}


EXTRA_IDS.append(_portal_link_ids)


def _unsubscribe_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """C4: the unsubscribe token of a marketing email to booker A (a public route's path value)."""
    from chalicelib import bootstrap

    return {"token": bootstrap.container().unsubscribe_links.link(A, BOOKER_A).rsplit("/", 1)[1]}


EXTRA_IDS.append(_unsubscribe_ids)


GATED_TAGS["courses"] = Feature.MEMBERSHIPS  # a course is a membership product (S)


def _course_ids(api, staff: str, ids: dict[str, str]) -> dict[str, str]:
    """Courses: a course of business A on its own series (with a ticket)."""
    series = api.call("POST", "/v1/manage/series", staff, {
        "page_id": ids["page_id"], "title": "Course", "first_starts_at": "2031-02-03T10:00:00", "duration_minutes": 60,
        "until": "2031-02-17", "capacity": 5, "tickets": [{"title": "Place"}]}).json
    course = api.call("POST", "/v1/manage/courses", staff, {
        "title": "Course", "series_id": series["series_id"], "ticket_id": series["entries"][0]["tickets"][0]["ticket_id"],
        "amount_minor": 1000, "interval": "week", "interval_count": 1, "ends_on": "2031-02-28"})
    assert course.status_code == 201, course.body
    return {"course_id": course.json["course_id"]}


EXTRA_IDS.append(_course_ids)
