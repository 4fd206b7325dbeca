"""B6: every payment and refund on the customer's record, through the local payment provider and the real
event pipeline (webhook → SQS → consumer), events built from Stripe's fixtures.

A card ticket, a pass and a membership (its first invoice and a renewal) each leave one row however often
their events arrive; B3 cancellation refunds, late-payment refunds and ``cancel-now`` refunds leave a refund
row and turn the paid row refunded; a membership's history shows its invoices and refunds.
"""
from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import booker_token
from tests.e2e.shops import DROP_IN, OPEN_DAY, yoga_shop
from tests.stripe_support import deliver_new_events

BIZ, ANN, BEN = "biz-pay", "ann@example.com", "ben@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    shop = yoga_shop(api, BIZ, capacity=2, tickets=[DROP_IN, OPEN_DAY])
    shop["membership"] = api.call("POST", "/v1/manage/memberships", shop["staff"], {
        "title": "Gold", "description": "All classes", "published": True, "page_ids": [shop["page"]["page_id"]],
        "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}).json
    shop["seen"] = len(shop["provider"].events)
    return shop


def deliver(shop, twice: bool = False) -> None:
    """Deliver the provider's new events; ``twice``: then again under new event ids (Stripe redelivers)."""
    before = shop["seen"]
    shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])
    if twice:
        for evt in list(shop["provider"].events[before:shop["seen"]]):
            shop["provider"].events.append(dict(evt, id=evt["id"] + "_again"))
        shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])


def payments(shop, email: str = ANN) -> list[dict]:
    resp = shop["api"].call("GET", f"/v1/manage/customers/{email}/payments", shop["staff"])
    assert resp.status_code == 200, resp.body
    return resp.json["items"]


def paid_ticket(shop, email: str = ANN) -> dict:
    entry = shop["entry"]
    booking = shop["api"].call("POST", f"{MINE}/bookings", booker_token(email), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}).json
    shop["provider"].pay_checkout(booking["checkout_url"].rsplit("/", 1)[1])
    deliver(shop, twice=True)
    return booking


def test_a_paid_ticket_is_one_row_however_often_its_events_arrive_and_its_refund_shows(shop):
    before = len(shop["provider"].events)
    booking = paid_ticket(shop)
    paid_events = [e for e in shop["provider"].events[before:] if not e["id"].endswith("_again")]
    [charge] = payments(shop)
    assert (charge["kind"], charge["purpose"], charge["amount_minor"], charge["currency"], charge["state"]) == (
        "charge", "booking", 1500, "EUR", "paid")
    assert charge["booking_ids"] == [booking["booking_id"]] and charge["payment_id"] == charge["payment_intent_id"]
    assert charge["checkout_session_id"].startswith("cs_") and charge["invoice_id"].startswith("in_")

    cancelled = shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN)).json
    assert cancelled["refund"] == {"amount_minor": 1500, "currency": "EUR", "state": "refunded"}  # B3 as before
    deliver(shop, twice=True)  # charge.refunded, twice: changes nothing
    refund, charge = payments(shop)  # newest first
    assert (refund["kind"], refund["amount_minor"], refund["refund_of"], refund["state"]) == (
        "refund", 1500, charge["payment_id"], "succeeded")
    assert refund["refund_id"].startswith("re_") and refund["booking_ids"] == [booking["booking_id"]]
    assert (charge["state"], charge["refunded_minor"]) == ("refunded", 1500)
    for evt in paid_events:  # the payment's events once more, late: the refunded row stays refunded
        shop["provider"].events.append(dict(evt, id=evt["id"] + "_late"))
    deliver(shop)
    assert [(p["kind"], p["state"]) for p in payments(shop)] == [("refund", "succeeded"), ("charge", "refunded")]


def test_a_late_payment_for_a_place_already_gone_is_refunded_on_the_record(shop):
    entry, provider = shop["entry"], shop["provider"]
    first = shop["api"].call("POST", f"{MINE}/bookings", booker_token(ANN), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "participants": ["Bo"]}).json
    session = first["checkout_url"].rsplit("/", 1)[1]
    provider.expire_checkout(session)
    deliver(shop)
    assert shop["api"].call("POST", f"{MINE}/bookings", booker_token(BEN), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][1]["ticket_id"], "participants": ["Cy"]}).status_code == 201
    provider.objects[session]["status"] = "open"
    provider.pay_checkout(session)
    deliver(shop, twice=True)
    refund, charge = payments(shop)
    assert (charge["amount_minor"], charge["state"], refund["amount_minor"], refund["refund_of"]) == (
        3000, "refunded", 3000, charge["payment_id"])


