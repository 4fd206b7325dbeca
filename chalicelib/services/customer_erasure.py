"""Erasure on request (GDPR art. 17, C6): the person goes, the business's records stay.

Bookings, pass purchases, membership records, the payments record (B6) and course enrolments keep their amounts and Stripe ids, since tax
law keeps payment records for 6-10 years, but move to a pseudonymous id (``erased-<hex>@erased.invalid``)
with attendee names blanked; the message log loses its subjects; the record loses name, participants'
names and the additional-user link; search fragments go; the Stripe customers of its membership records
on the business's account lose name, phone and addresses and carry the pseudonym as email; an erased primary's additional users become
app users on their own (they would otherwise keep acting on the erased account). Long histories move
in bounded transactions through the events queue; a crash resumes from what is left. Owners only: it
cannot be undone.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.customers import CustomerKind, check_erasable, erased_record, pseudonym
from ..domain.emails import normalise_email
from ..domain.errors import ConflictError, NotFoundError, PaymentsUnavailableError, StripeNotConnectedError
from ..logs import logger
from .staff import require_owner

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import StaffContext
    from ..ports.customers import ErasureStore
    from ..ports.payments import BusinessPayments
    from ..ports.queue import EventPublisher
    from ..ports.tenancy import CustomerStore
    from ..ports.waitlists import WaitlistStore
    from .customers import LinkCache

ERASE_KIND = "customer_erasure"
ITEMS_PER_TRANSACTION = 25  # a pass move is 3 writes: 75 of DynamoDB's 100 per transaction
TRANSACTIONS_PER_MESSAGE = 40
CUSTOMERS_PER_PAGE = 500  # an erased primary's additional users are found by paging the business's records


@dataclass(frozen=True)
class Erasure:
    email: str
    erased_as: str  # the pseudonymous id the kept records now carry: GET /v1/manage/customers/{erased_as}
    state: str  # "erasing" (the queue is moving the history) | "erased"


class CustomerErasure:
    def __init__(self, customers: CustomerStore, store: ErasureStore, queue: Callable[[], EventPublisher],
                 links: LinkCache, per_transaction: int = ITEMS_PER_TRANSACTION,
                 per_message: int = TRANSACTIONS_PER_MESSAGE, per_page: int = CUSTOMERS_PER_PAGE,
                 waitlist: Callable[[], WaitlistStore] | None = None,
                 payments: Callable[[], BusinessPayments] | None = None) -> None:
        self.customers = customers
        self.store = store
        self.queue = queue
        self.links = links
        self.per_transaction = per_transaction
        self.per_message = per_message
        self.per_page = per_page
        self.waitlist = waitlist  # X2: sign-ups name the person; they are dropped, not kept
        self.payments = payments  # the Stripe customer objects on the business's account

    def erase(self, ctx: StaffContext, raw_email: str) -> Erasure:
        require_owner(ctx)
        email = normalise_email(raw_email)
        customer = self.customers.find(ctx.business_id, email) if email else None
        if customer is None or email is None:
            raise NotFoundError(f"No customer with email '{raw_email}'.")
        if customer.erased:
            raise ConflictError("This record is already the erased remainder of a customer.", code="already_erased")
        check_erasable(customer, self.store.live_memberships(ctx.business_id, email),
                       self.store.open_checkouts(ctx.business_id, email))
        as_id = self.store.mark_erasing(ctx.business_id, email, pseudonym(secrets.token_hex(8)))
        self.links.unlink(ctx.business_id, email)
        self.queue().send(ERASE_KIND, {"business_id": ctx.business_id, "email": email, "erased_as": as_id})
        return Erasure(email, as_id, "erasing")

    def run(self, body: dict[str, Any]) -> None:
        """Queue handler: up to ``per_message`` transactions, stage by stage; then finish or queue the rest."""
        business_id, email, as_id = str(body["business_id"]), str(body["email"]), str(body["erased_as"])
        customer = self.customers.find(business_id, email)
        if customer is None or customer.erased_as != as_id:
            return  # finished by an earlier delivery
        moves = (self.store.erase_bookings, self.store.erase_passes, self.store.erase_memberships,
                 self.store.erase_payments, self.store.erase_messages, self.store.erase_enrolments,
                 self._leave_waitlists, self._redact_stripe_customers)  # a new stage goes last: queued bodies keep theirs
        last = len(moves) if customer.kind is CustomerKind.PRIMARY else len(moves) - 1  # only a primary has users
        budget, stage, start = self.per_message, int(body.get("stage", 0)), body.get("start")
        while stage <= last:  # a finished stage is not read again by a later message
            if not budget:
                self.queue().send(ERASE_KIND, body | {"stage": stage, "start": start})
                return
            budget -= 1
            if stage < len(moves):
                done = moves[stage](business_id, email, as_id, self.per_transaction) == 0
            else:
                start = self.store.detach_additional_users(business_id, email, start, self.per_page)
                done = start is None
            if done:
                stage += 1
        self.store.finish(customer, erased_record(customer, as_id))
        logger.info("customer erased", extra={"business_id": business_id, "erased_as": as_id})

    def _leave_waitlists(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        from .waitlists import drop_sign_ups

        return drop_sign_ups(self.waitlist(), business_id, email, limit) if self.waitlist else 0

    def _redact_stripe_customers(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        """After the memberships stage: each Stripe customer id the moved records carry, once per (id,
        pseudonym) by its idempotency key, so a redelivery repeats no change. Never blocks the erasure."""
        ids = self.store.stripe_customer_ids(business_id, as_id)
        if not ids or self.payments is None:
            return 0
        try:
            port = self.payments().for_business(business_id)
        except (StripeNotConnectedError, PaymentsUnavailableError) as exc:
            logger.warning("erasure: Stripe customers left unredacted, the business has no Stripe account",
                           extra={"business_id": business_id, "erased_as": as_id, "customers": len(ids),
                                  "reason": exc.code})
            return 0
        for customer_id in ids:
            port.redact_customer(customer_id, as_id)
        return 0
