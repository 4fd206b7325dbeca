"""Transactional emails, each sent once per occurrence key whatever the number of deliveries.

The ledger key is taken before sending and freed if sending fails, so a retried message sends what
the failed attempt did not, and a redelivered one sends nothing.
"""
from __future__ import annotations

from typing import Any

from ..logs import logger
from ..ports.clock import Clock, utc_now
from ..ports.messaging import Attachment, EmailLedgerStore, EmailMessage, EmailSender, TemplateRenderer

__all__ = ["Attachment", "EmailMessage", "Mailer"]


class Mailer:
    def __init__(self, sender: EmailSender, renderer: TemplateRenderer, ledger: EmailLedgerStore,
                 clock: Clock = utc_now) -> None:
        self.sender = sender
        self.renderer = renderer
        self.ledger = ledger
        self.clock = clock

    def send_once(self, occurrence: str, template: str, to: str, context: dict[str, Any],
                  attachments: tuple[Attachment, ...] = ()) -> bool:
        """Send ``template`` to ``to`` unless this occurrence was already mailed; True if sent now."""
        key = f"{occurrence}#{template}#{to}"
        if not self.ledger.claim(key, self.clock()):
            logger.info("email already sent", extra={"dedupe_key": key})
            return False
        try:
            subject, html, text = self.renderer.render(template, context)
            message_id = self.sender.send(EmailMessage(to, subject, html, text, attachments))
        except Exception:
            self.ledger.release(key)
            raise
        logger.info("email sent", extra={"dedupe_key": key, "message_id": message_id})
        return True
