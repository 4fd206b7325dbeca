"""Bad requests get a 4xx naming the field or rule; never a 500, never half-written data."""
from __future__ import annotations

import pytest

from tests.conftest import booker_token, make_business, staff_token


@pytest.fixture
def staff(api):
    make_business("biz-a")
    return staff_token("biz-a")


@pytest.mark.parametrize(
    "raw, code",
    [(b"{not json", "invalid_json"), (b"[1, 2]", "invalid_json"), (b"\xff\xfe", "invalid_json")],
)
def test_malformed_bodies(api, staff, raw, code):
    resp = api.call("POST", "/v1/manage/pages", staff, raw=raw)
    assert resp.status_code == 400 and resp.json["error"]["code"] == code


def test_missing_unknown_and_wrong_type_fields_are_named(api, staff):
    resp = api.call("POST", "/v1/manage/entries", staff, {"title": "", "capacity": "many", "colour": "red"})
    assert resp.status_code == 400
    fields = {f["field"] for f in resp.json["error"]["fields"]}
    assert {"page_id", "title", "capacity", "starts_at", "ends_at", "colour"} <= fields


def test_rule_errors_name_the_field(api, staff):
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "P"}).json
    resp = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "T", "starts_at": "2030-01-01T10:00:00",
        "ends_at": "2030-01-01T09:00:00", "capacity": 3})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "ends_at"
    bad_tz = api.call("PATCH", "/v1/manage/business", staff, {"timezone": "Mars/Olympus"})
    assert bad_tz.status_code == 400 and bad_tz.json["error"]["field"] == "timezone"


def test_unknown_ids_are_404_and_nothing_is_written(api, staff):
    resp = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": "nope", "title": "T", "starts_at": "2030-01-01T10:00:00",
        "ends_at": "2030-01-01T11:00:00", "capacity": 3})
    assert resp.status_code == 404
    booking = api.call("POST", "/v1/businesses/biz-a/me/bookings", booker_token("a@x.org"),
                       {"entry_id": "nope", "ticket_id": "t"})
    assert booking.status_code == 404
    unknown_business = api.call("POST", "/v1/businesses/nobody/me/bookings", booker_token("a@x.org"),
                                {"entry_id": "e", "ticket_id": "t"})
    assert unknown_business.status_code == 404


def test_capacity_cannot_drop_below_booked_places(api, staff):
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "P"}).json
    entry = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "T", "starts_at": "2031-01-01T10:00:00",
        "ends_at": "2031-01-01T11:00:00", "capacity": 3, "tickets": [{"title": "Free"}]}).json
    booked = api.call("POST", "/v1/businesses/biz-a/me/bookings", booker_token("a@x.org"),
                      {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "participants": ["B"]})
    assert booked.status_code == 201
    shrink = api.call("PATCH", f"/v1/manage/entries/{entry['entry_id']}", staff, {"capacity": 1})
    assert shrink.status_code == 400 and shrink.json["error"]["field"] == "capacity"
    delete = api.call("DELETE", f"/v1/manage/entries/{entry['entry_id']}", staff)
    assert delete.status_code == 409
    assert api.call("GET", f"/v1/manage/entries/{entry['entry_id']}", staff).json["capacity"] == 3


def test_disabled_customer_cannot_use_the_booker_api(api, staff):
    booker = booker_token("c@x.org")
    assert api.call("GET", "/v1/businesses/biz-a/me/bookings", booker).status_code == 200
    assert api.call("PATCH", "/v1/manage/customers/c@x.org", staff, {"disabled": True}).status_code == 200
    from chalicelib import bootstrap
    from chalicelib.config import settings

    bootstrap.install(bootstrap.build(settings()))  # another Lambda container, which has not linked this booker yet
    refused = api.call("GET", "/v1/businesses/biz-a/me/bookings", booker)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "customer_disabled"


def test_ids_longer_than_any_key_are_a_400_naming_the_parameter_on_public_and_staff_routes(api, staff):
    """DynamoDB refuses keys over 1,024/2,048 bytes with an error that used to surface as a 500."""
    public = api.call("GET", f"/v1/businesses/biz-a/entries/{'x' * 1025}")
    assert public.status_code == 400 and public.json["error"]["fields"][0]["field"] == "entry_id"
    business = api.call("GET", f"/v1/businesses/{'b' * 2049}/pages")
    assert business.status_code == 400 and business.json["error"]["fields"][0]["field"] == "business_id"
    as_staff = api.call("GET", f"/v1/manage/entries/{'e' * 300}", staff)
    assert as_staff.status_code == 400


def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, staff):
    deep = b'{"title": "P", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = api.call("POST", "/v1/manage/pages", staff, raw=deep)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "too_deep"
    moderately = b'{"title": "P", "x": ' + b"[" * 40 + b"]" * 40 + b"}"
    resp = api.call("POST", "/v1/manage/pages", staff, raw=moderately)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "too_deep"


def test_an_unexpected_error_is_a_500_with_a_correlation_id_and_no_internals(api, staff, monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.config import settings

    class Broken:
        def list_pages(self, business_id: str) -> list[object]:
            raise RuntimeError("secret internal detail")

    bootstrap.install(bootstrap.build(settings(), catalogue_store=Broken()))
    resp = api.call("GET", "/v1/manage/pages", staff)
    assert resp.status_code == 500
    assert resp.json["error"]["code"] == "internal_error"
    assert resp.json["error"]["correlation_id"] == resp.headers["X-Correlation-Id"]
    assert "secret" not in resp.body.decode()
