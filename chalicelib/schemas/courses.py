"""Requests and responses of courses (S1–S7)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Currency, Day, Email, Id, Instant, MinorAmount, Request, ResponseModel, Text, Title, WebUrl


class CourseIn(Request):
    title: Title
    description: Text = ""
    series_id: Id = Field(description="The series whose remaining sessions a purchase enrols into.")
    ticket_id: Id = Field(description="The ticket of the series' sessions an enrolment books.")
    amount_minor: MinorAmount = Field(description="Price of one billing cycle.")
    currency: Currency = "EUR"
    interval: Literal["week", "month"]
    interval_count: int = Field(1, ge=1, le=52, description="Billed every N weeks (1-52) or months (1-12).")
    ends_on: Day = Field(description="Last day of the course: the subscription ends after it (Stripe cancel_at).")
    starts_on: Day | None = Field(None, description="First billing cycle's day (every booker's cycle anchor); "
                                                    "default: the day of the series' first session.")
    auto_enrol: bool = Field(True, description="A purchase adds the buyer to every remaining session.")


class CourseTermsOut(ResponseModel):
    series_id: str
    ticket_id: str
    starts_at: datetime
    ends_at: datetime
    auto_enrol: bool


class CourseOut(ResponseModel):
    course_id: str
    title: str
    description: str
    amount_minor: int
    currency: str
    interval: str
    interval_count: int
    stripe_product_id: str | None = None
    stripe_price_id: str | None = None
    course: CourseTermsOut


class ChargeOut(ResponseModel):
    at: datetime
    period_start: datetime
    period_end: datetime
    amount_minor: int
    prorated: bool


class CourseBillingOut(ResponseModel):
    billing_cycle_anchor: datetime | None
    proration_behavior: str
    cancel_at: datetime
    charges: list[ChargeOut]
    total_minor: int


class CourseCheckoutIn(Request):
    success_url: WebUrl | None = None
    cancel_url: WebUrl | None = None


class CourseCheckoutOut(ResponseModel):
    checkout_id: str
    session_id: str
    url: str
    expires_at: int | None
    held_booking_ids: list[str]
    billing: CourseBillingOut | None = Field(None, description="What joining now costs (absent for a checkout "
                                                                "already open, handed back again).")


class EnrolIn(Request):
    email: Email


class EnrolmentOut(ResponseModel):
    course_id: str
    email: str
    source: str
    state: str
    enrolled_at: datetime
    subscription_id: str | None = None
    left_at: datetime | None = None


class RemoveIn(Request):
    email: Email
    refund: bool = Field(False, description="Refund, through Stripe, the sessions left of the paid period.")


class RemovalOut(ResponseModel):
    email: str
    sessions_released: int
    refunded_minor: int
    currency: str


class SessionIn(Request):
    starts_at: Instant = Field(description="Wall-clock time in the business's zone unless an offset is given.")
    ends_at: Instant


class SessionOut(ResponseModel):
    entry_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


class AddedSessionOut(ResponseModel):
    entry: SessionOut
    enrolled: list[str]


class DeleteSessionQuery(Request):
    cancel: bool = Field(False, description="Cancel a session with enrolments: places and credits back, emails.")


class CancelledOut(ResponseModel):
    cancelled: int


class LeftSessionOut(ResponseModel):
    booking_id: str
    entry_id: str
    status: str
    course_id: str | None = None