def test_membership_invoices_and_a_cancel_now_refund_are_on_the_record_and_in_its_history(shop):
    api, staff, provider, m = shop["api"], shop["staff"], shop["provider"], shop["membership"]
    started = api.call("POST", f"{MINE}/membership-checkouts", booker_token(ANN),
                       {"membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"]}).json
    provider.pay_checkout(started["session_id"])
    deliver(shop, twice=True)
    provider.trigger("renew", ANN)
    deliver(shop, twice=True)
    renewal, first = payments(shop)
    assert [(p["kind"], p["purpose"], p["amount_minor"], p["state"]) for p in (renewal, first)] == [
        ("invoice", "membership", 3000, "paid")] * 2
    sid = first["subscription_id"]
    assert renewal["subscription_id"] == sid and renewal["invoice_id"] != first["invoice_id"]
    assert first["membership_id"] == m["membership_id"] and first["payment_id"] == first["invoice_id"]

    now = api.call("POST", f"/v1/manage/subscriptions/{sid}/cancel-now", staff, {"refund": True})
    assert now.status_code == 200, now.body
    deliver(shop, twice=True)
    refund, renewal, first = payments(shop)
    assert (refund["kind"], refund["amount_minor"], refund["refund_of"], refund["subscription_id"]) == (
        "refund", 3000, renewal["invoice_id"], sid)
    assert (renewal["state"], first["state"]) == ("refunded", "paid")
    history = [h["what"] for h in api.call("GET", f"/v1/manage/subscriptions/{sid}", staff).json["history"]]
    assert f"invoice {first['invoice_id']} paid: 30.00 EUR" in history
    assert f"invoice {renewal['invoice_id']} refunded: 30.00 EUR" in history
    assert f"refund {refund['refund_id']}: 30.00 EUR" in history
    # C3: the export has one row per payment of the record, with the customer's columns.
    export = api.call("POST", "/v1/manage/customer-exports", staff, {"emails": [ANN]})
    text = export.body.decode("utf-8") if isinstance(export.body, bytes) else export.body
    _, *rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(r[0], r[4], r[5], r[8]) for r in rows] == [
        (ANN, "refund", refund["payment_id"], "succeeded"), (ANN, "payment", renewal["payment_id"], "refunded"),
        (ANN, "payment", first["payment_id"], "paid")]


def test_a_pass_purchase_is_a_charge_for_its_product(shop):
    api, staff = shop["api"], shop["staff"]
    product = api.call("POST", "/v1/manage/pass-products", staff, {
        "title": "5 classes", "price_minor": 6000, "currency": "eur", "uses": 5, "published": True,
        "eligible": {"ticket_ids": [shop["entry"]["tickets"][0]["ticket_id"]]},
        "expiry": {"kind": "days_from_purchase", "days": 365}}).json
    started = api.call("POST", f"{MINE}/passes/checkout", booker_token(ANN), {"product_id": product["product_id"]})
    assert started.status_code == 201, started.body
    shop["provider"].pay_checkout(started.json["checkout_url"].rsplit("/", 1)[1])
    deliver(shop, twice=True)
    [charge] = payments(shop)
    assert (charge["purpose"], charge["pass_product_id"], charge["amount_minor"]) == ("pass", product["product_id"], 6000)


def test_the_list_pages_through_and_an_unknown_customer_is_404(shop):
    for _ in range(2):
        paid_ticket(shop)
    path = f"/v1/manage/customers/{ANN}/payments?limit=1"
    first = shop["api"].call("GET", path, shop["staff"]).json
    assert len(first["items"]) == 1 and first["next"]
    second = shop["api"].call("GET", f"{path}&cursor={first['next']}", shop["staff"]).json
    assert len(second["items"]) == 1 and second["items"][0]["payment_id"] != first["items"][0]["payment_id"]
    assert shop["api"].call("GET", "/v1/manage/customers/nobody@example.com/payments", shop["staff"]).status_code == 404


def test_every_portal_request_makes_a_fresh_session(shop):
    """B5: no session is reused, not even seconds apart (the adapter sends no idempotency key for it)."""
    api, m = shop["api"], shop["membership"]
    started = api.call("POST", f"{MINE}/membership-checkouts", booker_token(ANN),
                       {"membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"]}).json
    shop["provider"].pay_checkout(started["session_id"])
    deliver(shop)
    sid = api.call("GET", f"{MINE}/memberships", booker_token(ANN)).json["items"][0]["subscription_id"]
    urls = [api.call("POST", f"{MINE}/memberships/{sid}/portal", booker_token(ANN)).json["url"] for _ in range(2)]
    assert urls[0] != urls[1] and all(u.split("/")[-1].startswith("bps_") for u in urls)
