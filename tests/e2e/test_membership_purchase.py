"""Memberships end to end through the local payment provider (the production Stripe adapter talks to it).

Staff create a membership and prices (M1, M2); a booker buys it with a member ticket in the basket
(M3); the provider's signed events go through the webhook, SQS and the consumer: the booker joins
the group, the held place is booked and both emails go out once (M4), then renewals, failures,
cancellations and price changes play out with their emails (M5, M6, M8) and staff actions (M7).
"""
from __future__ import annotations

import re

import pytest

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, local_stripe, sent_emails, setup_queue_and_mail

BIZ, BOOKER = "biz-m", "mia@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    make_business(BIZ)
    staff = staff_token(BIZ)
    queue_url = setup_queue_and_mail()
    provider = local_stripe()
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    created = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Gold", "description": "All classes", "published": True, "page_ids": [page["page_id"]],
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]})
    assert created.status_code == 201, created.body
    membership = created.json
    entry = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "Members' yoga", "starts_at": "2031-02-01T10:00:00",
        "ends_at": "2031-02-01T11:00:00", "capacity": 2,
        "tickets": [{"title": "Member", "price_minor": 500, "exclusive_group_id": membership["group_id"]}]}).json
    return {"api": api, "staff": staff, "provider": provider, "queue": queue_url, "membership": membership,
            "entry": entry, "seen": len(provider.events), "first": len(provider.events)}


def deliver(shop) -> None:
    shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])


