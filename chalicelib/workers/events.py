"""The SQS consumer: one envelope per record, dispatched by ``kind`` through a table of handlers.

Failures are reported per record (``batchItemFailures``), so one poison message is retried alone
and, after the queue's maxReceiveCount, lands in the dead-letter queue. Unknown kinds are logged
and acknowledged: retrying cannot make them known.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from ..logs import logger
from ..schemas.messages import QueueMessage

MessageHandler = Callable[[dict[str, Any]], None]


class PoisonMessageError(Exception):
    """The record can never be processed (not an envelope); it is failed so the DLQ keeps it."""


def process_record(record_body: str, message_id: str, handlers: dict[str, MessageHandler]) -> None:
    try:
        message = QueueMessage.model_validate(json.loads(record_body))
    except (ValueError, TypeError) as exc:
        raise PoisonMessageError(f"message {message_id} is not a queue envelope: {exc}") from exc
    logger.append_keys(correlation_id=message.correlation_id or message_id, message_id=message_id, kind=message.kind)
    handler = handlers.get(message.kind)
    if handler is None:
        logger.warning("no handler for message kind; acknowledged")
        return
    handler(message.body)


def handle_batch(event: Any, context: Any, handlers: dict[str, MessageHandler]) -> dict[str, Any]:
    """Process a Chalice ``SQSEvent``; returns the partial batch response Lambda expects."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        process_record(record.body, record.message_id, handlers)

    return process_partial_response(
        event=event.to_dict(), record_handler=record_handler, processor=BatchProcessor(EventType.SQS), context=context
    )
