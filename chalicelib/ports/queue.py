"""The events queue and the blob store beside it, as the webhook edge and the consumer see them.

SQS takes at most 256 KiB per message. A body that would not fit is put in the ``BlobStore`` and the
queue carries a ``STORED_KIND`` envelope whose body names it (``StoredBody``); the consumer loads it
back before dispatch, so no verified event is ever dropped for its size.
"""
from __future__ import annotations

from typing import Any, Protocol, TypedDict

SQS_MAX_MESSAGE_BYTES = 256 * 1024
ENVELOPE_ALLOWANCE_BYTES = 4 * 1024  # kind, correlation id and JSON punctuation around the body
MAX_INLINE_BODY_BYTES = SQS_MAX_MESSAGE_BYTES - ENVELOPE_ALLOWANCE_BYTES
STORED_KIND = "stored_body"


class StoredBody(TypedDict):
    """The body of a ``STORED_KIND`` envelope: where the real body is, and the kind it was sent as."""

    key: str
    kind: str


class EventPublisher(Protocol):
    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None:
        """Put one envelope on the events queue."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (overwrites)."""

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; raises if there are none."""
