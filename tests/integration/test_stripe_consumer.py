"""The consumer of Stripe events: a batch with a poison record, dedupe by event id, unknown types, retries."""
from __future__ import annotations

import json

from chalice.test import Client

from app import app
from chalicelib.bootstrap import container
from tests.conftest import make_business
from tests.stripe_support import event, resource


def envelope(evt: dict) -> str:
    return json.dumps({"kind": "stripe_event", "body": evt})


def sqs_event(client, bodies):
    generated = client.events.generate_sqs_event(message_bodies=bodies, queue_name="memberships-dev-events")
    for i, record in enumerate(generated["Records"]):
        record["messageId"] = f"m{i}"
    return generated


def test_batch_of_ten_stripe_events_with_one_poison_record(aws):
    make_business("biz-a")  # connected to acct_biz-a, the account of these events
    consumer = container().stripe_events
    seen: list[str] = []
    consumer.dispatch["product.created"] = lambda e, b: seen.append(e.id)
    bodies = [envelope(event("product.created", resource("product"), event_id=f"evt_{i}")) for i in range(10)]
    bodies[3] = json.dumps({"kind": "stripe_event", "body": {"id": "evt_bad", "type": "x"}})  # no created, no data
    with Client(app) as client:
        result = client.lambda_.invoke("process_events", sqs_event(client, bodies)).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "m3"}]}
    assert sorted(seen) == sorted(f"evt_{i}" for i in range(10) if i != 3)


def test_duplicate_event_ids_are_applied_once_and_unknown_types_acknowledged(aws):
    make_business("biz-a")  # connected to acct_biz-a, the account of these events
    consumer = container().stripe_events
    calls: list[str] = []
    consumer.dispatch["customer.subscription.updated"] = lambda e, b: calls.append(e.id)
    evt = event("customer.subscription.updated", resource("subscription"), event_id="evt_dup")
    for _ in range(3):
        consumer.handle(evt)
    assert calls == ["evt_dup"]
    consumer.handle(event("radar.early_fraud_warning.created", {"id": "issfr_1"}, event_id="evt_unknown"))
    assert consumer.processed.seen("acct_biz-a:evt_unknown")


def test_a_failed_handling_is_not_marked_so_the_retry_applies_it(aws):
    make_business("biz-a")  # connected to acct_biz-a, the account of these events
    consumer = container().stripe_events
    attempts: list[int] = []

    def flaky(e, b):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("Stripe timed out")

    consumer.dispatch["invoice.paid"] = flaky
    evt = event("invoice.paid", resource("invoice"), event_id="evt_flaky")
    try:
        consumer.handle(evt)
    except RuntimeError:
        pass
    assert not consumer.processed.seen("acct_biz-a:evt_flaky")
    consumer.handle(evt)
    consumer.handle(evt)
    assert len(attempts) == 2 and consumer.processed.seen("acct_biz-a:evt_flaky")


def test_subscription_of_someone_else_is_acknowledged_without_effect(aws):
    """A subscription without our metadata (e.g. created by hand in the dashboard) changes nothing."""
    from tests.stripe_support import local_stripe

    make_business("biz-a")  # connected to acct_biz-a, the account of these events
    provider = local_stripe()
    provider.account = "acct_biz-a"  # made in biz-a's own Stripe account
    product = provider.create_product({"name": "Not ours"})
    price = provider.create_price({"product": product["id"], "currency": "eur", "unit_amount": "100",
                                   "recurring": {"interval": "month"}})
    customer = provider.make("customer", "cus", email="x@example.com")
    sub = provider._new_subscription(customer, price, metadata={})
    container().stripe_events.handle(event("customer.subscription.created", sub, event_id="evt_foreign"))
    assert container().stripe_events.processed.seen("acct_biz-a:evt_foreign")
