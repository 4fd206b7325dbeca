"""The end-of-period safety net with frozen time: the scheduled Lambda, the queue, the real consumer.

A member cancelled at period end keeps the group until the period ends; after it, the hourly
schedule (even late, even twice) removes them and the "ended" email goes out once, also when
Stripe's own ``customer.subscription.deleted`` arrives afterwards. A cancellation undone (in our
API, or in Stripe with the event still on its way) is never ended. The schedule reads only the
due members (sparse index query, never a Scan).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pynamodb.signals import pre_dynamodb_send

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import deliver_new_events, drain, local_stripe, sent_emails, setup_queue_and_mail

BIZ = "biz-pe"
T0 = datetime(2030, 3, 1, 22, 30, tzinfo=UTC)
PERIOD = timedelta(days=30)  # the local provider's month
ENDED = "Your Gold membership has ended"


class Shop:
    def __init__(self, api, traveller) -> None:
        self.api, self.traveller = api, traveller
        make_business(BIZ)
        self.queue = setup_queue_and_mail()
        self.provider = local_stripe()
        self.seen = len(self.provider.events)
        m = self.call("POST", "/v1/manage/memberships", staff_token(BIZ), {
            "title": "Gold", "published": True,
            "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]})
        assert m.status_code == 201, m.body
        self.membership = m.json

    def call(self, method, path, token, body=None):
        return self.api.call(method, path, token, body)

    def join(self, email: str) -> str:
        body = {"membership_id": self.membership["membership_id"], "option_id": self.membership["price_options"][0]["option_id"]}
        checkout = self.call("POST", f"/v1/businesses/{BIZ}/me/membership-checkouts", booker_token(email), body)
        assert checkout.status_code == 201, checkout.body
        self.provider.pay_checkout(checkout.json["session_id"])
        self.deliver()
        [sub] = self.call("GET", f"/v1/businesses/{BIZ}/me/memberships", booker_token(email)).json["items"]
        return sub["subscription_id"]

    def staff(self, action: str, sid: str):
        resp = self.call("POST", f"/v1/manage/subscriptions/{sid}/{action}", staff_token(BIZ))
        assert resp.status_code == 200, resp.body
        return resp.json

    def deliver(self) -> None:
        self.seen = deliver_new_events(self.api, self.provider, self.queue, self.seen)

    def run_schedule(self) -> int:
        """The scheduled Lambda as deployed (app.py), then the consumer on whatever it queued."""
        client = self.api.client
        result = client.lambda_.invoke("membership_period_ends", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload
        drain(self.queue)
        return result

    def group(self) -> list[str]:
        return sorted(m.email for m in container().group_members.list(self.membership["group_id"]))

    def access(self, email: str) -> bool:
        [sub] = self.call("GET", f"/v1/businesses/{BIZ}/me/memberships", booker_token(email)).json["items"]
        return sub["has_access"]


@pytest.fixture
def shop(api):
    with time_machine.travel(T0) as traveller:  # ticking: each provider read is later than the last
        yield Shop(api, traveller)


def ended_to(email: str) -> int:
    return sum(1 for m in sent_emails() if m["subject"] == ENDED and m["to"] == email)


@pytest.mark.parametrize("late", [timedelta(minutes=5), timedelta(days=2, hours=3)], ids=["on_time", "two_days_late"])
def test_cancelled_member_keeps_access_until_period_end_then_the_schedule_ends_it_once(shop, late):
    sid = shop.join("ann@example.com")
    shop.join("bob@example.com")  # stays a member throughout
    cancelled = shop.staff("cancel", sid)
    assert cancelled["cancel_at_period_end"] and cancelled["has_access"]

    shop.traveller.move_to(T0 + PERIOD - timedelta(minutes=1))
    assert shop.run_schedule() == 0  # not over yet
    assert shop.group() == ["ann@example.com", "bob@example.com"] and shop.access("ann@example.com")

    shop.traveller.move_to(T0 + PERIOD + late)  # no webhook came: only the schedule knows
    assert shop.run_schedule() == 1
    assert shop.group() == ["bob@example.com"] and not shop.access("ann@example.com")
    assert ended_to("ann@example.com") == 1

    shop.traveller.shift(timedelta(hours=1))
    assert shop.run_schedule() == 0  # twice: nothing is due any more
    shop.provider.trigger("cancel", "ann@example.com")  # Stripe's own deletion arrives after all
    shop.deliver()
    assert ended_to("ann@example.com") == 1 and shop.group() == ["bob@example.com"]
    assert ended_to("bob@example.com") == 0


def test_a_message_delivered_twice_ends_the_member_once(shop):
    """SQS is at-least-once: the same period-end message handled twice changes nothing more."""
    from chalicelib.bootstrap import container

    sid = shop.join("ann@example.com")
    shop.staff("cancel", sid)
    shop.traveller.move_to(T0 + PERIOD + timedelta(minutes=10))
    for _ in range(2):
        container().stripe_events.period_end({"business_id": BIZ, "subscription_id": sid})
    assert shop.group() == [] and ended_to("ann@example.com") == 1


def test_restored_subscriptions_are_not_removed(shop):
    undone_here = shop.join("ann@example.com")
    undone_in_stripe = shop.join("cem@example.com")
    shop.staff("cancel", undone_here)
    shop.staff("restore", undone_here)
    shop.staff("cancel", undone_in_stripe)
    # Undone in the Stripe dashboard; its event has not reached us: our record still says "cancelled".
    shop.provider.update_subscription(undone_in_stripe, {"cancel_at_period_end": "false"})

    shop.traveller.move_to(T0 + PERIOD + timedelta(minutes=5))
    assert shop.run_schedule() == 1  # the stale record is due; the provider's answer keeps the member
    assert shop.group() == ["ann@example.com", "cem@example.com"]
    assert ended_to("ann@example.com") == ended_to("cem@example.com") == 0
    shop.deliver()  # the late dashboard event changes nothing either
    assert shop.group() == ["ann@example.com", "cem@example.com"]


def test_the_schedule_queries_the_sparse_index_and_never_scans(shop):
    from chalicelib.bootstrap import container
    from chalicelib.workers.memberships import FIRST_RUN_DAYS, enqueue_period_ends

    for email in ("a@example.com", "b@example.com", "c@example.com"):
        shop.join(email)
    shop.staff("cancel", shop.join("due@example.com"))
    shop.traveller.move_to(T0 + PERIOD + timedelta(minutes=5))
    ops: list[tuple[str, str | None]] = []

    def record(sender, operation_name, table_name, req_uuid, **_):
        ops.append((operation_name, table_name))

    pre_dynamodb_send.connect(record)
    try:
        assert enqueue_period_ends(container()) == 1
    finally:
        pre_dynamodb_send.disconnect(record)
    member_ops = [op for op, table in ops if table == "test-members"]
    assert member_ops == ["Query"] * (FIRST_RUN_DAYS + 1)  # first run: the index's last days, nothing else
    assert {table for _, table in ops} == {"test-members", "test-schedule-state"}
    assert "Scan" not in {op for op, _ in ops}


def test_after_a_long_pause_the_schedule_reads_every_day_it_missed_and_then_only_today(shop):
    """A member whose period ended ten days ago is still found when the schedule comes back."""
    from chalicelib.bootstrap import container
    from chalicelib.workers.memberships import enqueue_period_ends

    shop.staff("cancel", shop.join("late@example.com"))
    assert enqueue_period_ends(container()) == 0  # before the end: nothing, but the watermark is set
    shop.traveller.move_to(T0 + PERIOD + timedelta(days=10))
    assert enqueue_period_ends(container()) == 1
    ops: list[tuple[str, str | None]] = []

    def record(sender, operation_name, table_name, req_uuid, **_):
        ops.append((operation_name, table_name))

    pre_dynamodb_send.connect(record)
    try:
        enqueue_period_ends(container())
    finally:
        pre_dynamodb_send.disconnect(record)
    assert [op for op, table in ops if table == "test-members"] == ["Query"]  # caught up: today only
