"""Membership checkouts (the basket's held places until the outcome) and the processed Stripe events ledger."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model

from ...domain.memberships import Checkout
from .base import find, is_condition_failure, register, table_meta

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
        CheckoutModel(c.business_id, c.checkout_id, membership_id=c.membership_id, option_id=c.option_id, email=c.email,
                      booking_ids=list(c.booking_ids), created_at=at).save(condition=CheckoutModel.checkout_id.does_not_exist())

    def set_session(self, business_id: str, checkout_id: str, session_id: str) -> None:
        CheckoutModel(business_id, checkout_id).update(actions=[CheckoutModel.session_id.set(session_id)])

    def find(self, business_id: str, checkout_id: str) -> Checkout | None:
        m = find(CheckoutModel, business_id, checkout_id, consistent_read=True)
        if m is None:
            return None
        return Checkout(m.business_id, m.checkout_id, m.membership_id, m.option_id, m.email,
                        tuple(str(b) for b in m.booking_ids or ()), m.state, m.session_id, m.payment_intent_id,
                        m.invoice_id)

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
        """Move an open checkout to ``state``; False if it was already closed (a redelivered event)."""
        try:
            CheckoutModel(business_id, checkout_id).update(
                actions=[CheckoutModel.state.set(state)], condition=CheckoutModel.state == "open"
            )
            return True
        except UpdateError as exc:
            if is_condition_failure(exc):
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
