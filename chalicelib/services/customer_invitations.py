"""The invitation email to an additional user (C1), sent once per invitation by the events worker.

The request only queues a small message after the record is written (no SES or templates at the API's
cold start); the worker re-reads the record, so an invitation withdrawn meanwhile (the person deleted,
or linked to someone else) mails nobody, and the email ledger makes redeliveries send nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.customers import CustomerKind
from ..logs import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.customers import Customer
    from ..ports.messaging import EventQueuePort, MailerPort
    from ..ports.tenancy import BusinessStore, CustomerStore

INVITE_KIND = "additional_user_invitation"


class AdditionalUserInvitations:
    def __init__(self, customers: CustomerStore, businesses: BusinessStore, queue: Callable[[], EventQueuePort],
                 mailer: Callable[[], MailerPort]) -> None:
        self.customers = customers
        self.businesses = businesses
        self.queue = queue
        self.mailer = mailer

    def enqueue(self, invited: Customer) -> None:
        """Called after the invitation is written: a lost email must not undo a done invitation."""
        try:
            self.queue().send(INVITE_KIND, {"business_id": invited.business_id, "email": invited.email,
                                            "primary_email": invited.primary_email})
        except Exception as exc:
            logger.warning("invitation email not queued", extra={"error": repr(exc)})

    def deliver(self, body: dict[str, Any]) -> None:
        """``queue_handlers["additional_user_invitation"]``: one email per (person, primary account)."""
        business_id, email, primary = str(body["business_id"]), str(body["email"]), str(body["primary_email"])
        invited = self.customers.find(business_id, email)
        if invited is None or invited.kind is not CustomerKind.ADDITIONAL_USER or invited.primary_email != primary:
            logger.info("invitation no longer stands; not mailed", extra={"business_id": business_id})
            return
        inviter = self.customers.find(business_id, primary)
        business = self.businesses.get(business_id)
        context = {"business_name": business.name, "email": email,
                   "inviter": (inviter.name if inviter and inviter.name else primary)}
        self.mailer().send_once(f"additional-user#{business_id}#{primary}", "additional_user_invitation", email,
                                context)
