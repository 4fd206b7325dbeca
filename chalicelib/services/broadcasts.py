"""Staff message customers by email (C4): the request is queued, then sent page by page.

Each page message sends to at most ``PAGE`` recipients and queues the next page before it sends, so
a whole kind of customer is reached whatever its size. Every copy is claimed first by one conditional
put in the customer's message log (message id + recipient), so a redelivered page sends nobody twice;
suppressed addresses (bounced, complained) are logged, not mailed. Sends are paced to the SES rate.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..domain.broadcasts import Broadcast, DeliveryState, MessageLogEntry
from ..domain.customers import CustomerKind
from ..domain.emails import normalise_email
from ..domain.errors import InvalidInputError
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now
from ..ports.messaging import EmailMessage

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import StaffContext
    from ..ports.broadcasts import Audience, BroadcastStore, MessageLog, Suppressions
    from ..ports.messaging import EmailSender, TemplateRenderer
    from ..ports.queue import EventPublisher

PAGE_KIND = "broadcast_page"
PAGE = 100
TEMPLATE = "staff_message"


@dataclass(frozen=True)
class NewMessage:
    subject: str
    body: str
    marketing: bool = False
    emails: list[str] | None = None
    kind: str | None = None


@dataclass(frozen=True)
class MessageQueued:
    message_id: str
    state: str = "queued"


class BroadcastService:
    def __init__(self, broadcasts: BroadcastStore, audience: Audience, log: MessageLog, suppressions: Suppressions,
                 sender: Callable[[], EmailSender], renderer: Callable[[], TemplateRenderer],
                 queue: Callable[[], EventPublisher], public_base_url: str, send_rate: float,
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
        self.clock = clock
        self.pause = pause
        self.businesses: dict[str, str] = {}

    def send(self, ctx: StaffContext, body: NewMessage) -> MessageQueued:
        emails = None
        if body.emails is not None:
            emails = tuple(dict.fromkeys(self._email(e, i) for i, e in enumerate(body.emails)))
        now = self.clock()
        message_id = f"{now:%Y%m%d%H%M%S}-{new_id()[:8]}"  # sorts by time: the customer's log reads newest first
        broadcast = Broadcast(ctx.business_id, message_id, body.subject, body.body, body.marketing, now,
                              emails=emails, kind=CustomerKind(body.kind) if body.kind else None)
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
        assert broadcast.kind is not None
        return self.audience.page(broadcast.business_id, broadcast.kind, cursor, PAGE)

    def _send_one(self, broadcast: Broadcast, business_name: str, email: str) -> None:
        entry = MessageLogEntry(broadcast.business_id, email, broadcast.message_id, broadcast.subject, "email",
                                DeliveryState.SENDING, self.clock())
        if not self.log.claim(entry):
            return  # this copy was handled by an earlier delivery of the page
        if self.suppressions.is_suppressed(email):
            self.log.settle(replace(entry, state=DeliveryState.SUPPRESSED))
            return
        context = {"business_name": business_name, "subject": broadcast.subject, "body": broadcast.body,
                   "marketing": broadcast.marketing}
        try:
            subject, html, text = self.renderer().render(TEMPLATE, context)
            provider_id = self.sender().send(EmailMessage(email, subject, html, text, sender_name=business_name))
        except Exception:
            self.log.release(entry)  # the page is retried by the queue; this copy goes then
            raise
        self.log.settle(replace(entry, state=DeliveryState.SENT, provider_id=provider_id))
        logger.info("staff message sent", extra={"message_id": broadcast.message_id})
        self.pause(self.interval)  # SES's per-second send rate

    @staticmethod
    def _email(raw: str, index: int) -> str:
        email = normalise_email(raw)
        if not email:
            raise InvalidInputError(f"'{raw}' is not an email address.", field=f"emails.{index}")
        return email
