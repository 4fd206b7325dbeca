from __future__ import annotations

from pydantic import Field

from .common import Request, ResponseModel, Title


class BusinessOut(ResponseModel):
    business_id: str
    name: str
    plan: str
    timezone: str
    return_use_on_cancel: bool


class BusinessSettingsIn(Request):
    name: Title | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA time zone, e.g. 'Europe/Berlin'.")
    return_use_on_cancel: bool | None = Field(
        None, description="Give an offer or pass use back when a booking paid by it is cancelled."
    )
