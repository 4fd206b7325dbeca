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
    members_may_pause: bool
    pause_max_days_per_year: int
    pause_notice_days: int
    country: str | None = None


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
    members_may_pause: bool | None = Field(None, description="X1: members may pause their own membership.")
    pause_max_days_per_year: int | None = Field(
        None, ge=1, le=366, description="X1: days a member may pause in a calendar year (pauses they ask for).")
    pause_notice_days: int | None = Field(None, ge=0, le=90, description="X1: days' notice a member's pause needs.")
    country: str | None = Field(
        None, max_length=8, description="C4: ISO 3166-1 alpha-2 (e.g. 'DE'); customers' phone numbers given "
        "without '+' are read as numbers of this country. \"\" removes it.")
