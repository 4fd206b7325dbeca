"""Waitlist requests and responses (X2)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Email, Id, Request, ResponseModel, Title


class WaitlistJoinIn(Request):
    entry_id: Id
    ticket_id: Id
    participants: list[Title] = Field(
        default_factory=list, max_length=19, description="Names of additional attendees besides the booker."
    )
    pay_with: Literal["auto", "offer", "pass", "card"] = Field(
        "auto", description="How the place is paid when it comes: 'offer' (a member ticket's offer use), 'pass', "
        "'card' (the place is held and a checkout link mailed), or 'auto' (B2's choice at that moment).",
    )


class WaiterMoveIn(Request):
    email: Email
    place: int = Field(ge=1, le=100_000, description="1 = next in line; past the end = last.")


class WaiterRemoveIn(Request):
    email: Email


class WaiterOut(ResponseModel):
    entry_id: str
    email: str
    ticket_id: str
    participants: list[str]
    seats: int
    pay_with: str
    position: int = Field(description="Sort key of the list (staff reorder by place, not by this number).")
    joined_at: datetime
    place: int | None = Field(None, description="1 = next in line (shown to the booker).")
