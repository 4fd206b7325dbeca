"""Issue 14: dates a request may carry are bounded, unpublished pages are hidden and unbookable,
redirect URLs are http(s), and every request field is bounded."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass, expires_at
from tests.conftest import booker_token
from tests.e2e import test_passes
from tests.e2e.test_passes import JANE, MINE, issue, staff_a

studio, frozen = test_passes.studio, test_passes.frozen  # the passes suite's fixtures: a studio at a frozen time


def _fields(resp) -> set[str]:
    return {f["field"] for f in resp.json["error"].get("fields") or []} | {resp.json["error"].get("field")}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_pass_dates_out_of_range_are_400_naming_the_field_and_passes_stay_viewable(api, studio, day):
    product = api.call("POST", "/v1/manage/pass-products", staff_a(), {
        "title": "Forever", "price_minor": 100, "uses": 5, "eligible": {"page_ids": [studio["yoga"]["page_id"]]},
        "expiry": {"kind": "fixed_date", "date": day}})
    assert product.status_code == 400 and "expiry.date" in _fields(product)
    p = issue(api, studio)
    override = api.call("POST", f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}/expiry", staff_a(), {"date": day})
    assert override.status_code == 400 and "date" in _fields(override)
    assert api.call("GET", f"/v1/manage/customers/{JANE}/passes", staff_a()).status_code == 200
    assert api.call("GET", f"{MINE}/passes", booker_token(JANE)).status_code == 200


def test_the_last_allowed_day_is_stored_shown_and_usable(api, studio):
    p = issue(api, studio)
    ok = api.call("POST", f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}/expiry", staff_a(), {"date": "2100-12-31"})
    assert ok.status_code == 200 and ok.json["last_valid_day"] == "2100-12-31"
    assert api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"][0]["expires_at"] == "2100-12-31T23:00:00Z"  # Berlin midnight
    booked = api.call("POST", f"{MINE}/bookings", booker_token(JANE), {
        "entry_id": studio["yoga"]["entry_id"], "ticket_id": studio["yoga"]["tickets"][0]["ticket_id"], "pay_with": "pass"})
    assert booked.status_code == 201, booked.body


def test_domain_refuses_unshowable_days_and_never_overflows():
    with pytest.raises(InvalidInputError):
        ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=date(9999, 12, 31))
    rule = ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=3650)
    late = Pass(business_id="b", email="e@x.org", pass_id="p", product_id="x", title="t", uses_total=1, uses_taken=0,
                eligibility=Eligibility(page_ids=("pg",)), expiry=rule, purchased_at=datetime(2100, 6, 1, tzinfo=UTC))
    ends = expires_at(late, ZoneInfo("Pacific/Kiritimati"))
    assert ends == datetime(2100, 12, 31, 10, tzinfo=UTC)  # clamped to the last day, midnight at +14:00


@pytest.mark.parametrize("field, value", [
    ("starts_at", "0001-01-01T00:00:00"), ("starts_at", "9999-12-31T23:59:59"),
    ("ends_at", "9999-12-31T23:59:59+14:00"), ("starts_at", "0001-01-01T00:00:00-12:00")])
def test_entry_datetimes_out_of_range_are_400(api, studio, field, value):
    body = {"page_id": studio["yoga"]["page_id"], "title": "T", "starts_at": "2030-02-01T10:00:00",
            "ends_at": "2030-02-01T11:00:00", "capacity": 3, field: value}
    resp = api.call("POST", "/v1/manage/entries", staff_a(), body)
    assert resp.status_code == 400 and field in _fields(resp)
    patch = api.call("PATCH", f"/v1/manage/entries/{studio['yoga']['entry_id']}", staff_a(), {field: value})
    assert patch.status_code == 400 and field in _fields(patch)


@pytest.mark.parametrize("field, value", [("until", "9999-12-31"), ("first_starts_at", "9999-12-25T10:00:00")])
def test_series_dates_out_of_range_are_400(api, studio, field, value):
    body = {"page_id": studio["yoga"]["page_id"], "title": "Weekly", "first_starts_at": "2030-02-01T10:00:00",
            "duration_minutes": 60, "until": "2030-03-01", "capacity": 5, field: value}
    resp = api.call("POST", "/v1/manage/series", staff_a(), body)
    assert resp.status_code == 400 and field in _fields(resp)


def test_unpublished_page_hides_its_entries_from_the_public_and_refuses_bookings(api, studio):
    yoga = studio["yoga"]
    hidden = api.call("PATCH", f"/v1/manage/pages/{yoga['page_id']}", staff_a(), {"published": False})
    assert hidden.status_code == 200
    assert api.call("GET", f"/v1/businesses/biz-a/entries/{yoga['entry_id']}").status_code == 404
    assert api.call("GET", f"/v1/businesses/biz-a/pages/{yoga['page_id']}/entries").status_code == 404
    booked = api.call("POST", f"{MINE}/bookings", booker_token(JANE), {
        "entry_id": yoga["entry_id"], "ticket_id": yoga["tickets"][0]["ticket_id"]})
    assert booked.status_code == 409 and booked.json["error"]["reason"] == "entry_not_published", booked.body
    assert api.call("GET", f"/v1/manage/entries/{yoga['entry_id']}", staff_a()).status_code == 200
    api.call("PATCH", f"/v1/manage/pages/{yoga['page_id']}", staff_a(), {"published": True})
    assert api.call("GET", f"/v1/businesses/biz-a/entries/{yoga['entry_id']}").status_code == 200


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "ftp://x.org/", "https://" + "a" * 2000])
def test_redirect_urls_must_be_http_and_bounded_on_every_checkout(api, studio, url):
    for path, body in [(f"{MINE}/membership-checkouts", {"membership_id": "m", "option_id": "o"}),
                       (f"{MINE}/passes/checkout", {"product_id": studio["product"]["product_id"]})]:
        for field in ("success_url", "cancel_url"):
            resp = api.call("POST", path, booker_token(JANE), {**body, field: url})
            assert resp.status_code == 400 and field in _fields(resp), (path, field, resp.body)
