"""The hold-release safety net with frozen time: places held for a basket checkout come back when
Stripe's "expired" event never arrives, and a payment that completes after the release is honoured
(the place is re-taken if still free, else the ticket is refunded; the membership stands).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pynamodb.signals import pre_dynamodb_send

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, local_stripe, sent_emails, setup_queue_and_mail

BIZ = "biz-h"
T0 = datetime(2030, 6, 1, 23, 40, tzinfo=UTC)  # the hold expires after midnight: the next day's partition
HOLD, GRACE = timedelta(minutes=30), timedelta(minutes=15)


class Shop:
    def __init__(self, api, traveller) -> None:
        self.api, self.traveller = api, traveller
        make_business(BIZ)
        self.queue = setup_queue_and_mail()
        self.provider = local_stripe()
        self.seen = len(self.provider.events)
        staff = staff_token(BIZ)
        self.membership = api.call("POST", "/v1/manage/memberships", staff, {
            "title": "Gold", "published": True,
            "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}).json
        page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
        self.entry = api.call("POST", "/v1/manage/entries", staff, {
            "page_id": page["page_id"], "title": "Members' yoga", "starts_at": "2030-07-01T10:00:00",
            "ends_at": "2030-07-01T11:00:00", "capacity": 1,
            "tickets": [{"title": "Member", "price_minor": 500, "exclusive_group_id": self.membership["group_id"]}]}).json

    def buy(self, email: str) -> dict:
        body = {"membership_id": self.membership["membership_id"], "option_id": self.membership["price_options"][0]["option_id"],
                "tickets": [{"entry_id": self.entry["entry_id"], "ticket_id": self.entry["tickets"][0]["ticket_id"]}]}
        resp = self.api.call("POST", f"/v1/businesses/{BIZ}/me/membership-checkouts", booker_token(email), body)
        assert resp.status_code == 201, resp.body
        return resp.json

    def deliver(self) -> None:
        self.seen = deliver_new_events(self.api, self.provider, self.queue, self.seen)

    def run_schedule(self) -> int:
        client = self.api.client
        return client.lambda_.invoke("release_expired_holds", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload["released"]

    def booked(self) -> int:
        return self.api.call("GET", f"/v1/manage/entries/{self.entry['entry_id']}", staff_token(BIZ)).json["booked"]

    def booking(self, email: str, booking_id: str) -> dict:
        return self.api.call("GET", f"/v1/businesses/{BIZ}/me/bookings/{booking_id}", booker_token(email)).json

    def group(self) -> list[str]:
        return sorted(m.email for m in container().group_members.list(self.membership["group_id"]))


def refunds_of(shop: Shop, checkout: dict) -> list[dict]:
    """Refunds of this checkout's payment (the provider is shared by the tests of one process)."""
    intent = shop.provider.objects[checkout["session_id"]]["payment_intent"]
    return [o for o in shop.provider.objects.values() if o.get("object") == "refund" and o["payment_intent"] == intent]


@pytest.fixture
def shop(api):
    with time_machine.travel(T0) as traveller:
        yield Shop(api, traveller)


def test_hold_without_expired_event_is_released_after_expiry_and_grace_once(shop):
    checkout = shop.buy("ann@example.com")
    [booking_id] = checkout["held_booking_ids"]
    assert shop.booked() == 1

    shop.traveller.move_to(T0 + HOLD + GRACE - timedelta(minutes=1))
    assert shop.run_schedule() == 0 and shop.booked() == 1  # still in its grace period
    assert shop.booking("ann@example.com", booking_id)["status"] == "held"

    shop.traveller.move_to(T0 + HOLD + GRACE + timedelta(minutes=2))
    ops: list[tuple[str, str | None]] = []

    def record(sender, operation_name, table_name, req_uuid, **_):
        ops.append((operation_name, table_name))

    pre_dynamodb_send.connect(record)
    try:
        assert shop.run_schedule() == 1
    finally:
        pre_dynamodb_send.disconnect(record)
    assert "Scan" not in {op for op, _ in ops}
    assert ops.count(("GetItem", "test-bookings")) == 1  # only the due hold is read
    # Two transactions: the checkout closed (and no longer counted as the booker's open one, B8), the place freed.
    assert [op for op, _ in ops].count("TransactWriteItems") == 2 and ("Query", "test-bookings") in ops
    assert shop.booked() == 0 and shop.booking("ann@example.com", booking_id)["status"] == "cancelled"

    assert shop.run_schedule() == 0 and shop.booked() == 0  # twice: out of the sparse index
    shop.provider.expire_checkout(checkout["session_id"])  # Stripe's event turns up after all
    shop.deliver()
    assert shop.booked() == 0 and sent_emails() == []


def test_paid_checkouts_are_never_released(shop):
    checkout = shop.buy("ann@example.com")
    shop.provider.pay_checkout(checkout["session_id"])
    shop.deliver()
    shop.traveller.move_to(T0 + HOLD + GRACE + timedelta(hours=2))
    assert shop.run_schedule() == 0
    assert shop.booked() == 1 and shop.booking("ann@example.com", checkout["held_booking_ids"][0])["status"] == "confirmed"


def test_completion_after_release_retakes_the_place_when_still_free(shop):
    checkout = shop.buy("ann@example.com")
    shop.provider.pay_checkout(checkout["session_id"])  # paid in time; the events are delayed
    shop.traveller.move_to(T0 + HOLD + GRACE + timedelta(minutes=5))
    assert shop.run_schedule() == 1 and shop.booked() == 0

    shop.deliver()
    assert shop.booked() == 1
    assert shop.booking("ann@example.com", checkout["held_booking_ids"][0])["status"] == "confirmed"
    assert shop.group() == ["ann@example.com"]
    assert "Your booking at Studio biz-h is confirmed" in [m["subject"] for m in sent_emails()]
    assert refunds_of(shop, checkout) == []


def test_completion_after_release_refunds_the_ticket_when_the_place_is_gone(shop):
    late = shop.buy("ann@example.com")
    shop.provider.pay_checkout(late["session_id"])  # paid in time; the events are delayed
    shop.traveller.move_to(T0 + HOLD + GRACE + timedelta(minutes=5))
    assert shop.run_schedule() == 1
    quick = shop.buy("bob@example.com")  # the freed place goes to the next booker
    assert shop.booked() == 1

    shop.deliver()
    assert shop.booked() == 1  # never overbooked to honour the late payment
    assert shop.booking("ann@example.com", late["held_booking_ids"][0])["status"] == "cancelled"
    assert shop.booking("bob@example.com", quick["held_booking_ids"][0])["status"] == "held"
    assert shop.group() == ["ann@example.com"]  # the membership itself stands
    assert [r["metadata"] for r in refunds_of(shop, late)] == [{"reason": "place_released"}]
    subjects = [m["subject"] for m in sent_emails()]
    assert "Welcome to Gold" in subjects and "Your booking at Studio biz-h is confirmed" not in subjects
