"""Messaging: transactional email (sender, renderer, ledger, mailer) and the events queue."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class Message:
    """One message for the events queue: ``kind`` picks the handler, ``body`` is its payload."""

    kind: str
    body: dict[str, Any]
    correlation_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    html: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    sender_name: str | None = None  # shown as the From name (the business's, for staff messages)
    unsubscribe_url: str | None = None  # marketing mail: sent as a List-Unsubscribe header too


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send; returns the provider's message id."""
        ...


class SmsSender(Protocol):
    def is_opted_out(self, phone: str) -> bool:
        """The provider holds ``phone`` (E.164) as opted out (e.g. it replied STOP)."""
        ...

    def send(self, phone: str, text: str, marketing: bool) -> str:
        """Send one SMS; returns the provider's message id."""
        ...


class TemplateRenderer(Protocol):
    def render(self, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
        """(subject, html, text) of a template."""
        ...


class EmailLedgerStore(Protocol):
    def claim(self, key: str, now: datetime) -> bool:
        """Take the key as sent (one conditional put); False when it was already taken."""
        ...

    def release(self, key: str) -> None:
        """Sending failed: free the key so a retry sends it."""
        ...


class MailerPort(Protocol):
    def send_once(self, occurrence: str, template: str, to: str, context: dict[str, Any],
                  attachments: tuple[Attachment, ...] = ()) -> bool:
        """Send ``template`` to ``to`` unless this occurrence was already mailed; True if sent now."""
        ...


class EventQueuePort(Protocol):
    """The events queue (``adapters/event_queue.py``)."""

    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None: ...

    def send_many(self, messages: list[Message]) -> None: ...
