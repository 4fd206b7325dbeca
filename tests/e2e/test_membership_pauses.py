"""X1 end to end through the local payment provider: staff pause a member (Stripe's Pause, its events),
member tickets are refused and bookings inside the pause cancelled with their use back, staff resume;
members pause their own within the business's limits; a closure pauses every member through the queue."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, drain, local_stripe, sent_emails, setup_queue_and_mail

BIZ, BOOKER = "biz-p", "pia@example.com"
MINE = f"/v1/businesses/{BIZ}/me"
SUBS = "/v1/manage/subscriptions"


def day(offset: int) -> str:
    return (datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=offset)).isoformat()


@pytest.fixture
def shop(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    queue_url = setup_queue_and_mail()
    provider = local_stripe()
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    membership = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Gold", "published": True, "page_ids": [page["page_id"]],
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}).json
    gid = membership["group_id"]
    offer = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {
        "scope": {"page_id": page["page_id"]}, "usage": {"mode": "per_period", "uses": 4, "period": "month"},
        "attendees": {"personal_use_only": True}})
    assert offer.status_code == 201, offer.body
    entries = {}
    for offset in (5, 20):
        entries[offset] = api.call("POST", "/v1/manage/entries", staff, {
            "page_id": page["page_id"], "title": f"Yoga +{offset}", "starts_at": f"{day(offset)}T10:00:00",
            "ends_at": f"{day(offset)}T11:00:00", "capacity": 5,
            "tickets": [{"title": "Member", "exclusive_group_id": gid}]}).json
    state = {"api": api, "staff": staff, "provider": provider, "queue": queue_url, "membership": membership,
             "entries": entries, "seen": len(provider.events)}
    checkout = api.call("POST", f"{MINE}/membership-checkouts", booker_token(BOOKER), {
        "membership_id": membership["membership_id"], "option_id": membership["price_options"][0]["option_id"]}).json
    provider.pay_checkout(checkout["session_id"])
    deliver(state)
    mine = api.call("GET", f"{MINE}/memberships", booker_token(BOOKER)).json["items"]
    state["sub"] = mine[0]["subscription_id"]
    return state


def deliver(shop) -> None:
    shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])


def book(shop, offset: int):
    entry = shop["entries"][offset]
    return shop["api"].call("POST", f"{MINE}/bookings", booker_token(BOOKER), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]})


def subjects() -> list[str]:
    return sorted(e["subject"] for e in sent_emails() if e["to"] == BOOKER)


def test_staff_pause_cancels_bookings_inside_refuses_member_tickets_and_resume_restores(shop):
    api, staff, sub = shop["api"], shop["staff"], shop["sub"]
    inside, after = book(shop, 5), book(shop, 20)
    assert inside.status_code == 201 and after.status_code == 201, inside.body

    paused = api.call("POST", f"{SUBS}/{sub}/pause", staff, {"starts_on": day(0), "resumes_on": day(10)})
    assert paused.status_code == 200, paused.body
    assert paused.json["status"] == "paused" and paused.json["has_access"]
    assert [(p["starts_on"], p["resumes_on"]) for p in paused.json["pauses"]] == [(day(0), day(10))]
    stripe_sub = shop["provider"].objects[sub]
    assert stripe_sub["status"] == "paused"
    deliver(shop)  # customer.subscription.paused / updated: re-read, nothing changes
    assert api.call("GET", f"{SUBS}/{sub}", staff).json["status"] == "paused"

    cancelled = api.call("GET", f"{MINE}/bookings/{inside.json['booking_id']}", booker_token(BOOKER)).json
    assert cancelled["status"] == "cancelled" and cancelled["use_returned"] is True
    kept = api.call("GET", f"{MINE}/bookings/{after.json['booking_id']}", booker_token(BOOKER)).json
    assert kept["status"] == "confirmed"
    refused = book(shop, 5)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "membership_paused"
    assert refused.json["error"]["resumes_on"] == day(10)

    again = api.call("POST", f"{SUBS}/{sub}/pause", staff, {"starts_on": day(2), "resumes_on": day(4)})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_paused"
    past = api.call("POST", f"{SUBS}/{sub}/pause", staff, {"starts_on": day(-1)})
    assert past.status_code == 400 and past.json["error"]["field"] == "starts_on"

    resumed = api.call("POST", f"{SUBS}/{sub}/resume", staff)
    assert resumed.status_code == 200 and resumed.json["status"] == "active", resumed.body
    assert resumed.json["pauses"][0]["resumes_on"] == day(0)
    deliver(shop)
    assert book(shop, 5).status_code == 201
    mails = subjects()
    assert mails.count("Your Gold membership is running again") == 1
    assert sum(s.startswith("Your Gold membership is paused from") for s in mails) == 1
    assert mails.count(f"Your booking at Studio {BIZ} is cancelled") == 1
    not_paused = api.call("POST", f"{SUBS}/{sub}/resume", staff)
    assert not_paused.status_code == 409 and not_paused.json["error"]["code"] == "not_paused"


def test_member_pauses_their_own_only_when_allowed_and_within_limits(shop):
    api, sub = shop["api"], shop["sub"]
    url = f"{MINE}/memberships/{sub}/pause"
    token = booker_token(BOOKER)
    closed = api.call("POST", url, token, {"starts_on": day(8), "resumes_on": day(12)})
    assert closed.status_code == 403 and closed.json["error"]["code"] == "pause_not_allowed"
    settings = api.call("PATCH", "/v1/manage/business", shop["staff"],
                        {"members_may_pause": True, "pause_notice_days": 3, "pause_max_days_per_year": 10})
    assert settings.status_code == 200 and settings.json["members_may_pause"] is True
    for body, status, named in [
        ({"starts_on": day(1), "resumes_on": day(5)}, 409, "too_little_notice"),
        ({"starts_on": day(-2), "resumes_on": day(5)}, 400, "starts_on"),
        ({"starts_on": day(6), "resumes_on": day(6)}, 400, "resumes_on"),
        ({"starts_on": day(6)}, 400, "resumes_on"),
        ({"starts_on": day(4), "resumes_on": day(15)}, 409, "over_yearly_limit"),
    ]:
        resp = api.call("POST", url, token, body)
        err = resp.json["error"]
        assert (resp.status_code, err.get("field") or err.get("reason")) == (status, named), (body, resp.body)
    ok = api.call("POST", url, token, {"starts_on": day(18), "resumes_on": day(25)})
    assert ok.status_code == 200, ok.body
    assert ok.json["status"] == "active" and ok.json["pauses"][0]["by_member"] is True  # starts later
    refused = book(shop, 20)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "membership_paused"
    other = api.call("POST", f"{MINE}/memberships/{sub}/pause", booker_token("someone@example.com"),
                     {"starts_on": day(30), "resumes_on": day(31)})
    assert other.status_code == 404


def test_closure_pauses_every_member_through_the_queue(shop):
    api, staff, m = shop["api"], shop["staff"], shop["membership"]
    bad = api.call("POST", f"/v1/manage/memberships/{m['membership_id']}/pause", staff,
                   {"starts_on": day(3), "resumes_on": day(1)})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "resumes_on"
    queued = api.call("POST", f"/v1/manage/memberships/{m['membership_id']}/pause", staff,
                      {"starts_on": day(0), "resumes_on": day(7)})
    assert queued.status_code == 202 and queued.json["queued"] is True, queued.body
    drain(shop["queue"])
    member = api.call("GET", f"{SUBS}/{shop['sub']}", staff).json
    assert member["status"] == "paused" and [p["pause_id"] for p in member["pauses"]] == [queued.json["pause_id"]]
    page = {"business_id": BIZ, "membership_id": m["membership_id"], "pause_id": queued.json["pause_id"],
            "starts_on": day(0), "resumes_on": day(7), "cursor": None}
    container().queue_handlers["membership_pause_batch"](page)  # the same page redelivered: nothing twice
    assert len(api.call("GET", f"{SUBS}/{shop['sub']}", staff).json["pauses"]) == 1
    assert container().member_store.pausing_on(day(4)) == [(BIZ, shop["sub"])]  # the reminder day, by the index


def test_an_ended_membership_cannot_be_paused_and_the_refusal_names_its_status(shop):
    api, staff, sub = shop["api"], shop["staff"], shop["sub"]
    assert api.call("POST", f"{SUBS}/{sub}/cancel-now", staff, {"refund": False}).status_code == 200
    resp = api.call("POST", f"{SUBS}/{sub}/pause", staff, {"starts_on": day(0), "resumes_on": day(3)})
    assert resp.status_code == 409, resp.body
    assert (resp.json["error"]["reason"], resp.json["error"]["membership_status"]) == ("not_active", "canceled")


def test_a_pause_made_in_the_stripe_dashboard_refuses_member_tickets_until_stripe_resumes_it(shop):
    """No pause of ours: Stripe's ``paused`` status (its customer.subscription.paused / updated events, from
    Stripe's fixtures) is an open-ended pause for booking, ended when Stripe resumes the subscription."""
    api, staff, sub, provider = shop["api"], shop["staff"], shop["sub"], shop["provider"]
    booked_before = book(shop, 20)
    assert booked_before.status_code == 201, booked_before.body
    deliver(shop)
    mails_before = subjects()
    provider.account = provider.objects[sub]["_account"]  # the business, in its own dashboard
    provider.pause_subscription(sub)
    deliver(shop)
    refused = book(shop, 5)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "membership_paused", refused.body
    assert refused.json["error"].get("resumes_on") is None and refused.json["error"]["starts_on"] == day(0)
    assert "until the business resumes it" in refused.json["error"]["message"]
    mine = api.call("GET", f"{MINE}/bookings", booker_token(BOOKER)).json["items"]
    assert [b["status"] for b in mine] == ["confirmed"]  # Stripe's pause cancels nothing of ours
    assert subjects() == mails_before  # and sends nothing of ours
    deliver(shop)  # nothing new; a re-read of a still-paused subscription adds no second pause
    history = [h["what"] for h in api.call("GET", f"{SUBS}/{sub}", staff).json["history"]]
    assert history.count("paused on Stripe") == 1

    provider.account = provider.objects[sub]["_account"]
    provider.resume_subscription(sub)
    deliver(shop)
    assert book(shop, 5).status_code == 201
    history = [h["what"] for h in api.call("GET", f"{SUBS}/{sub}", staff).json["history"]]
    assert "resumed on Stripe" in history


