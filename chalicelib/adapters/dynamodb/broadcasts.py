"""Staff messages (C4): the message, each customer's message log (also the once-per-copy ledger),
the suppression list, recipients of a kind, group or membership page by page (key and index queries),
and customers' phone numbers and opt-outs."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from ...domain.broadcasts import Broadcast, Channel, DeliveryState, MessageLogEntry
from ...domain.customers import ContactChanges, Customer, CustomerKind
from ...domain.errors import NotFoundError
from ...domain.memberships import ACCESS_STATUSES, ONE_OFF_STATUS
from .base import find, is_condition_failure, load, register, table_meta
from .customers import CustomerModel, customer_from
from .groups import GroupMemberModel, GroupModel
from .memberships import MemberModel, MembershipModel

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action


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
    group_id = UnicodeAttribute(null=True)
    membership_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)  # none: email (messages from before SMS)


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
    reason = UnicodeAttribute(null=True)


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
                       kind=b.kind.value if b.kind else None, group_id=b.group_id, membership_id=b.membership_id,
                       channel=b.channel.value).save()

    def get(self, business_id: str, message_id: str) -> Broadcast:
        m = load(BroadcastModel, business_id, message_id, missing=f"Message '{message_id}' does not exist.")
        return Broadcast(m.business_id, m.message_id, m.subject, m.body, bool(m.marketing), m.created_at,
                         emails=tuple(str(e) for e in m.emails) if m.emails is not None else None,
                         kind=CustomerKind(m.kind) if m.kind else None, group_id=m.group_id,
                         membership_id=m.membership_id, channel=Channel(m.channel or Channel.EMAIL.value))


MEMBER_STATUSES = ACCESS_STATUSES | {ONE_OFF_STATUS}  # members with access (a cancelled one is no member)


class CustomerAudience:
    def exists(self, b: Broadcast) -> bool:
        if b.group_id is not None:
            return find(GroupModel, b.business_id, b.group_id) is not None
        if b.membership_id is not None:
            return find(MembershipModel, b.business_id, b.membership_id) is not None
        return True

    def page(self, b: Broadcast, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        start = json.loads(cursor) if cursor else None
        emails: list[str]
        if b.group_id is not None:
            members = GroupMemberModel.query(b.group_id, filter_condition=GroupMemberModel.business_id == b.business_id,
                                             limit=limit, last_evaluated_key=start)
            emails = [m.email for m in members]
            following = members.last_evaluated_key
        elif b.membership_id is not None:
            subscriptions = MemberModel.by_membership.query(
                f"{b.business_id}#{b.membership_id}", filter_condition=MemberModel.status.is_in(*MEMBER_STATUSES),
                limit=limit, last_evaluated_key=start)
            emails = list(dict.fromkeys(m.email for m in subscriptions))  # one per person on this page
            following = subscriptions.last_evaluated_key
        else:
            assert b.kind is not None
            customers = CustomerModel.query(b.business_id, filter_condition=CustomerModel.kind == b.kind.value,
                                            limit=limit, last_evaluated_key=start)
            emails = [m.email for m in customers if not m.disabled]
            following = customers.last_evaluated_key
        return emails, json.dumps(following) if following else None


class CustomerContactBook:
    def find(self, business_id: str, email: str) -> Customer | None:
        item = find(CustomerModel, business_id, email)
        return customer_from(item) if item else None

    def set_contact(self, business_id: str, email: str, changes: ContactChanges) -> Customer:
        actions: list[Action] = []
        if changes.phone is not None:
            actions.append(CustomerModel.phone.set(changes.phone) if changes.phone else CustomerModel.phone.remove())
        if changes.sms_opt_out is not None:
            actions.append(CustomerModel.sms_opt_out.set(changes.sms_opt_out))
        if changes.marketing_opt_out is not None:
            actions.append(CustomerModel.marketing_opt_out.set(changes.marketing_opt_out))
        if not actions:
            return customer_from(load(CustomerModel, business_id, email, missing=f"No customer with email '{email}'."))
        item = CustomerModel(business_id, email)
        try:
            item.update(actions=actions, condition=CustomerModel.email.exists())  # the whole record comes back
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"No customer with email '{email}'.") from None
            raise
        return customer_from(item)


def _entry(m: CustomerMessageModel) -> MessageLogEntry:
    business_id, _, email = m.customer_key.partition("#")
    return MessageLogEntry(business_id, email, m.message_id, m.subject, m.channel, DeliveryState(m.state), m.at,
                           m.provider_id, m.reason)


def _model(e: MessageLogEntry) -> CustomerMessageModel:
    return CustomerMessageModel(f"{e.business_id}#{e.email}", e.message_id, subject=e.subject, channel=e.channel,
                                state=e.state.value, at=e.at, provider_id=e.provider_id, reason=e.reason)


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


