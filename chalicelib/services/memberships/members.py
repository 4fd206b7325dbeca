"""Members (M7): staff see and change a member's subscription; bookers see theirs and open the portal.

A staff change is applied from the provider's answer at once, so it shows before the webhook
arrives (the webhook then finds nothing new to do).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ...domain.errors import ConflictError, ForbiddenError, NotFoundError, RuleRefusedError, StripeNotConnectedError
from ...domain.memberships import ONE_OFF_STATUS, HistoryItem, MemberRecord

if TYPE_CHECKING:
    from datetime import datetime

    from ...domain.context import BookerContext, StaffContext
    from ...domain.paging import Page, PageRequest
    from ...ports.memberships import MembershipStore, MemberStore
    from ...ports.payments import BusinessPayments
    from ..membership_lifecycle import MembershipLifecycle
    from ..payment_records import PaymentRecords


@dataclass(frozen=True)
class MemberView:
    """A member as the responses show it: the record, whether it gives access now, its dashboard link."""

    record: MemberRecord
    has_access: bool
    stripe_dashboard_url: str | None = None
    payments: tuple[HistoryItem, ...] = ()  # B6: the subscription's invoices and refunds (staff's view of one)

    def __getattr__(self, name: str) -> object:
        return getattr(self.record, name)  # the record's own fields, read by the response model

    @property
    def history(self) -> list[HistoryItem]:
        """The record's own history with its payments, in time order."""
        return sorted((*self.record.history, *self.payments), key=lambda item: item.at)

    @property
    def renews_on(self) -> datetime | None:
        return self.record.current_period_end

    @property
    def usage_anchor(self) -> datetime | None:
        return self.record.anchor


class MemberActions:
    def __init__(self, memberships: MembershipStore, members: MemberStore, lifecycle: MembershipLifecycle,
                 payments: BusinessPayments, public_base_url: str, records: PaymentRecords | None = None) -> None:
        self.records = records
        self.memberships = memberships
        self.members = members
        self.lifecycle = lifecycle
        self.payments = payments
        self.public_base_url = public_base_url.rstrip("/")

    def staff_view(self, record: MemberRecord) -> MemberView:
        link = None
        if record.customer_id:
            try:
                link = self.payments.for_business(record.business_id).dashboard_url("subscriptions", record.subscription_id)
            except StripeNotConnectedError:  # records stay visible while the account is disconnected
                link = None
        return MemberView(record, self.lifecycle.access(record), link)

    def of_membership(self, ctx: StaffContext, membership_id: str, page: PageRequest) -> Page[MemberView]:
        self.memberships.get(ctx.business_id, membership_id)
        return self.members.membership_page(ctx.business_id, membership_id, page).map(self.staff_view)

    def of_customer(self, ctx: StaffContext, email: str, page: PageRequest) -> Page[MemberView]:
        """C2: a customer's memberships, through the by-booker index (one page, by subscription id)."""
        return self.members.booker_page(ctx.business_id, email, page).map(self.staff_view)

    def get(self, ctx: StaffContext, subscription_id: str) -> MemberView:
        return self.with_payments(self.staff_view(self.members.get(ctx.business_id, subscription_id)))

    def with_payments(self, view: MemberView) -> MemberView:
        if self.records is None:
            return view
        return replace(view, payments=self.records.history_of(view.record.business_id, view.record.subscription_id))

    def cancel_at_period_end(self, ctx: StaffContext, subscription_id: str, cancel: bool = True) -> MemberView:
        record = self.members.get(ctx.business_id, subscription_id)
        if record.status == ONE_OFF_STATUS:
            raise RuleRefusedError("one_off", "A one-off membership has no period to end; cancel it now instead.")
        if not self.lifecycle.access(record):
            raise ConflictError("This membership has already ended.", code="already_ended")
        read_ms = self.lifecycle.now_ms()
        snap = self.payments.for_business(ctx.business_id).set_cancel_at_period_end(subscription_id, cancel, key=str(record.synced_ms))
        return self.staff_view(self.lifecycle.apply(ctx.business_id, snap, read_ms) or record)

    def cancel_now(self, ctx: StaffContext, subscription_id: str, refund: bool) -> MemberView:
        record = self.members.get(ctx.business_id, subscription_id)
        if record.status in ("canceled", "incomplete_expired"):
            raise ConflictError("This membership has already ended.", code="already_ended")
        if record.status == ONE_OFF_STATUS:
            if refund:
                raise RuleRefusedError("refund_unavailable", "Refund one-off purchases on Stripe directly.")
            return self.staff_view(self.lifecycle.end_one_off(record))
        read_ms = self.lifecycle.now_ms()
        snap = self.payments.for_business(ctx.business_id).cancel_now(subscription_id, refund, key=str(record.synced_ms))
        if self.records is not None:
            for made in snap.refunds:
                self.records.refunded(ctx.business_id, record.email, made,
                                      (snap.latest_invoice_id, made.payment_intent_id), "membership",
                                      subscription_id=subscription_id, membership_id=record.membership_id)
        return self.with_payments(self.staff_view(self.lifecycle.apply(ctx.business_id, snap, read_ms) or record))

    def reset_billing_cycle(self, ctx: StaffContext, subscription_id: str) -> MemberView:
        record = self.members.get(ctx.business_id, subscription_id)
        if record.status not in ("active", "trialing", "past_due"):
            raise RuleRefusedError("not_renewing", f"Only a running subscription can renew from today (it is {record.status}).")
        read_ms = self.lifecycle.now_ms()
        key = f"{record.synced_ms}:{self.lifecycle.clock().date()}"
        snap = self.payments.for_business(ctx.business_id).reset_billing_cycle(subscription_id, key=key)
        return self.staff_view(self.lifecycle.apply(ctx.business_id, snap, read_ms) or record)

    def mine(self, ctx: BookerContext, page: PageRequest) -> Page[MemberView]:
        return self.members.booker_page(ctx.business_id, ctx.account_email, page).map(
            lambda r: MemberView(r, self.lifecycle.access(r)))

    def portal(self, ctx: BookerContext, subscription_id: str) -> str:
        """A fresh billing-portal session, made when the booker asks for it (never for an additional user: C1)."""
        if ctx.is_additional_user:
            raise ForbiddenError("Additional users cannot see or change the account's payment method.",
                                 code="payment_method_not_shared")
        record = self.members.find(ctx.business_id, subscription_id)
        if record is None or record.email != ctx.email:
            raise NotFoundError(f"Membership subscription '{subscription_id}' does not exist.")
        if not record.customer_id:
            raise RuleRefusedError("no_portal", "This membership has no Stripe customer to manage.")
        return_url = f"{self.public_base_url}/v1/businesses/{ctx.business_id}/memberships"
        return self.payments.for_business(ctx.business_id).portal_url(record.customer_id, return_url)
