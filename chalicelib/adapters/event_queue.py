"""Puts envelopes on the events queue (SQS). The boto3 client is made on first use, not at import.

``AWS_ENDPOINT_URL_SQS`` (read by boto3 itself) points it at the local stack's moto server.
"""
from __future__ import annotations

import json
import uuid
from functools import cached_property
from typing import Any

from ..ports.messaging import Message

BATCH = 10  # SQS SendMessageBatch limit


def envelope(m: Message) -> dict[str, Any]:
    """The queue's wire format, validated by ``schemas/messages.QueueMessage`` in the consumer."""
    return {"kind": m.kind, "body": m.body, "correlation_id": m.correlation_id}


class EventQueue:
    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region

    @cached_property
    def client(self) -> Any:
        import boto3

        from .aws_config import boto_config

        return boto3.client("sqs", region_name=self.region, config=boto_config())

    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None:
        self.send_many([Message(kind, body, correlation_id)])

    def send_many(self, messages: list[Message]) -> None:
        if not self.queue_url:
            raise RuntimeError("EVENTS_QUEUE_URL is not set: nowhere to put the message.")
        for start in range(0, len(messages), BATCH):
            chunk = messages[start : start + BATCH]
            resp = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": uuid.uuid4().hex, "MessageBody": json.dumps(envelope(m))} for m in chunk],
            )
            if resp.get("Failed"):
                raise RuntimeError(f"SQS refused {len(resp['Failed'])} message(s): {resp['Failed'][0].get('Message')}")
