from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Request, ResponseModel, Title


class BusinessOut(ResponseModel):
    business_id: str
    name: str
    plan: str
    timezone: str
    return_use_on_cancel: bool
    refund_policy: str
    refund_hours_before: int
    max_places_per_booker: int


class BusinessSettingsIn(Request):
    name: Title | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA time zone, e.g. 'Europe/Berlin'.")
    return_use_on_cancel: bool | None = Field(
        None, description="Give an offer or pass use back when a booking paid by it is cancelled."
    )
    refund_policy: Literal["full", "none", "full_until"] | None = Field(
        None, description="A cancelled card booking is refunded in full, not at all, or in full until "
        "refund_hours_before hours before the start."
    )
    refund_hours_before: int | None = Field(None, ge=0, le=24 * 60)
    max_places_per_booker: int | None = Field(
        None, ge=1, le=1000, description="Places one booker may hold and book on one entry (all bookings together)."
    )
