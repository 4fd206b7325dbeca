"""Staff messages to customers (C4): who gets one, and what happened to each copy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from .customers import CustomerKind
from .errors import InvalidInputError

MAX_LISTED_RECIPIENTS = 1000
MAX_SMS_CHARS = 480  # three concatenated SMS segments of GSM-7 text


class Channel(str, Enum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryState(str, Enum):
    SENDING = "sending"  # claimed by a worker (the once-per-recipient ledger item)
    SENT = "sent"
    SUPPRESSED = "suppressed"  # bounced or complained before: SES is not asked again
    FAILED = "failed"
    SKIPPED = "skipped"  # not sent, for the entry's ``reason`` (opted out, no phone number)


class SkipReason(str, Enum):
    NO_PHONE = "no_phone"
    SMS_OPT_OUT = "sms_opt_out"  # the customer opted out here
    CARRIER_OPT_OUT = "carrier_opt_out"  # SNS holds the number as opted out (a STOP reply)
    MARKETING_OPT_OUT = "marketing_opt_out"  # unsubscribed from marketing messages


@dataclass(frozen=True)
class Broadcast:
    business_id: str
    message_id: str
    subject: str
    body: str
    marketing: bool
    created_at: datetime
    emails: tuple[str, ...] | None = None  # the selected customers, or
    kind: CustomerKind | None = None  # a whole kind of customer, or
    group_id: str | None = None  # a group's members, or
    membership_id: str | None = None  # a membership's members (those with access)
    channel: Channel = Channel.EMAIL

    def __post_init__(self) -> None:
        named = [a for a in (self.emails, self.kind, self.group_id, self.membership_id) if a is not None]
        if len(named) != 1:
            raise InvalidInputError("Name one of 'emails', 'kind', 'group_id' or 'membership_id' as the recipients.",
                                    field="emails")
        if self.emails is not None and not 1 <= len(self.emails) <= MAX_LISTED_RECIPIENTS:
            raise InvalidInputError(f"Name 1 to {MAX_LISTED_RECIPIENTS} recipients.", field="emails")
        if self.channel is Channel.EMAIL and not self.subject.strip():
            raise InvalidInputError("An email needs a subject.", field="subject")
        if self.channel is Channel.SMS and len(self.body) > MAX_SMS_CHARS:
            raise InvalidInputError(f"An SMS holds at most {MAX_SMS_CHARS} characters.", field="body")

    @property
    def title(self) -> str:
        """What the customer's message log shows: the subject, or an SMS's first words."""
        if self.subject or self.channel is Channel.EMAIL:
            return self.subject
        return self.body if len(self.body) <= 60 else self.body[:59] + "…"


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
    reason: str | None = None  # why a SKIPPED copy was not sent
