"""Staff messages (C4): the message, each customer's message log (also the once-per-copy ledger),
the suppression list, and recipients of a kind page by page."""
from __future__ import annotations

import json

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ...domain.broadcasts import Broadcast, DeliveryState, MessageLogEntry
from ...domain.customers import CustomerKind
from .base import is_condition_failure, load, register, table_meta
from .customers import CustomerModel


@register
class BroadcastModel(Model):
    Meta = table_meta("broadcasts")
    business_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    marketing = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    emails = ListAttribute(of=UnicodeAttribute, null=True)
    kind = UnicodeAttribute(null=True)


@register
class CustomerMessageModel(Model):
    Meta = table_meta("customer-messages")
    customer_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    message_id = UnicodeAttribute(range_key=True)  # time-sorted ids: the log reads newest first
    subject = UnicodeAttribute()
    channel = UnicodeAttribute()
    state = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    provider_id = UnicodeAttribute(null=True)


@register
class SuppressionModel(Model):
    """Addresses SES reported as bounced or complained: no business mails them again."""

    Meta = table_meta("email-suppressions")
    email = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()


class BroadcastRepository:
    def save(self, b: Broadcast) -> None:
        BroadcastModel(b.business_id, b.message_id, subject=b.subject, body=b.body, marketing=b.marketing,
                       created_at=b.created_at, emails=list(b.emails) if b.emails is not None else None,
                       kind=b.kind.value if b.kind else None).save()

    def get(self, business_id: str, message_id: str) -> Broadcast:
        m = load(BroadcastModel, business_id, message_id, missing=f"Message '{message_id}' does not exist.")
        return Broadcast(m.business_id, m.message_id, m.subject, m.body, bool(m.marketing), m.created_at,
                         emails=tuple(str(e) for e in m.emails) if m.emails is not None else None,
                         kind=CustomerKind(m.kind) if m.kind else None)


class CustomerAudience:
    def page(self, business_id: str, kind: CustomerKind, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        start = json.loads(cursor) if cursor else None
        result = CustomerModel.query(business_id, filter_condition=CustomerModel.kind == kind.value, limit=limit,
                                     last_evaluated_key=start)
        emails = [m.email for m in result if not m.disabled]
        following = result.last_evaluated_key
        return emails, json.dumps(following) if following else None


def _entry(m: CustomerMessageModel) -> MessageLogEntry:
    business_id, _, email = m.customer_key.partition("#")
    return MessageLogEntry(business_id, email, m.message_id, m.subject, m.channel, DeliveryState(m.state), m.at,
                           m.provider_id)


def _model(e: MessageLogEntry) -> CustomerMessageModel:
    return CustomerMessageModel(f"{e.business_id}#{e.email}", e.message_id, subject=e.subject, channel=e.channel,
                                state=e.state.value, at=e.at, provider_id=e.provider_id)


class CustomerMessageLog:
    def claim(self, entry: MessageLogEntry) -> bool:
        try:
            _model(entry).save(condition=CustomerMessageModel.message_id.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def settle(self, entry: MessageLogEntry) -> None:
        _model(entry).save()

    def release(self, entry: MessageLogEntry) -> None:
        _model(entry).delete()

    def for_customer(self, business_id: str, email: str, limit: int, cursor: str | None
                     ) -> tuple[list[MessageLogEntry], str | None]:
        key = f"{business_id}#{email}"
        start = {"customer_key": {"S": key}, "message_id": {"S": cursor}} if cursor else None
        result = CustomerMessageModel.query(key, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [_entry(m) for m in result]
        following = result.last_evaluated_key
        return items, str(following["message_id"]["S"]) if following else None


class SuppressionList:
    def is_suppressed(self, email: str) -> bool:
        return SuppressionModel.count(email.lower(), limit=1) > 0

    def suppress(self, email: str, reason: str) -> None:
        SuppressionModel(email.lower(), reason=reason).save()


