"""Fair use (B8) and one open membership checkout per booker (B4), end to end on moto.

The caps are conditional counters in the transactions that spend them: places per booker and entry
(held and booked together), open checkouts per booker, and the membership's one open checkout.
"""
from __future__ import annotations

import pytest

from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import local_stripe, setup_queue_and_mail

BIZ, ANN = "biz-fair", "ann@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    setup_queue_and_mail()
    provider = local_stripe()
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json

    def entry(title: str, capacity: int = 40, tickets: list | None = None) -> dict:
        return api.call("POST", "/v1/manage/entries", staff, {
            "page_id": page["page_id"], "title": title, "starts_at": "2031-03-04T18:00:00", "ends_at": "2031-03-04T19:00:00",
            "capacity": capacity, "tickets": tickets or [{"title": "Drop-in", "price_minor": 1500},
                                                         {"title": "Free", "price_minor": 0}]}).json

    return {"api": api, "staff": staff, "provider": provider, "page": page, "entry": entry}


def book(shop, entry: dict, seats: int, ticket: int = 0, email: str = ANN):
    return shop["api"].call("POST", f"{MINE}/bookings", booker_token(email), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][ticket]["ticket_id"],
        "participants": [f"Guest {i}" for i in range(seats - 1)]})


def test_places_per_booker_and_entry_count_held_and_booked_together(shop):
    yoga = shop["entry"]("Yoga")
    assert book(shop, yoga, 6).json["status"] == "held"  # card: held
    assert book(shop, yoga, 4, ticket=1).json["status"] == "confirmed"  # free: booked; 10 in all
    refused = book(shop, yoga, 1, ticket=1)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "booker_limit"
    assert refused.json["error"]["max_places"] == 10
    assert book(shop, yoga, 3, ticket=1, email="ben@example.com").status_code == 201  # someone else's count
    # Cancelling gives the places back to the booker's count too.
    mine = shop["api"].call("GET", f"{MINE}/bookings", booker_token(ANN)).json["items"]
    free = next(b for b in mine if b["paid_with"] == "free")
    assert shop["api"].call("POST", f"{MINE}/bookings/{free['booking_id']}/cancel", booker_token(ANN)).status_code == 200
    assert book(shop, yoga, 4, ticket=1).status_code == 201


def test_the_business_sets_the_cap(shop):
    assert shop["api"].call("PATCH", "/v1/manage/business", shop["staff"], {"max_places_per_booker": 2}).status_code == 200
    yoga = shop["entry"]("Yoga")
    assert book(shop, yoga, 3, ticket=1).json["error"]["reason"] == "booker_limit"
    assert book(shop, yoga, 2, ticket=1).status_code == 201


def test_at_most_three_unpaid_checkouts_open_at_once(shop):
    entries = [shop["entry"](f"Class {i}") for i in range(4)]
    held = [book(shop, e, 1).json for e in entries[:3]]
    assert all(b["status"] == "held" for b in held)
    refused = book(shop, entries[3], 1)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "too_many_open_checkouts"
    assert shop["api"].call("GET", f"/v1/manage/entries/{entries[3]['entry_id']}", shop["staff"]).json["booked"] == 0
    shop["provider"].pay_checkout(held[0]["checkout_url"].rsplit("/", 1)[1])  # paying closes one...
    from tests.stripe_support import deliver_new_events
    deliver_new_events(shop["api"], shop["provider"], setup_queue_and_mail(), len(shop["provider"].events) - 2)
    assert book(shop, entries[3], 1).status_code == 201  # ...so another may open


def membership(shop, attendees: dict | None = None) -> tuple[dict, dict]:
    api, staff = shop["api"], shop["staff"]
    m = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Gold", "published": True, "page_ids": [shop["page"]["page_id"]],
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}).json
    if attendees is not None:
        api.call("POST", f"/v1/manage/groups/{m['group_id']}/offers", staff, {
            "scope": {"page_id": shop["page"]["page_id"]}, "usage": {"mode": "per_period", "uses": 4, "period": "month"},
            "attendees": attendees})
    entry = shop["entry"]("Members' yoga", tickets=[{"title": "Member", "price_minor": 0, "exclusive_group_id": m["group_id"]}])
    return m, entry


def buy(shop, m: dict, entry: dict | None = None, participants: list[str] | None = None):
    body: dict = {"membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"]}
    if entry:
        body["tickets"] = [{"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"],
                            "participants": participants or []}]
    return shop["api"].call("POST", f"{MINE}/membership-checkouts", booker_token(ANN), body)


def test_a_second_membership_checkout_gets_the_open_one_back(shop):
    m, entry = membership(shop)
    first = buy(shop, m, entry)
    assert first.status_code == 201, first.body
    second = buy(shop, m, entry)
    assert second.status_code in (200, 201)
    assert (second.json["checkout_id"], second.json["url"]) == (first.json["checkout_id"], first.json["url"])
    assert shop["api"].call("GET", f"/v1/manage/entries/{entry['entry_id']}", shop["staff"]).json["booked"] == 1
    shop["provider"].expire_checkout(first.json["session_id"])  # closed: a new one may open
    from tests.stripe_support import deliver_new_events
    deliver_new_events(shop["api"], shop["provider"], setup_queue_and_mail(), len(shop["provider"].events) - 1)
    third = buy(shop, m, entry)
    assert third.status_code == 201 and third.json["checkout_id"] != first.json["checkout_id"]


def test_a_basket_member_ticket_obeys_the_offers_attendee_rule(shop):
    m, entry = membership(shop, attendees={"personal_use_only": True})
    refused = buy(shop, m, entry, participants=["Bo"])
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "too_many_attendees"
    assert shop["api"].call("GET", f"/v1/manage/entries/{entry['entry_id']}", shop["staff"]).json["booked"] == 0
    assert buy(shop, m, entry).status_code == 201  # the refusal left no claim behind


def test_a_second_subscription_paid_anyway_is_cancelled_refunded_and_mailed_once(shop):
    from chalicelib.adapters.dynamodb.booker_counters import BookerCounterModel, membership_scope
    from tests.stripe_support import deliver_new_events, sent_emails

    queue = setup_queue_and_mail()
    m, _ = membership(shop)
    first = buy(shop, m).json
    # Two checkouts opened before B4 existed (or a claim lost): drop the claim to open a second one.
    BookerCounterModel(membership_scope(BIZ, m["membership_id"]), ANN).delete()
    second = buy(shop, m).json
    assert second["checkout_id"] != first["checkout_id"]
    seen = len(shop["provider"].events)
    shop["provider"].pay_checkout(first["session_id"])
    shop["provider"].pay_checkout(second["session_id"])
    paid = len(shop["provider"].events)
    deliver_new_events(shop["api"], shop["provider"], queue, seen)
    deliver_new_events(shop["api"], shop["provider"], queue, paid)  # the cancellation's own events

    mine = shop["api"].call("GET", f"{MINE}/memberships", booker_token(ANN)).json["items"]
    assert sorted((s["status"], s["has_access"]) for s in mine) in ([("active", True), ("canceled", False)],
                                                                   [("active", True)])
    second_sub = shop["provider"].objects[second["session_id"]]["subscription"]
    assert shop["provider"].objects[second_sub]["status"] == "canceled"
    intent = shop["provider"].objects[second["session_id"]]["payment_intent"]
    assert [o["amount"] for o in shop["provider"].objects.values() if o.get("object") == "refund"
            and o["payment_intent"] == intent] == [3000]
    subjects = [e["subject"] for e in sent_emails()]
    assert subjects.count("Welcome to Gold") == 1
    assert subjects.count("You already have Gold: your second payment is refunded") == 1
