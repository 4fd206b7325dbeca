"""Requests and responses of memberships (M1–M3, M7), and the Stripe event envelope the consumer reads."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from .common import Currency, Id, MinorAmount, Payload, Request, ResponseModel, Text, Title, WebUrl


class PriceOptionIn(Request):
    title: Title
    amount_minor: MinorAmount
    currency: Currency = "EUR"
    interval: Literal["week", "month", "year"] | None = Field(
        ..., description="Billing period; null for a one-off payment."
    )
    interval_count: int = Field(1, ge=1, le=52, description="Bill every N intervals (at most one year in total).")


class PriceOptionPatch(Request):
    title: Title = Field(description="Only the title of a price can change; amounts are fixed in Stripe.")


class MembershipIn(Request):
    title: Title
    description: Text = ""
    published: bool = False
    page_ids: list[Id] = Field(default_factory=list, max_length=50, description="Schedule pages it is sold on.")
    price_options: list[PriceOptionIn] = Field(default_factory=list, max_length=10)


class MembershipPatch(Request):
    title: Title | None = None
    description: Text | None = None
    published: bool | None = None
    page_ids: list[Id] | None = Field(None, max_length=50)


class PriceOptionOut(ResponseModel):
    option_id: str
    title: str
    amount_minor: int
    currency: str
    interval: str | None
    interval_count: int
    active: bool
    stripe_price_id: str | None
    stripe_dashboard_url: str | None = Field(None, description="'Open on Stripe' (staff only).")


class MembershipOut(ResponseModel):
    membership_id: str
    title: str
    description: str
    published: bool
    page_ids: list[str]
    group_id: str
    stripe_product_id: str | None = None
    stripe_dashboard_url: str | None = Field(None, description="'Open on Stripe' (staff only).")
    price_options: list[PriceOptionOut]


class BasketTicketIn(Request):
    entry_id: Id
    ticket_id: Id
    participants: list[Title] = Field(default_factory=list, max_length=19)


class MembershipCheckoutIn(Request):
    membership_id: Id
    option_id: Id
    tickets: list[BasketTicketIn] = Field(
        default_factory=list, max_length=10, description="Member tickets booked with the membership (the basket)."
    )
    success_url: WebUrl | None = None
    cancel_url: WebUrl | None = None


class CheckoutOut(ResponseModel):
    checkout_id: str
    session_id: str
    url: str
    expires_at: int | None
    held_booking_ids: list[str]


class CancelNowIn(Request):
    refund: bool = Field(False, description="Refund the latest payment through Stripe.")


class HistoryOut(ResponseModel):
    at: datetime
    what: str


class PauseOut(ResponseModel):
    pause_id: str
    starts_on: date
    resumes_on: date | None = Field(None, description="First day back; null: until staff resume it.")
    by_member: bool


class SubscriberOut(ResponseModel):
    """A member as one subscription (or one-off purchase) of a membership."""

    subscription_id: str
    membership_id: str
    email: str
    status: str
    has_access: bool
    cancel_at_period_end: bool
    renews_on: datetime | None = Field(None, description="End of the paid period: renewal, or end of access if cancelled.")
    started_at: datetime | None
    usage_anchor: datetime | None = Field(None, description="Billing date that offer usage periods count from.")
    history: list[HistoryOut]
    stripe_dashboard_url: str | None = None
    pauses: list[PauseOut] = Field(default_factory=list, description="X1: planned, running and past pauses.")


class PortalOut(ResponseModel):
    url: str


class WebhookAck(ResponseModel):
    received: bool
    event_id: str


class StripeEventData(Payload):
    model_config = ConfigDict(extra="allow")
    object: dict[str, Any]


class StripeEvent(Payload):
    """The part of a Stripe event the consumer relies on; the rest is kept but not read."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=255)
    created: int
    data: StripeEventData


class PriceChangedBatch(Payload):
    """One page of the price-change fan-out; ``cursor`` is the next page's start (None: first page)."""

    event_id: str
    price_id: str
    cursor: dict[str, Any] | None = None


class MemberPeriodEnd(Payload):
    business_id: str
    subscription_id: str
