"""Catalogue and bookings end to end through chalice.test.Client on moto."""
from __future__ import annotations

from tests.conftest import booker_token, make_business, staff_token


def setup_entry(api, business="biz-a", capacity=3, price=0):
    make_business(business)
    staff = staff_token(business)
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Yoga"})
    assert page.status_code == 201, page.body
    entry = api.call(
        "POST",
        "/v1/manage/entries",
        staff,
        {
            "page_id": page.json["page_id"],
            "title": "Morning flow",
            "starts_at": "2030-03-01T09:00:00",
            "ends_at": "2030-03-01T10:00:00",
            "capacity": capacity,
            "tickets": [{"title": "Drop-in", "price_minor": price, "currency": "eur"}],
        },
    )
    assert entry.status_code == 201, entry.body
    return staff, page.json, entry.json


def test_staff_creates_entry_in_business_time_zone(api):
    _, _, entry = setup_entry(api)
    # 09:00 in Berlin in March (CET, UTC+1) is 08:00 UTC.
    assert entry["starts_at"].startswith("2030-03-01T08:00:00")
    assert entry["tickets"][0]["currency"] == "EUR"
    assert entry["places_left"] == 3


def test_booker_books_free_ticket_and_staff_sees_it(api):
    staff, page, entry = setup_entry(api)
    booker = booker_token("Jane@Example.com")
    resp = api.call(
        "POST",
        "/v1/businesses/biz-a/me/bookings",
        booker,
        {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "participants": ["Kid"]},
    )
    assert resp.status_code == 201, resp.body
    assert resp.json["seats"] == 2 and resp.json["booker_email"] == "jane@example.com"
    listed = api.call("GET", f"/v1/manage/entries/{entry['entry_id']}/bookings", staff)
    assert [b["booking_id"] for b in listed.json["items"]] == [resp.json["booking_id"]]
    after = api.call("GET", f"/v1/manage/entries/{entry['entry_id']}", staff)
    assert after.json["booked"] == 2
    # The booker's first call linked a customer record, found by partial search.
    found = api.call("GET", "/v1/manage/customers?q=EXAMP", staff)
    assert [c["email"] for c in found.json["items"]] == ["jane@example.com"]


def test_full_entry_refuses_and_cancel_returns_the_place(api):
    staff, _, entry = setup_entry(api, capacity=1)
    ticket = entry["tickets"][0]["ticket_id"]
    first = api.call("POST", "/v1/businesses/biz-a/me/bookings", booker_token("a@x.org"),
                     {"entry_id": entry["entry_id"], "ticket_id": ticket})
    assert first.status_code == 201
    second = api.call("POST", "/v1/businesses/biz-a/me/bookings", booker_token("b@x.org"),
                      {"entry_id": entry["entry_id"], "ticket_id": ticket})
    assert second.status_code == 409 and second.json["error"]["reason"] == "no_places_left"
    cancel = api.call("POST", f"/v1/businesses/biz-a/me/bookings/{first.json['booking_id']}/cancel", booker_token("a@x.org"))
    assert cancel.status_code == 200 and cancel.json["status"] == "cancelled"
    again = api.call("POST", f"/v1/businesses/biz-a/me/bookings/{first.json['booking_id']}/cancel", booker_token("a@x.org"))
    assert again.status_code == 409
    third = api.call("POST", "/v1/businesses/biz-a/me/bookings", booker_token("b@x.org"),
                     {"entry_id": entry["entry_id"], "ticket_id": ticket})
    assert third.status_code == 201


def test_weekly_series_keeps_wall_clock_time_across_dst_and_one_session_can_change(api):
    make_business()
    staff = staff_token("biz-a")
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    series = api.call("POST", "/v1/manage/series", staff, {
        "page_id": page["page_id"], "title": "Spin", "first_starts_at": "2030-03-19T18:00:00",
        "duration_minutes": 45, "until": "2030-04-09", "capacity": 10,
    })
    assert series.status_code == 201, series.body
    starts = [e["starts_at"][:16] for e in series.json["entries"]]
    # Berlin moves to summer time on 31 March 2030: 18:00 local is 17:00 UTC before, 16:00 after.
    assert starts == ["2030-03-19T17:00", "2030-03-26T17:00", "2030-04-02T16:00", "2030-04-09T16:00"]
    one = series.json["entries"][1]["entry_id"]
    moved = api.call("PATCH", f"/v1/manage/entries/{one}", staff, {"starts_at": "2030-03-27T19:00:00", "ends_at": "2030-03-27T19:45:00"})
    assert moved.status_code == 200
    listed = api.call("GET", f"/v1/manage/series/{series.json['series_id']}", staff).json["entries"]
    assert [e["starts_at"][:16] for e in listed] == ["2030-03-19T17:00", "2030-03-27T18:00", "2030-04-02T16:00", "2030-04-09T16:00"]


def test_openapi_document_lists_routes_with_schemas(api):
    doc = api.call("GET", "/openapi.json")
    assert doc.status_code == 200
    spec = doc.json
    assert spec["openapi"].startswith("3.")
    post = spec["paths"]["/v1/businesses/{business_id}/me/bookings"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BookingIn")
    assert "BookingOut" in spec["components"]["schemas"]
    page = api.call("GET", "/docs")
    assert page.status_code == 200 and b"/v1/manage/entries" in page.body
