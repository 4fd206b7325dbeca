"""The SQS consumer reports exactly the failed records, and acknowledges unknown kinds."""
from __future__ import annotations

import json

from chalice.test import Client

from app import app
from chalicelib.bootstrap import container


def sqs_event(client, bodies):
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name="memberships-dev-events")
    for i, record in enumerate(event["Records"]):
        record["messageId"] = f"m{i}"
    return event


def test_batch_of_ten_with_one_poison_record(aws):
    seen = []
    handlers = container().queue_handlers
    handlers["test_kind"] = lambda body: seen.append(body["n"])
    bodies = [json.dumps({"kind": "test_kind", "body": {"n": i}}) for i in range(10)]
    bodies[4] = "{not json"
    bodies[7] = json.dumps({"kind": "nobody_handles_this", "body": {}})
    with Client(app) as client:
        result = client.lambda_.invoke("process_events", sqs_event(client, bodies)).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "m4"}]}
    assert sorted(seen) == [0, 1, 2, 3, 5, 6, 8, 9]
