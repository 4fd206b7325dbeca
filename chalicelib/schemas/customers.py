from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Email, Request, ResponseModel, Title


class ParticipantOut(ResponseModel):
    participant_id: str
    name: str


class CustomerOut(ResponseModel):
    email: str
    name: str
    kind: str
    participants: list[ParticipantOut]
    signed_in_at: datetime | None
    disabled: bool
    phone: str | None = None
    sms_opt_out: bool = False
    marketing_opt_out: bool = False
    erased: bool = Field(False, description="The pseudonymous remainder of a customer erased on request (C6)")


class CustomerIn(Request):
    email: Email
    name: Title | None = None


class CustomerPatch(Request):
    name: Title | None = None
    disabled: bool | None = None
    phone: str | None = Field(None, max_length=32, description='With its country code, stored as E.164; "" removes it')
    sms_opt_out: bool | None = None


class ParticipantIn(Request):
    name: Title


class CustomerSearchQuery(Request):
    q: str | None = Field(None, max_length=100, description="Part of a name or email, any case.")
    kind: Literal["primary", "app_user", "additional_user"] | None = None