def test_a_planned_pause_cancels_the_bookings_inside_once_and_refuses_new_ones_before_it_starts(shop):
    api, staff, sub = shop["api"], shop["staff"], shop["sub"]
    inside, after = book(shop, 5), book(shop, 20)
    assert inside.status_code == 201 and after.status_code == 201, inside.body

    planned = api.call("POST", f"{SUBS}/{sub}/pause", staff, {"starts_on": day(3), "resumes_on": day(10)})
    assert planned.status_code == 200 and planned.json["status"] == "active", planned.body  # starts later
    assert shop["provider"].objects[sub]["status"] == "active"
    mine = booker_token(BOOKER)
    assert api.call("GET", f"{MINE}/bookings/{inside.json['booking_id']}", mine).json["status"] == "cancelled"
    assert api.call("GET", f"{MINE}/bookings/{after.json['booking_id']}", mine).json["status"] == "confirmed"

    refused = book(shop, 5)  # the membership runs today, but the entry's day is inside the pause
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "membership_paused"
    assert (refused.json["error"]["starts_on"], refused.json["error"]["resumes_on"]) == (day(3), day(10))
    assert book(shop, 20).status_code == 201  # a day outside the pause: booked

    for _ in range(2):  # the schedule's step (and its redelivery) cancels nothing more
        container().membership_pauses.step_message({"business_id": BIZ, "subscription_id": sub})
    drain(shop["queue"])
    assert subjects().count(f"Your booking at Studio {BIZ} is cancelled") == 1
