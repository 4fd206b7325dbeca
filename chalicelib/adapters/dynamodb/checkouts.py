"""Membership checkouts (the basket's held places until the outcome) and the processed Stripe events ledger."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.models import Model

from ...domain.bookings import MAX_OPEN_CHECKOUTS
from ...domain.errors import RuleRefusedError, TransactionContendedError
from ...domain.memberships import Checkout
from .base import failed_conditions, find, is_condition_failure, register, table_meta, transaction
from .booker_counters import BookerCounterModel, add_within, checkouts_scope, membership_scope, take_back

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

PROCESSED_EVENT_DAYS = 35  # well past Stripe's 3-day retry window
# A claim left by an invocation that died is taken over after this (the consumer times out at 100 s;
# SQS shows the message again after 605 s).
EVENT_CLAIM_LEASE = timedelta(minutes=5)


@register
class CheckoutModel(Model):
    """A basket checkout: what was bought and which places are held until it completes or expires."""

    Meta = table_meta("membership-checkouts")
    business_id = UnicodeAttribute(hash_key=True)
    checkout_id = UnicodeAttribute(range_key=True)
    membership_id = UnicodeAttribute()
    option_id = UnicodeAttribute()
    email = UnicodeAttribute()
    booking_ids = ListAttribute(of=UnicodeAttribute, default=list)
    session_id = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    payment_intent_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute(default="open")  # open, completed, expired
    created_at = UTCDateTimeAttribute()


@register
class ProcessedEventModel(Model):
    Meta = table_meta("processed-events")
    event_id = UnicodeAttribute(hash_key=True)
    event_type = UnicodeAttribute()
    processed_at = UTCDateTimeAttribute()
    expires = TTLAttribute()


class CheckoutRepository:
    def create(self, checkout: Checkout, at: datetime) -> None:
        c = checkout
        txn = transaction(CheckoutModel)
        try:
            with txn:
                txn.save(CheckoutModel(c.business_id, c.checkout_id, membership_id=c.membership_id, option_id=c.option_id,
                                       email=c.email, booking_ids=list(c.booking_ids), created_at=at),
                         condition=CheckoutModel.checkout_id.does_not_exist())
                add_within(txn, checkouts_scope(c.business_id), c.email, 1, MAX_OPEN_CHECKOUTS)
        except TransactWriteError as exc:
            if BookerCounterModel.Meta.table_name in failed_conditions(txn, exc):
                raise RuleRefusedError("too_many_open_checkouts",
                                       f"You have {MAX_OPEN_CHECKOUTS} unpaid checkouts open: pay or leave one first.",
                                       max_open_checkouts=MAX_OPEN_CHECKOUTS)
            raise TransactionContendedError("Another checkout was opened at the same moment; try again.")

    def claim_membership(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> str | None:
        M = BookerCounterModel
        try:
            M(membership_scope(business_id, membership_id), email).update(
                actions=[M.checkout_id.set(checkout_id)], condition=M.checkout_id.does_not_exist())
            return None
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        held = find(M, membership_scope(business_id, membership_id), email, consistent_read=True)
        return held.checkout_id if held is not None and held.checkout_id else None

    def drop_claim(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> None:
        """A claimed checkout that was never created (its places could not be held): free the claim."""
        M = BookerCounterModel
        try:
            M(membership_scope(business_id, membership_id), email).update(
                actions=[M.checkout_id.remove()], condition=M.checkout_id == checkout_id)
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def set_session(self, business_id: str, checkout_id: str, session_id: str, url: str | None = None,
                    expires_at: int | None = None) -> None:
        actions: list[Action] = [CheckoutModel.session_id.set(session_id)]
        if url:
            actions.append(CheckoutModel.url.set(url))
        if expires_at is not None:
            actions.append(CheckoutModel.expires_at.set(expires_at))
        CheckoutModel(business_id, checkout_id).update(actions=actions)

    def find(self, business_id: str, checkout_id: str) -> Checkout | None:
        m = find(CheckoutModel, business_id, checkout_id, consistent_read=True)
        if m is None:
            return None
        return Checkout(m.business_id, m.checkout_id, m.membership_id, m.option_id, m.email,
                        tuple(str(b) for b in m.booking_ids or ()), m.state, m.session_id, m.payment_intent_id,
                        m.invoice_id, m.url, int(m.expires_at) if m.expires_at is not None else None)

    def record_payment(self, business_id: str, checkout_id: str, payment_intent_id: str | None,
                       invoice_id: str | None) -> None:
        actions: list[Action] = []
        if payment_intent_id:
            actions.append(CheckoutModel.payment_intent_id.set(payment_intent_id))
        if invoice_id:
            actions.append(CheckoutModel.invoice_id.set(invoice_id))
        if actions:
            CheckoutModel(business_id, checkout_id).update(actions=actions)

    def close(self, business_id: str, checkout_id: str, state: str) -> bool:
        """Move an open checkout to ``state`` and stop counting it as open, in one transaction; False if it
        was already closed (a redelivered event)."""
        m = find(CheckoutModel, business_id, checkout_id, consistent_read=True)
        if m is None or m.state != "open":
            return False
        txn = transaction(CheckoutModel)
        try:
            with txn:
                txn.update(CheckoutModel(business_id, checkout_id), actions=[CheckoutModel.state.set(state)],
                           condition=CheckoutModel.state == "open")
                take_back(txn, checkouts_scope(business_id), m.email, 1)
                claim = find(BookerCounterModel, membership_scope(business_id, m.membership_id), m.email) \
                    if m.membership_id else None
                if claim is not None and claim.checkout_id == checkout_id:
                    M = BookerCounterModel
                    txn.update(M(membership_scope(business_id, m.membership_id), m.email),
                               actions=[M.checkout_id.remove()], condition=M.checkout_id == checkout_id)
            return True
        except TransactWriteError as exc:
            if CheckoutModel.Meta.table_name in failed_conditions(txn, exc):
                return False
            raise


class HeldPlaceConfirmer:
    """Held basket places become bookings: one conditional update (held -> confirmed, out of the hold index)."""

    def confirm(self, business_id: str, booking_id: str) -> bool:
        from ...domain.bookings import BookingStatus
        from .bookings import BookingModel

        try:
            BookingModel(business_id, booking_id).update(
                actions=[BookingModel.status.set(BookingStatus.CONFIRMED.value), *BookingModel.leave_hold_index()],
                condition=BookingModel.status == BookingStatus.HELD.value,
            )
            return True
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise


class ProcessedEvents:
    """Event ids claimed for handling, kept ``PROCESSED_EVENT_DAYS`` (TTL) — well past Stripe's retries.

    One conditional put per event. A claim older than the lease can be taken again: that is how the
    retry of an invocation that died mid-way gets through, and why every handler must stay idempotent
    (a redelivery later than the lease is handled again, to the same effect).
    """

    def claim(self, event_id: str, event_type: str, at: datetime) -> bool:
        try:
            ProcessedEventModel(event_id, event_type=event_type, processed_at=at,
                                expires=at + timedelta(days=PROCESSED_EVENT_DAYS)).save(
                condition=ProcessedEventModel.event_id.does_not_exist()
                | (ProcessedEventModel.processed_at < at - EVENT_CLAIM_LEASE))
            return True
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def release(self, event_id: str) -> None:
        try:
            ProcessedEventModel(event_id).delete()
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise

    def seen(self, event_id: str) -> bool:
        return find(ProcessedEventModel, event_id) is not None
