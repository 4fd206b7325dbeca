"""The SQS consumer: one envelope per record, dispatched by ``kind`` through a table of handlers.

Failures are reported per record (``batchItemFailures``), so one poison message is retried alone
and, after the queue's maxReceiveCount, lands in the dead-letter queue. Unknown kinds are logged
and acknowledged: retrying cannot make them known. A ``STORED_KIND`` envelope points at a body too
large for SQS: it is loaded from the blob store and dispatched under the kind it was sent as.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..logs import logger
from ..ports.queue import STORED_KIND
from ..schemas.messages import QueueMessage

if TYPE_CHECKING:
    from ..ports.queue import BlobStore

MessageHandler = Callable[[dict[str, Any]], None]


class PoisonMessageError(Exception):
    """The record can never be processed (not an envelope); it is failed so the DLQ keeps it."""


def default_blobs() -> BlobStore:
    from ..bootstrap import container

    return container().blob_store


def stored_body(pointer: dict[str, Any], blobs: Callable[[], BlobStore], message_id: str) -> tuple[str, dict[str, Any]]:
    """The kind and body a pointer envelope stands for; a missing blob raises, so the record is retried."""
    key, kind = pointer.get("key"), pointer.get("kind")
    if not isinstance(key, str) or not isinstance(kind, str) or not kind or kind == STORED_KIND:
        raise PoisonMessageError(f"message {message_id} is a malformed {STORED_KIND} pointer")
    try:
        body = json.loads(blobs().get(key))
    except ValueError as exc:
        raise PoisonMessageError(f"message {message_id}: stored body {key} is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise PoisonMessageError(f"message {message_id}: stored body {key} is not an object")
    return kind, body


def process_record(record_body: str, message_id: str, handlers: dict[str, MessageHandler],
                   blobs: Callable[[], BlobStore] = default_blobs) -> None:
    try:
        message = QueueMessage.model_validate(json.loads(record_body))
    except (ValueError, TypeError) as exc:
        raise PoisonMessageError(f"message {message_id} is not a queue envelope: {exc}") from exc
    kind, body = message.kind, message.body
    if kind == STORED_KIND:
        kind, body = stored_body(body, blobs, message_id)
    logger.append_keys(correlation_id=message.correlation_id or message_id, message_id=message_id, kind=kind)
    handler = handlers.get(kind)
    if handler is None:
        logger.warning("no handler for message kind; acknowledged")
        return
    handler(body)


def handle_batch(event: Any, context: Any, handlers: dict[str, MessageHandler],
                 blobs: Callable[[], BlobStore] = default_blobs) -> dict[str, Any]:
    """Process a Chalice ``SQSEvent``; returns the partial batch response Lambda expects."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        process_record(record.body, record.message_id, handlers, blobs)

    return dict(process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=BatchProcessor(EventType.SQS), context=context
    ))
