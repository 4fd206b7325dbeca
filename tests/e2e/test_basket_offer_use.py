"""B7: a member ticket in a membership basket spends an offer use of the member's first period, in the
transaction that confirms its place; a basket needing more uses than the first period gives is refused
at hold time. End to end through the local payment provider and the event pipeline."""
from __future__ import annotations

import pytest

from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, local_stripe, setup_queue_and_mail

BIZ, ANN = "biz-basket", "ann@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    queue = setup_queue_and_mail()
    provider = local_stripe()
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    m = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Four a month", "published": True, "page_ids": [page["page_id"]],
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}).json
    offer = api.call("POST", f"/v1/manage/groups/{m['group_id']}/offers", staff, {
        "scope": {"page_id": page["page_id"]}, "usage": {"mode": "per_period", "uses": 4, "period": "month"},
        "attendees": {"personal_use_only": True}})
    assert offer.status_code == 201, offer.body
    entries = [api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": f"Members' yoga {day}", "starts_at": f"2031-03-{day:02d}T18:00:00",
        "ends_at": f"2031-03-{day:02d}T19:00:00", "capacity": 10,
        "tickets": [{"title": "Member", "price_minor": 0, "exclusive_group_id": m["group_id"]}]}).json
        for day in range(2, 7)]
    return {"api": api, "staff": staff, "provider": provider, "queue": queue, "membership": m, "entries": entries,
            "seen": len(provider.events)}


def buy(shop, entries: list[dict]):
    m = shop["membership"]
    return shop["api"].call("POST", f"{MINE}/membership-checkouts", booker_token(ANN), {
        "membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"],
        "tickets": [{"entry_id": e["entry_id"], "ticket_id": e["tickets"][0]["ticket_id"]} for e in entries]})


def booked(shop, entry: dict) -> int:
    return shop["api"].call("GET", f"/v1/manage/entries/{entry['entry_id']}", shop["staff"]).json["booked"]


def test_a_new_member_with_one_basket_ticket_has_three_of_four_uses_left(shop):
    started = buy(shop, shop["entries"][:1])
    assert started.status_code == 201, started.body
    shop["provider"].pay_checkout(started.json["session_id"])
    deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])
    deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])  # redelivered: one use, not two

    [allowance] = shop["api"].call("GET", f"{MINE}/allowances", booker_token(ANN)).json["items"]
    assert (allowance["uses_allowed"], allowance["uses_taken"], allowance["uses_left"]) == (4, 1, 3)
    [booking] = shop["api"].call("GET", f"{MINE}/bookings", booker_token(ANN)).json["items"]
    assert (booking["status"], booking["paid_with"]) == ("confirmed", "offer")
    # Like any member booking: three more go through, the fifth of the month is refused.
    for entry in shop["entries"][1:4]:
        resp = shop["api"].call("POST", f"{MINE}/bookings", booker_token(ANN), {
            "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]})
        assert resp.status_code == 201 and resp.json["paid_with"] == "offer", resp.body
    fifth = shop["entries"][4]
    refused = shop["api"].call("POST", f"{MINE}/bookings", booker_token(ANN), {
        "entry_id": fifth["entry_id"], "ticket_id": fifth["tickets"][0]["ticket_id"]})
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "no_uses_left"


def test_a_basket_of_five_for_a_four_use_offer_is_refused_at_hold_time_naming_the_rule(shop):
    refused = buy(shop, shop["entries"])
    assert refused.status_code == 409, refused.body
    assert refused.json["error"]["reason"] == "no_uses_left" and "tickets.4" in refused.json["error"]["message"]
    assert [booked(shop, e) for e in shop["entries"]] == [0] * 5  # nothing held
    assert buy(shop, shop["entries"][:4]).status_code == 201  # four fit, and the refusal left no claim behind


def test_a_priced_member_ticket_in_the_basket_is_paid_by_the_offer_use_alone_never_charged(shop):
    """A booking is paid by money, or an offer use, or a pass use: never by two of them."""
    api, staff, m = shop["api"], shop["staff"], shop["membership"]
    page_id = shop["entries"][0]["page_id"]
    priced = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page_id, "title": "Members' workshop", "starts_at": "2031-03-09T18:00:00",
        "ends_at": "2031-03-09T19:00:00", "capacity": 10,
        "tickets": [{"title": "Member", "price_minor": 1500, "currency": "EUR", "exclusive_group_id": m["group_id"]}]}).json
    started = buy(shop, [priced, shop["entries"][0]])
    assert started.status_code == 201, started.body
    session = shop["provider"].objects[started.json["session_id"]]
    [line] = session["_line_items"]  # the membership's recurring price, no line for the member tickets
    assert line.get("price", "").startswith("price_") and "price_data" not in line
    shop["provider"].pay_checkout(started.json["session_id"])
    assert session["amount_total"] == 3000  # the membership's price alone
    deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])

    bookings = api.call("GET", f"{MINE}/bookings", booker_token(ANN)).json["items"]
    assert sorted((b["status"], b["paid_with"]) for b in bookings) == [("confirmed", "offer")] * 2
    [allowance] = api.call("GET", f"{MINE}/allowances", booker_token(ANN)).json["items"]
    assert allowance["uses_taken"] == 2
    [payment] = api.call("GET", f"/v1/manage/customers/{ANN}/payments", staff).json["items"]
    assert (payment["kind"], payment["amount_minor"]) == ("invoice", 3000)


def test_a_priced_member_ticket_beyond_the_first_periods_uses_is_refused_not_charged(shop):
    api, staff, m = shop["api"], shop["staff"], shop["membership"]
    priced = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": shop["entries"][0]["page_id"], "title": "Members' workshop", "starts_at": "2031-03-09T18:00:00",
        "ends_at": "2031-03-09T19:00:00", "capacity": 10,
        "tickets": [{"title": "Member", "price_minor": 1500, "currency": "EUR", "exclusive_group_id": m["group_id"]}]}).json
    refused = buy(shop, [*shop["entries"][:4], priced])
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "no_uses_left", refused.body
    assert "tickets.4" in refused.json["error"]["message"]
