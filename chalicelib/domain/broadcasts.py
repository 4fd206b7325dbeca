"""Staff messages to customers (C4): who gets one, and what happened to each copy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from .customers import CustomerKind
from .errors import InvalidInputError

MAX_LISTED_RECIPIENTS = 1000


class DeliveryState(str, Enum):
    SENDING = "sending"  # claimed by a worker (the once-per-recipient ledger item)
    SENT = "sent"
    SUPPRESSED = "suppressed"  # bounced or complained before: SES is not asked again
    FAILED = "failed"


@dataclass(frozen=True)
class Broadcast:
    business_id: str
    message_id: str
    subject: str
    body: str
    marketing: bool
    created_at: datetime
    emails: tuple[str, ...] | None = None  # the selected customers, or
    kind: CustomerKind | None = None  # a whole kind of customer

    def __post_init__(self) -> None:
        if (self.emails is None) == (self.kind is None):
            raise InvalidInputError("Name either 'emails' or 'kind' as the recipients.", field="emails")
        if self.emails is not None and not 1 <= len(self.emails) <= MAX_LISTED_RECIPIENTS:
            raise InvalidInputError(f"Name 1 to {MAX_LISTED_RECIPIENTS} recipients.", field="emails")


@dataclass(frozen=True)
class MessageLogEntry:
    """One message as the customer's record shows it."""

    business_id: str
    email: str
    message_id: str
    subject: str
    channel: str
    state: DeliveryState
    at: datetime
    provider_id: str | None = None
