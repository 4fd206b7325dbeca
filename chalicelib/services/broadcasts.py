"""Staff message customers by email or SMS (C4): the request is queued, then sent page by page.

Each page message sends to at most ``PAGE`` recipients and queues the next page before it sends, so
a whole kind, group or membership is reached whatever its size. Every copy is claimed first by one
conditional put in the customer's message log (message id + recipient), so a redelivered page sends
nobody twice; suppressed addresses (bounced, complained), opted-out customers and SMS to customers
without a phone number are logged with the reason, not sent. Sends are paced to the provider's rate.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..domain.broadcasts import Broadcast, Channel, DeliveryState, MessageLogEntry, SkipReason
from ..domain.customers import CustomerKind
from ..domain.emails import normalise_email
from ..domain.errors import InvalidInputError, NotFoundError
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now
from ..ports.messaging import EmailMessage

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import StaffContext
    from ..domain.customers import Customer
    from ..ports.broadcasts import Audience, BroadcastStore, CustomerContacts, MessageLog, Suppressions
    from ..ports.messaging import EmailSender, SmsSender, TemplateRenderer
    from ..ports.queue import EventPublisher
    from .unsubscribe import UnsubscribeLinks

PAGE_KIND = "broadcast_page"
PAGE = 100
TEMPLATE = "staff_message"
STOP_NOTE = " Reply STOP to opt out."  # marketing SMS say how to stop them


@dataclass(frozen=True)
class NewMessage:
    subject: str | None
    body: str
    marketing: bool = False
    emails: list[str] | None = None
    kind: str | None = None
    group_id: str | None = None
    membership_id: str | None = None
    channel: str = "email"


@dataclass(frozen=True)
class MessageQueued:
    message_id: str
    state: str = "queued"


class BroadcastService:
    def __init__(self, broadcasts: BroadcastStore, audience: Audience, log: MessageLog, suppressions: Suppressions,
                 sender: Callable[[], EmailSender], renderer: Callable[[], TemplateRenderer],
                 queue: Callable[[], EventPublisher], public_base_url: str, send_rate: float, *,
                 contacts: CustomerContacts, sms: Callable[[], SmsSender], links: UnsubscribeLinks,
                 clock: Clock = utc_now, pause: Callable[[float], None] = time.sleep) -> None:
        self.broadcasts = broadcasts
        self.audience = audience
        self.log = log
        self.suppressions = suppressions
        self.sender = sender
        self.renderer = renderer
        self.queue = queue
        self.public_base_url = public_base_url.rstrip("/")
        self.interval = 1.0 / send_rate
        self.contacts = contacts
        self.sms = sms
        self.links = links
        self.clock = clock
        self.pause = pause

    def send(self, ctx: StaffContext, body: NewMessage) -> MessageQueued:
        emails = None
        if body.emails is not None:
            emails = tuple(dict.fromkeys(self._email(e, i) for i, e in enumerate(body.emails)))
        now = self.clock()
        message_id = f"{now:%Y%m%d%H%M%S}-{new_id()[:8]}"  # sorts by time: the customer's log reads newest first
        broadcast = Broadcast(ctx.business_id, message_id, body.subject or "", body.body, body.marketing, now,
                              emails=emails, kind=CustomerKind(body.kind) if body.kind else None,
                              group_id=body.group_id, membership_id=body.membership_id, channel=Channel(body.channel))
        if not self.audience.exists(broadcast):
            named = "Group" if broadcast.group_id else "Membership"
            raise NotFoundError(f"{named} '{broadcast.group_id or broadcast.membership_id}' does not exist.")
        self.broadcasts.save(broadcast)
        self.queue().send(PAGE_KIND, {"business_id": ctx.business_id, "message_id": broadcast.message_id,
                                      "business_name": ctx.business.name, "cursor": None})
        return MessageQueued(broadcast.message_id)

    def send_page(self, body: dict[str, Any]) -> None:
        """Queue handler: queue the next page, then send this one."""
        broadcast = self.broadcasts.get(str(body["business_id"]), str(body["message_id"]))
        recipients, following = self._page(broadcast, body.get("cursor"))
        if following is not None:
            self.queue().send(PAGE_KIND, {**body, "cursor": following})
        for email in recipients:
            self._send_one(broadcast, str(body.get("business_name") or ""), email)

    def history(self, ctx: StaffContext, email: str, limit: int, cursor: str | None
                ) -> tuple[list[MessageLogEntry], str | None]:
        return self.log.for_customer(ctx.business_id, self._email(email, 0), limit, cursor)

    def _page(self, broadcast: Broadcast, cursor: Any) -> tuple[list[str], str | None]:
        if broadcast.emails is not None:
            start = int(cursor or 0)
            end = start + PAGE
            return list(broadcast.emails[start:end]), str(end) if end < len(broadcast.emails) else None
        return self.audience.page(broadcast, None if cursor is None else str(cursor), PAGE)

    def _send_one(self, broadcast: Broadcast, business_name: str, email: str) -> None:
        entry = MessageLogEntry(broadcast.business_id, email, broadcast.message_id, broadcast.title,
                                broadcast.channel.value, DeliveryState.SENDING, self.clock())
        if not self.log.claim(entry):
            return  # this copy was handled by an earlier delivery of the page
        try:
            customer = self.contacts.find(broadcast.business_id, email)
            if broadcast.marketing and customer is not None and customer.marketing_opt_out:
                self.log.settle(replace(entry, state=DeliveryState.SKIPPED, reason=SkipReason.MARKETING_OPT_OUT.value))
                return
            if broadcast.channel is Channel.SMS:
                settled = self._send_sms(broadcast, business_name, entry, customer)
            else:
                settled = self._send_email(broadcast, business_name, entry)
        except Exception:
            self.log.release(entry)  # the page is retried by the queue; this copy goes then
            raise
        self.log.settle(settled)
        if settled.state is DeliveryState.SENT:
            logger.info("staff message sent", extra={"message_id": broadcast.message_id, "channel": entry.channel})
            self.pause(self.interval)  # the provider's per-second send rate

    def _send_email(self, broadcast: Broadcast, business_name: str, entry: MessageLogEntry) -> MessageLogEntry:
        if self.suppressions.is_suppressed(entry.email):
            return replace(entry, state=DeliveryState.SUPPRESSED)
        link = self.links.link(broadcast.business_id, entry.email) if broadcast.marketing else None
        context = {"business_name": business_name, "subject": broadcast.subject, "body": broadcast.body,
                   "marketing": broadcast.marketing, "unsubscribe_url": link}
        subject, html, text = self.renderer().render(TEMPLATE, context)
        provider_id = self.sender().send(EmailMessage(entry.email, subject, html, text, sender_name=business_name,
                                                      unsubscribe_url=link))
        return replace(entry, state=DeliveryState.SENT, provider_id=provider_id)

    def _send_sms(self, broadcast: Broadcast, business_name: str, entry: MessageLogEntry,
             customer: Customer | None) -> MessageLogEntry:
        skipped = replace(entry, state=DeliveryState.SKIPPED)
        if customer is None or not customer.phone:
            return replace(skipped, reason=SkipReason.NO_PHONE.value)
        if customer.sms_opt_out:
            return replace(skipped, reason=SkipReason.SMS_OPT_OUT.value)
        sms = self.sms()
        if sms.is_opted_out(customer.phone):  # a STOP reply reaches SNS, not us
            return replace(skipped, reason=SkipReason.CARRIER_OPT_OUT.value)
        text = f"{business_name}: {broadcast.body}" if business_name else broadcast.body
        if broadcast.marketing:
            text += STOP_NOTE  # SNS keeps the STOP replies as its opt-out list, asked above
        provider_id = sms.send(customer.phone, text, marketing=broadcast.marketing)
        return replace(entry, state=DeliveryState.SENT, provider_id=provider_id)

    @staticmethod
    def _email(raw: str, index: int) -> str:
        email = normalise_email(raw)
        if not email:
            raise InvalidInputError(f"'{raw}' is not an email address.", field=f"emails.{index}")
        return email
