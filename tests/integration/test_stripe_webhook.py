"""POST /webhooks/stripe: only events signed with our secret, within 300 s either way, reach the queue."""
from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.stripe_support import event, post_webhook, resource, setup_queue_and_mail, signed


@pytest.fixture
def queue(api):
    return setup_queue_and_mail()


def queued(url: str) -> list[dict]:
    msgs = boto3.client("sqs", region_name="eu-west-1").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in msgs.get("Messages", [])]


def a_subscription_event() -> dict:
    return event("customer.subscription.updated", resource("subscription"), event_id="evt_webhook_1")


def test_signed_event_is_enqueued_and_acknowledged(api, queue):
    resp = post_webhook(api, *signed(a_subscription_event()))
    assert resp.status_code == 200 and json.loads(resp.body) == {"received": True, "event_id": "evt_webhook_1"}
    [message] = queued(queue)
    assert message["kind"] == "stripe_event" and message["body"]["id"] == "evt_webhook_1"
    assert message["body"]["data"]["object"]["object"] == "subscription"


@pytest.mark.parametrize("case", ["forged", "no_header", "stale", "future", "tampered", "not_an_event", "not_json"])
def test_bad_deliveries_are_400_and_nothing_is_enqueued(api, queue, case):
    evt = a_subscription_event()
    payload, header = signed(evt)
    if case == "forged":
        payload, header = signed(evt, secret="whsec_someone_else")
    elif case == "no_header":
        header = None
    elif case == "stale":
        payload, header = signed(evt, timestamp=int(time.time()) - 301)
    elif case == "future":
        payload, header = signed(evt, timestamp=int(time.time()) + 600)
    elif case == "tampered":
        payload = payload.replace(b"evt_webhook_1", b"evt_webhook_2")
    elif case == "not_an_event":
        payload, header = signed({"hello": "world"})
    elif case == "not_json":
        import stripe

        payload = b"{not json"
        header = stripe.WebhookSignature.generate_signature_header(payload.decode(), "whsec_test_secret")
    resp = post_webhook(api, payload, header)
    assert resp.status_code == 400, resp.body
    assert queued(queue) == []
