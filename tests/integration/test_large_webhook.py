"""A verified Stripe event too large for an SQS message is stored in S3, queued as a pointer, and processed."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.bootstrap import container
from chalicelib.ports.queue import SQS_MAX_MESSAGE_BYTES, STORED_KIND
from chalicelib.workers.events import PoisonMessageError, process_record
from tests.conftest import make_business
from tests.stripe_support import drain, event, post_webhook, resource, setup_queue_and_mail, signed


@pytest.fixture
def queue(api):
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=container().settings.blob_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    make_business("biz-a")  # the event's account (acct_biz-a) routes to it
    return setup_queue_and_mail()


def a_300_kb_event() -> dict:
    customer = resource("customer", metadata={f"note_{i}": "x" * 490 for i in range(50)},
                        description="y" * 280_000)
    return event("customer.updated", customer, event_id="evt_large_1")


def test_a_signed_300_kb_event_is_accepted_queued_as_a_pointer_and_processed(api, queue):
    payload, header = signed(a_300_kb_event())
    assert len(payload) > 300_000 > SQS_MAX_MESSAGE_BYTES

    resp = post_webhook(api, payload, header)
    assert resp.status_code == 200, resp.body
    assert json.loads(resp.body) == {"received": True, "event_id": "evt_large_1"}

    sqs = boto3.client("sqs", region_name="eu-west-1")
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["kind"] == STORED_KIND and envelope["correlation_id"] == "evt_large_1"
    assert envelope["body"]["kind"] == "stripe_event"
    assert container().blob_store.get(envelope["body"]["key"]) == payload  # the exact verified bytes

    seen: list[dict] = []
    process_record(message["Body"], message["MessageId"], {"stripe_event": seen.append})
    assert seen == [json.loads(payload)]  # dispatched under its own kind, with the whole body

    assert drain(queue) == 1  # the real consumer, as the Lambda runs it
    assert container().stripe_events.processed.seen("acct_biz-a:evt_large_1")  # dedupe per (account, event)


def test_a_small_event_still_travels_inline(api, queue):
    resp = post_webhook(api, *signed(event("customer.updated", resource("customer"), event_id="evt_small_1")))
    assert resp.status_code == 200, resp.body
    [message] = boto3.client("sqs", region_name="eu-west-1").receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(message["Body"])["kind"] == "stripe_event"


def test_a_pointer_to_a_missing_blob_fails_the_record_so_it_is_retried(api, queue):
    body = json.dumps({"kind": STORED_KIND, "body": {"key": "webhooks/stripe/none.json", "kind": "stripe_event"}})
    with pytest.raises(ClientError):  # not poison: S3 may be late or down; the queue retries, then the DLQ keeps it
        process_record(body, "m-1", {"stripe_event": lambda b: None})
    bad = json.dumps({"kind": STORED_KIND, "body": {"kind": "stripe_event"}})
    with pytest.raises(PoisonMessageError):
        process_record(bad, "m-2", {"stripe_event": lambda b: None})
