"""Courses end to end (S1–S7) through the local payment provider (the production Stripe adapter talks to it).

The course started ten days ago (its billing anchor), so a booker joining now pays the rest of the current
4-week cycle; its 12 weekly sessions are all still to come, the first tomorrow.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, local_stripe, sent_emails, setup_queue_and_mail

BIZ, BOOKER, OTHER = "biz-course", "cleo@example.com", "dan@example.com"
MINE = f"/v1/businesses/{BIZ}/me"
TODAY = date.today()


@pytest.fixture
def course(api, request):
    capacity = getattr(request, "param", 5)
    make_business(BIZ, tz="UTC")
    staff = staff_token(BIZ)
    queue_url = setup_queue_and_mail()
    provider = local_stripe()
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Courses"}).json
    first = datetime.combine(TODAY + timedelta(days=1), datetime.min.time()).replace(hour=18)
    series = api.call("POST", "/v1/manage/series", staff, {
        "page_id": page["page_id"], "title": "Pottery", "first_starts_at": first.isoformat(), "duration_minutes": 90,
        "until": (TODAY + timedelta(weeks=11, days=1)).isoformat(), "capacity": capacity,
        "tickets": [{"title": "Course place"}]}).json
    assert len(series["entries"]) == 12
    created = api.call("POST", "/v1/manage/courses", staff, {
        "title": "Pottery term", "series_id": series["series_id"], "ticket_id": series["entries"][0]["tickets"][0]["ticket_id"],
        "amount_minor": 6000, "currency": "EUR", "interval": "week", "interval_count": 4,
        "starts_on": (TODAY - timedelta(days=10)).isoformat(), "ends_on": (TODAY + timedelta(weeks=12)).isoformat()})
    assert created.status_code == 201, created.body
    return {"api": api, "staff": staff, "provider": provider, "queue": queue_url, "course": created.json,
            "sessions": series["entries"], "seen": len(provider.events)}


def deliver(c) -> None:
    c["seen"] = deliver_new_events(c["api"], c["provider"], c["queue"], c["seen"])


def course_path(c) -> str:
    return f"{MINE}/courses/{c['course']['course_id']}"


def booked(c) -> list[int]:
    return [c["api"].call("GET", f"/v1/manage/entries/{s['entry_id']}", c["staff"]).json["booked"] for s in c["sessions"]]


def buy(c, who=BOOKER):
    return c["api"].call("POST", f"{course_path(c)}/checkout", booker_token(who), {})


def test_buying_a_course_enrols_in_every_remaining_session_and_billing_ends_with_the_course(course):
    c, api, provider = course, course["api"], course["provider"]
    assert c["course"]["course"]["auto_enrol"] and c["course"]["stripe_price_id"].startswith("price_")
    # S1: sold only through booking, not in the public membership list
    assert api.call("GET", f"/v1/businesses/{BIZ}/memberships").json["items"] == []
    quote = api.call("GET", f"/v1/businesses/{BIZ}/courses/{c['course']['course_id']}/quote").json
    # S2: 10 days into a 28-day cycle: about 18/28 of 6000 now, then full cycles, and the end prorated
    assert 18 * 6000 // 28 - 250 < quote["charges"][0]["amount_minor"] < 18 * 6000 // 28 + 250
    assert quote["proration_behavior"] == "create_prorations" and quote["charges"][0]["prorated"]

    started = buy(c)
    assert started.status_code == 201, started.body
    assert len(started.json["held_booking_ids"]) == 12 and booked(c) == [1] * 12  # S6: every place held
    session = provider.objects[started.json["session_id"]]
    assert session["_cycle"]["anchor"] == int(datetime.fromisoformat(started.json["billing"]["billing_cycle_anchor"]).timestamp())
    assert buy(c).json["checkout_id"] == started.json["checkout_id"]  # the open one is handed back

    provider.pay_checkout(started.json["session_id"])
    deliver(c)
    assert abs(session["amount_total"] - started.json["billing"]["charges"][0]["amount_minor"]) <= 1  # prorated first charge
    mine = api.call("GET", f"{MINE}/bookings?limit=50", booker_token(BOOKER)).json["items"]
    assert sorted(b["entry_id"] for b in mine if b["status"] == "confirmed") == sorted(s["entry_id"] for s in c["sessions"])
    sub = provider.objects[session["subscription"]]
    assert sub["cancel_at"] == int(datetime.fromisoformat(c["course"]["course"]["ends_at"]).timestamp())  # S7: ends by itself
    roster = api.call("GET", f"/v1/manage/courses/{c['course']['course_id']}/roster", c["staff"]).json["items"]
    assert [(r["email"], r["source"], r["state"]) for r in roster] == [(BOOKER, "purchase", "enrolled")]
    assert buy(c).status_code == 409 and buy(c).json["error"]["code"] == "already_enrolled"  # S4: never twice
    deliver(c)  # redelivery changes nothing
    assert booked(c) == [1] * 12 and [m["subject"] for m in sent_emails()].count("Welcome to Pottery term") == 1

    # S5: the booker leaves one session: its place comes back; the others stay
    left = api.call("DELETE", f"{course_path(c)}/sessions/{c['sessions'][3]['entry_id']}", booker_token(BOOKER))
    assert left.status_code == 200 and left.json["status"] == "cancelled"
    assert booked(c) == [1, 1, 1, 0] + [1] * 8
    # S7: staff move one session: the enrolment stays and the enrolled are emailed once
    moved_to = datetime.combine(TODAY + timedelta(days=2), datetime.min.time()).replace(hour=19)
    moved = api.call("PATCH", f"/v1/manage/courses/{c['course']['course_id']}/sessions/{c['sessions'][0]['entry_id']}",
                     c["staff"], {"starts_at": moved_to.isoformat(), "ends_at": (moved_to + timedelta(hours=1)).isoformat()})
    assert moved.status_code == 200 and moved.json["booked"] == 1
    moved_mails = [m for m in sent_emails() if m["subject"] == "Pottery term: a session has moved"]
    assert [m["to"] for m in moved_mails] == [BOOKER] and "19:00" in moved_mails[0]["text"]

    provider.trigger("reach-cancel-at", BOOKER)  # the course's end passes: Stripe ends the subscription
    deliver(c)
    assert provider.objects[session["subscription"]]["status"] == "canceled"
    assert api.call("GET", f"{MINE}/memberships", booker_token(BOOKER)).json["items"][0]["has_access"] is False


@pytest.mark.parametrize("course", [1], indirect=True)
def test_a_full_session_stops_the_checkout_naming_it_and_holds_nothing(course):
    c, api = course, course["api"]
    by_hand = api.call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster", c["staff"], {"email": OTHER})
    assert by_hand.status_code == 201 and by_hand.json["source"] == "staff"  # S4: staff add anyone, no payment
    assert booked(c) == [1] * 12
    again = api.call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster", c["staff"], {"email": OTHER})
    assert again.status_code == 409
    refused = buy(c)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "sessions_full"
    assert sorted(s["entry_id"] for s in refused.json["error"]["sessions"]) == sorted(s["entry_id"] for s in c["sessions"])
    assert "Pottery" in refused.json["error"]["message"]
    assert api.call("GET", f"{MINE}/bookings", booker_token(BOOKER)).json["items"] == []
    removed = api.call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster/remove", c["staff"], {"email": OTHER})
    assert removed.status_code == 200 and removed.json["sessions_released"] == 12 and booked(c) == [0] * 12
    assert buy(c).status_code == 201


def test_an_expired_checkout_gives_every_held_place_back(course):
    c = course
    started = buy(c).json
    assert booked(c) == [1] * 12
    c["provider"].expire_checkout(started["session_id"])
    deliver(c)
    assert booked(c) == [0] * 12
    assert buy(c).status_code == 201  # a new checkout can open


def test_a_session_added_later_enrols_everyone_and_one_with_enrolments_is_deleted_only_by_cancelling(course):
    c, api = course, course["api"]
    base = f"/v1/manage/courses/{c['course']['course_id']}"
    for who in (BOOKER, OTHER):
        assert api.call("POST", f"{base}/roster", c["staff"], {"email": who}).status_code == 201
    when = datetime.combine(TODAY + timedelta(weeks=13), datetime.min.time()).replace(hour=18)
    added = api.call("POST", f"{base}/sessions", c["staff"], {"starts_at": when.isoformat(),
                                                               "ends_at": (when + timedelta(hours=1)).isoformat()})
    assert added.status_code == 201 and sorted(added.json["enrolled"]) == [BOOKER, OTHER] and added.json["entry"]["booked"] == 2
    new_id = added.json["entry"]["entry_id"]
    refused = api.call("DELETE", f"{base}/sessions/{new_id}", c["staff"])
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "session_has_enrolments"
    cancelled = api.call("DELETE", f"{base}/sessions/{new_id}?cancel=true", c["staff"])
    assert cancelled.status_code == 200 and cancelled.json == {"cancelled": 2}
    assert sorted(m["to"] for m in sent_emails() if m["subject"] == "Pottery term: a session is cancelled") == [BOOKER, OTHER]
    assert api.call("GET", f"/v1/manage/entries/{new_id}", c["staff"]).status_code == 404


def test_staff_remove_a_buyer_with_a_prorated_refund_and_the_subscription_ends(course):
    c, api, provider = course, course["api"], course["provider"]
    started = buy(c).json
    provider.pay_checkout(started["session_id"])
    deliver(c)
    session = provider.objects[started["session_id"]]
    removed = api.call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster/remove", c["staff"],
                       {"email": BOOKER, "refund": True})
    assert removed.status_code == 200, removed.body
    # every session of the paid (first, partial) period is still to come: the whole first charge comes back
    assert removed.json["sessions_released"] == 12 and removed.json["refunded_minor"] == session["amount_total"]
    refunds = [o for o in provider.objects.values() if o.get("object") == "refund"
               and o["payment_intent"] == session["payment_intent"]]  # the provider is shared by the process
    assert [r["amount"] for r in refunds] == [session["amount_total"]]
    assert provider.objects[session["subscription"]]["status"] == "canceled" and booked(c) == [0] * 12
    roster = api.call("GET", f"/v1/manage/courses/{c['course']['course_id']}/roster", c["staff"]).json["items"]
    assert [r["state"] for r in roster] == ["left"]


def test_the_provider_bills_what_the_quote_said_and_ends_the_subscription_at_the_course_end(course):
    """S2 at the (local) provider: each renewal is a full cycle, the last one is cut at cancel_at, and the renewal
    that would start past it ends the subscription (customer.subscription.deleted)."""
    c, provider = course, course["provider"]
    started = buy(c).json
    provider.pay_checkout(started["session_id"])
    deliver(c)
    sub_id = provider.objects[started["session_id"]]["subscription"]
    for _ in range(10):
        if provider.objects[sub_id]["status"] == "canceled":
            break
        provider.trigger("renew", BOOKER)
    deliver(c)
    invoices = [o["amount_paid"] for o in provider.objects.values() if o.get("object") == "invoice"
                and ((o.get("parent") or {}).get("subscription_details") or {}).get("subscription") == sub_id]
    expected = [ch["amount_minor"] for ch in started["billing"]["charges"]]
    assert len(invoices) == len(expected) and abs(invoices[0] - expected[0]) <= 1 and invoices[1:] == expected[1:]
    assert provider.objects[sub_id]["status"] == "canceled"
    assert any(e["type"] == "customer.subscription.deleted" and e["data"]["object"]["id"] == sub_id for e in provider.events)
