"""Additional users, deletion and exports of customer records (C1, C3, C6)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Email, Request, ResponseModel, Title


class AdditionalUserIn(Request):
    email: Email
    name: Title | None = None


class AdditionalUserOut(ResponseModel):
    email: str
    name: str
    kind: str
    primary_email: str | None


class DeletionOut(ResponseModel):
    email: str
    state: str = Field(description="'deleted', or 'moving_history' while registrations move to the primary customer")
    moved_to: str | None


class ErasureOut(ResponseModel):
    email: str
    erased_as: str = Field(description="The pseudonymous id the kept bookings, passes and payments now carry")
    state: str = Field(description="'erasing' while the history moves in the background; the record then shows erased")


class ExportIn(Request):
    emails: list[Email] | None = Field(None, min_length=1, max_length=1000,
                                     description="Customers to export; leave out for every customer.")


class ExportJobOut(ResponseModel):
    job_id: str
    state: str = Field(description="'queued', then 'done' (or 'failed')")
    rows: int
    download_url: str | None = Field(None, description="Short-lived link to the CSV once done")
    link_expires_in: int | None = None
    error: str | None = None


class MessageIn(Request):
    channel: Literal["email", "sms"] = "email"
    subject: Title | None = Field(None, description="Needed for email; an SMS has none")
    body: str = Field(min_length=1, max_length=20_000, description="An SMS holds at most 480 characters")
    marketing: bool = Field(False, description="Marketing messages carry an unsubscribe link and skip opted-out customers")
    emails: list[Email] | None = Field(None, min_length=1, max_length=1000)
    kind: Literal["primary", "app_user", "additional_user"] | None = None
    group_id: str | None = Field(None, min_length=1, max_length=64, description="Every member of this group")
    membership_id: str | None = Field(None, min_length=1, max_length=64,
                                      description="Every member of this membership with access")


class MessageQueuedOut(ResponseModel):
    message_id: str
    state: str


class PageQuery(Request):
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=64, pattern=r"^[0-9A-Za-z-]+$")


class MessageLogOut(ResponseModel):
    message_id: str
    subject: str
    channel: str
    state: str
    at: datetime
    provider_id: str | None
    reason: str | None = Field(None, description="Why a skipped copy was not sent")


class MessageLogPage(ResponseModel):
    items: list[MessageLogOut]
    next: str | None


class ContactIn(Request):
    phone: str | None = Field(None, max_length=32, description='With its country code ("+44 20 7946 0018"); "" removes it')
    sms_opt_out: bool | None = None
    marketing_opt_out: bool | None = None


class ContactOut(ResponseModel):
    phone: str | None
    sms_opt_out: bool
    marketing_opt_out: bool


class UnsubscribedOut(ResponseModel):
    email: str
    marketing_opt_out: bool
