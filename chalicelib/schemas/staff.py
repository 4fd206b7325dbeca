"""Sign-up, staff, invitations and operator plan changes (T1-T3)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Currency, Request, ResponseModel, Title


class BusinessSignUpIn(Request):
    business_id: str = Field(min_length=3, max_length=63, description="A slug used in public paths; cannot change.")
    name: Title
    timezone: str = Field(max_length=64, description="IANA time zone, e.g. 'Europe/Berlin'.")
    currency: Currency = Field(description="ISO 4217 code, e.g. 'EUR'.")


class CreatedBusinessOut(ResponseModel):
    business_id: str
    name: str
    plan: str
    timezone: str
    currency: str


class InvitationIn(Request):
    email: str = Field(min_length=3, max_length=254, description="A bare address; the invitee signs in with it.")
    role: Literal["owner", "staff"] = "staff"


class InvitationOut(ResponseModel):
    business_id: str
    email: str
    role: str
    invited_by: str
    invited_at: datetime
    expires_at: datetime


class StaffMemberOut(ResponseModel):
    business_id: str
    subject: str
    role: str
    email: str | None = None
    added_at: datetime | None = None


class PlanChangeIn(Request):
    plan: Literal["free", "standard", "premium"]


class OperatorBusinessOut(ResponseModel):
    business_id: str
    name: str
    plan: str
    timezone: str
    currency: str