def buy(shop, tickets=True):
    api, m, entry = shop["api"], shop["membership"], shop["entry"]
    body = {"membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"]}
    if tickets:
        body["tickets"] = [{"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}]
    resp = api.call("POST", f"{MINE}/membership-checkouts", booker_token(BOOKER), body)
    assert resp.status_code == 201, resp.body
    return resp.json


def group_members(shop) -> list[str]:
    """Read from the group store: memberships reach groups only through the groups service's own methods."""
    return sorted(m.email for m in container().group_members.list(shop["membership"]["group_id"]))


def my_subscription(shop) -> dict:
    mine = shop["api"].call("GET", f"{MINE}/memberships", booker_token(BOOKER)).json["items"]
    assert len(mine) == 1
    return mine[0]


def subjects() -> list[str]:
    return [e["subject"] for e in sent_emails()]


def test_catalogue_creates_product_prices_group_and_dashboard_links(shop):
    m = shop["membership"]
    assert m["stripe_product_id"].startswith("prod_") and m["stripe_dashboard_url"].endswith(m["stripe_product_id"])
    price = m["price_options"][0]
    assert price["stripe_price_id"].startswith("price_") and price["stripe_dashboard_url"].endswith(price["stripe_price_id"])
    stripe_price = shop["provider"].objects[price["stripe_price_id"]]
    assert (stripe_price["unit_amount"], stripe_price["recurring"]["interval"], stripe_price["nickname"]) == (3000, "month", "Monthly")
    renamed = shop["api"].call("PATCH", f"/v1/manage/memberships/{m['membership_id']}/prices/{price['option_id']}",
                               shop["staff"], {"title": "Monthly (best)"})
    assert renamed.status_code == 200 and renamed.json["price_options"][0]["title"] == "Monthly (best)"
    assert stripe_price["nickname"] == "Monthly (best)"
    public = shop["api"].call("GET", f"/v1/businesses/{BIZ}/memberships").json["items"]
    assert [p["membership_id"] for p in public] == [m["membership_id"]]
    assert public[0]["stripe_dashboard_url"] is None and public[0]["price_options"][0]["stripe_price_id"] is None


def test_billing_period_longer_than_a_year_is_refused(shop):
    resp = shop["api"].call("POST", f"/v1/manage/memberships/{shop['membership']['membership_id']}/prices", shop["staff"],
                            {"title": "Odd", "amount_minor": 100, "interval": "month", "interval_count": 13})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "interval_count"


def test_free_plan_gets_402(api):
    make_business("biz-free", plan="free")
    resp = api.call("POST", "/v1/manage/memberships", staff_token("biz-free"), {"title": "Gold"})
    assert resp.status_code == 402 and resp.json["error"]["required_plan"] == "standard"


def test_purchase_with_basket_to_booking_and_emails_exactly_once(shop):
    api, provider = shop["api"], shop["provider"]
    checkout = buy(shop)
    session = provider.objects[checkout["session_id"]]
    assert session["mode"] == "subscription" and len(session["_line_items"]) == 2  # membership + the ticket, one-off
    held = api.call("GET", f"{MINE}/bookings", booker_token(BOOKER)).json["items"]
    assert [(b["booking_id"], b["status"]) for b in held] == [(checkout["held_booking_ids"][0], "held")]
    assert api.call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"] == 1

    provider.pay_checkout(checkout["session_id"])
    deliver(shop)

    assert group_members(shop) == [BOOKER]
    booking = api.call("GET", f"{MINE}/bookings/{checkout['held_booking_ids'][0]}", booker_token(BOOKER)).json
    assert booking["status"] == "confirmed"
    sub = my_subscription(shop)
    assert sub["status"] == "active" and sub["has_access"] and sub["renews_on"]
    mails = sent_emails()
    assert sorted(m["subject"] for m in mails) == ["Welcome to Gold", "Your booking at Studio biz-m is confirmed"]
    welcome = next(m for m in mails if m["subject"] == "Welcome to Gold")
    assert welcome["to"] == BOOKER and welcome["attachments"][0].endswith(".pdf")
    assert re.search(r"renews on (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}\.", welcome["text"]), welcome["text"]
    # B5: the email carries a signed link, never a session: each time it is followed, a session is made then and a 302.
    [link] = re.findall(rf"http\S*/v1/businesses/{BIZ}/portal-links/\S+", welcome["text"])
    assert "/portal/bps_" not in welcome["text"]
    path = link.split("://", 1)[1].split("/", 1)[1]
    first, again = (api.call("GET", f"/{path}") for _ in range(2))
    assert (first.status_code, again.status_code) == (302, 302)
    assert "/portal/bps_" in first.headers["Location"] and "/portal/bps_" in again.headers["Location"]
    forged = api.call("GET", f"/{path[:-3]}abc")
    assert forged.status_code == 404
    elsewhere = api.call("GET", f"/{path}".replace(f"/businesses/{BIZ}/", "/businesses/biz-other/"))
    assert elsewhere.status_code == 404

    # Stripe delivers everything again: nothing changes, nothing is sent twice.
    deliver_new_events(api, provider, shop["queue"], shop["first"])
    assert len(sent_emails()) == 2 and group_members(shop) == [BOOKER]


def test_lifecycle_failed_payment_keeps_access_until_final_then_emails(shop):
    provider = shop["provider"]
    provider.pay_checkout(buy(shop, tickets=False)["session_id"])
    deliver(shop)
    provider.trigger("renew", BOOKER)
    deliver(shop)
    provider.trigger("fail", BOOKER)
    deliver(shop)
    assert my_subscription(shop)["status"] == "past_due" and group_members(shop) == [BOOKER]  # M6: still retrying
    provider.trigger("recover", BOOKER)
    deliver(shop)
    provider.trigger("fail", BOOKER)
    deliver(shop)
    provider.trigger("fail-final", BOOKER)
    deliver(shop)
    assert my_subscription(shop)["status"] == "unpaid" and group_members(shop) == []
    assert subjects() == [
        "Welcome to Gold", "Your Gold membership has been renewed", "Payment for Gold failed",
        "Your Gold membership has been renewed",  # the retried invoice was paid: that renewal went through
        "Payment for Gold failed", "Your Gold membership has ended",
    ]


def test_cancellation_in_the_stripe_dashboard_is_reflected(shop):
    provider = shop["provider"]
    provider.pay_checkout(buy(shop, tickets=False)["session_id"])
    deliver(shop)
    provider.trigger("cancel", BOOKER)  # M8
    deliver(shop)
    assert my_subscription(shop)["status"] == "canceled" and group_members(shop) == []
    assert subjects()[-1] == "Your Gold membership has ended"


def test_staff_cancel_at_period_end_restore_reset_and_cancel_now_with_refund(shop):
    api, staff, provider = shop["api"], shop["staff"], shop["provider"]
    provider.pay_checkout(buy(shop, tickets=False)["session_id"])
    deliver(shop)
    sid = my_subscription(shop)["subscription_id"]

    cancelled = api.call("POST", f"/v1/manage/subscriptions/{sid}/cancel", staff)
    assert cancelled.status_code == 200 and cancelled.json["cancel_at_period_end"] and cancelled.json["has_access"]
    assert group_members(shop) == [BOOKER]  # access until the period ends
    assert subjects()[-1] == "Your Gold membership is cancelled"
    assert "You keep your access until" in sent_emails()[-1]["text"]
    deliver(shop)  # the webhook of the same change sends nothing more
    assert len(sent_emails()) == 2

    restored = api.call("POST", f"/v1/manage/subscriptions/{sid}/restore", staff)
    assert restored.status_code == 200 and not restored.json["cancel_at_period_end"]
    assert subjects()[-1] == "Your Gold membership is restored"

    before = restored.json["renews_on"]
    provider.clock = lambda: 2_000_000_000.0
    try:
        reset = api.call("POST", f"/v1/manage/subscriptions/{sid}/reset-billing-cycle", staff)
    finally:
        provider.clock = __import__("time").time
    assert reset.status_code == 200 and reset.json["renews_on"] != before
    assert reset.json["usage_anchor"].startswith("2033-05-18")  # the anchor moved to 'today' (provider's clock)

    now = api.call("POST", f"/v1/manage/subscriptions/{sid}/cancel-now", staff, {"refund": True})
    assert now.status_code == 200 and now.json["status"] == "canceled" and not now.json["has_access"]
    assert group_members(shop) == []
    assert any(o.get("object") == "refund" for o in provider.objects.values())
    again = api.call("POST", f"/v1/manage/subscriptions/{sid}/cancel-now", staff, {})
    assert again.status_code == 409
    history = api.call("GET", f"/v1/manage/subscriptions/{sid}", staff).json["history"]
    assert any("cancelled" in h["what"] for h in history) and any("access ended" in h["what"] for h in history)


def test_price_change_in_stripe_emails_every_member_on_that_price(shop):
    api, provider = shop["api"], shop["provider"]
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        body = {"membership_id": shop["membership"]["membership_id"], "option_id": shop["membership"]["price_options"][0]["option_id"]}
        resp = api.call("POST", f"{MINE}/membership-checkouts", booker_token(email), body)
        provider.pay_checkout(resp.json["session_id"])
    deliver(shop)
    from chalicelib.services import stripe_events

    stripe_events.FANOUT_PAGE, page = 2, stripe_events.FANOUT_PAGE  # force two pages: the fan-out continues via the queue
    try:
        provider.trigger("price-change", "a@example.com")
        deliver(shop)
    finally:
        stripe_events.FANOUT_PAGE = page
    changed = [m for m in sent_emails() if m["subject"] == "The price of Gold is changing"]
    assert sorted(m["to"] for m in changed) == ["a@example.com", "b@example.com", "c@example.com"]
    assert "35.00 EUR" in changed[0]["text"]
    m = api.call("GET", f"/v1/manage/memberships/{shop['membership']['membership_id']}", shop["staff"]).json
    assert m["price_options"][0]["amount_minor"] == 3500


def test_expired_checkout_gives_the_held_place_back(shop):
    api, provider = shop["api"], shop["provider"]
    checkout = buy(shop)
    provider.expire_checkout(checkout["session_id"])
    deliver(shop)
    booking = api.call("GET", f"{MINE}/bookings/{checkout['held_booking_ids'][0]}", booker_token(BOOKER)).json
    assert booking["status"] == "cancelled"
    assert api.call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"] == 0
    assert group_members(shop) == [] and sent_emails() == []


def test_basket_refuses_tickets_that_are_not_member_tickets_and_holds_nothing(shop):
    api = shop["api"]
    other = api.call("POST", "/v1/manage/entries", shop["staff"], {
        "page_id": shop["entry"]["page_id"], "title": "Open class", "starts_at": "2031-02-02T10:00:00",
        "ends_at": "2031-02-02T11:00:00", "capacity": 5, "tickets": [{"title": "Drop-in", "price_minor": 900}]}).json
    body = {"membership_id": shop["membership"]["membership_id"], "option_id": shop["membership"]["price_options"][0]["option_id"],
            "tickets": [{"entry_id": shop["entry"]["entry_id"], "ticket_id": shop["entry"]["tickets"][0]["ticket_id"]},
                        {"entry_id": other["entry_id"], "ticket_id": other["tickets"][0]["ticket_id"]}]}
    resp = api.call("POST", f"{MINE}/membership-checkouts", booker_token(BOOKER), body)
    assert resp.status_code == 409 and resp.json["error"]["reason"] == "not_a_member_ticket"
    assert api.call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"] == 0


def test_booker_portal_link_only_for_own_subscription(shop):
    provider = shop["provider"]
    provider.pay_checkout(buy(shop, tickets=False)["session_id"])
    deliver(shop)
    sid = my_subscription(shop)["subscription_id"]
    mine = shop["api"].call("POST", f"{MINE}/memberships/{sid}/portal", booker_token(BOOKER))
    assert mine.status_code == 200 and "/portal/bps_" in mine.json["url"]
    other = shop["api"].call("POST", f"{MINE}/memberships/{sid}/portal", booker_token("eve@example.com"))
    assert other.status_code == 404
