"""Deleting customers (C6): app users go at once; an additional user's history (bookings, pass
purchases, then payments, then course enrolments) moves to their primary customer first, in bounded transactions driven by the events queue, so a long history is moved
completely (a crash or timeout resumes from what is left), never half. Primary customers stay.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.customers import CustomerKind, check_deletable
from ..domain.emails import normalise_email
from ..domain.errors import NotFoundError
from ..logs import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import StaffContext
    from ..ports.customers import AccountHistory, CustomerRemoval
    from ..ports.queue import EventPublisher
    from ..ports.tenancy import CustomerStore
    from ..ports.waitlists import WaitlistStore
    from .customers import LinkCache

MOVE_KIND = "customer_history_move"
BOOKINGS_PER_TRANSACTION = 25
TRANSACTIONS_PER_MESSAGE = 40  # ~1,000 bookings per queue message, well inside a Lambda's time


@dataclass(frozen=True)
class Deletion:
    email: str
    state: str  # "deleted" | "moving_history"
    moved_to: str | None = None


class CustomerDeletion:
    def __init__(self, customers: CustomerStore, removal: CustomerRemoval, history: AccountHistory,
                 queue: Callable[[], EventPublisher], links: LinkCache,
                 per_transaction: int = BOOKINGS_PER_TRANSACTION,
                 per_message: int = TRANSACTIONS_PER_MESSAGE,
                 waitlist: Callable[[], WaitlistStore] | None = None) -> None:
        self.customers = customers
        self.removal = removal
        self.history = history
        self.queue = queue
        self.links = links
        self.per_transaction = per_transaction
        self.per_message = per_message
        self.waitlist = waitlist  # X2: sign-ups are dropped, not moved (the primary may already wait there)

    def delete(self, ctx: StaffContext, raw_email: str) -> Deletion:
        email = normalise_email(raw_email)
        if not email:
            raise NotFoundError(f"No customer with email '{raw_email}'.")
        customer = self.customers.get(ctx.business_id, email)
        check_deletable(customer)
        self.links.unlink(ctx.business_id, email)
        if customer.kind is CustomerKind.APP_USER or not customer.primary_email:
            self.removal.delete(customer)
            return Deletion(email, "deleted")
        self.removal.mark_deleting(ctx.business_id, email)  # refused from now on; staff see the state
        self.queue().send(MOVE_KIND, {"business_id": ctx.business_id, "email": email,
                                      "primary_email": customer.primary_email})
        return Deletion(email, "moving_history", moved_to=customer.primary_email)

    def move_history(self, body: dict[str, Any]) -> None:
        """Queue handler: move up to ``per_message`` batches, then either finish or queue the rest."""
        business_id, email, primary = str(body["business_id"]), str(body["email"]), str(body["primary_email"])
        customer = self.customers.find(business_id, email)
        if customer is None:
            return  # finished by an earlier delivery
        stages = (self.history.move_bookings, self.history.move_passes, self.history.move_payments,
                  self.history.move_enrolments, self._leave_waitlists)  # a new stage goes last: queued messages keep their stage numbers
        budget, stage = self.per_message, int(body.get("stage", 0))  # finished stages are not read again
        while stage < len(stages):
            if not budget:
                self.queue().send(MOVE_KIND, body | {"stage": stage})
                return
            budget -= 1
            if stages[stage](business_id, email, primary, self.per_transaction) == 0:
                stage += 1
        self.removal.delete(customer)
        logger.info("additional user deleted; history moved", extra={"to": primary})

    def _leave_waitlists(self, business_id: str, email: str, to_email: str, limit: int) -> int:
        from .waitlists import drop_sign_ups

        return drop_sign_ups(self.waitlist(), business_id, email, limit) if self.waitlist else 0
