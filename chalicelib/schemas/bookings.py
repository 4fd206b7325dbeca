from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from .common import Id, Request, ResponseModel, Title


class BookingIn(Request):
    entry_id: Id
    ticket_id: Id
    participants: list[Title] = Field(
        default_factory=list, max_length=19, description="Names of additional attendees besides the booker."
    )
    pay_with: Literal["auto", "pass", "card"] = Field(
        "auto", description="'auto': a member offer for exclusive tickets, else the oldest eligible pass, "
        "else free, else card (a Stripe checkout: the response has checkout_url).",
    )


class BookingRefundOut(ResponseModel):
    amount_minor: int
    currency: str
    state: str


class BookingOut(ResponseModel):
    booking_id: str
    entry_id: str
    ticket_id: str
    booker_email: str
    participants: list[str]
    seats: int
    status: str
    paid_with: str
    payment: dict[str, Any]
    created_at: datetime
    entry_starts_at: datetime
    cancelled_at: datetime | None
    use_returned: bool | None
    refund: BookingRefundOut | None = Field(None, description="What a cancellation of a card booking gave back.")
    checkout_url: str | None = Field(None, description="A held card booking: pay here before expires_at.")
    expires_at: datetime | None = Field(None, description="A held card booking: the place is given back after this.")
    course_id: str | None = Field(None, description="S5: the course this session place belongs to (None: not a course's).")
