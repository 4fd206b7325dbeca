"""The envelope of every message on the events queue."""
from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from .common import Payload


class QueueMessage(Payload):
    """``kind`` picks the handler (e.g. "stripe_event"); ``body`` is that handler's own payload."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=64)
    body: dict[str, Any]
    correlation_id: str | None = None
