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
    subject: Title
    body: str = Field(min_length=1, max_length=20_000)
    marketing: bool = Field(False, description="Marketing messages carry an unsubscribe note")
    emails: list[Email] | None = Field(None, min_length=1, max_length=1000)
    kind: Literal["primary", "app_user", "additional_user"] | None = None


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


class MessageLogPage(ResponseModel):
    items: list[MessageLogOut]
    next: str | None
