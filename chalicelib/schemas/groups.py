from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from .common import EmailList, Id, PastedText, Request, ResponseModel, Text, Title


class GroupIn(Request):
    name: Title
    description: Text = ""


class GroupPatch(Request):
    name: Title | None = None
    description: Text | None = None


class AttendeesIn(Request):
    personal_use_only: bool = Field(True, description="Only the member books, for themself alone.")
    max_additional: int | None = Field(None, ge=0, le=19, description="With personal_use_only=false: most additional attendees per booking.")


class UsageIn(Request):
    mode: Literal["unlimited", "one_time_total", "per_period"] = "unlimited"
    uses: int | None = Field(None, ge=1, le=100_000, description="Uses allowed (in total, or per period).")
    period: Literal["day", "week", "month", "year"] | None = Field(
        None, description="per_period only: the period, counted from the member's start date."
    )


class ScopeIn(Request):
    page_id: Id | None = Field(None, description="All exclusive tickets of this schedule page...")
    ticket_ids: list[Id] | None = Field(None, max_length=200, description="...or exactly these tickets.")


class OfferIn(Request):
    title: Title = "Exclusive tickets"
    kind: Literal["exclusive_tickets"] = "exclusive_tickets"
    enabled: bool = True
    attendees: AttendeesIn = Field(default_factory=lambda: AttendeesIn.model_validate({}))
    usage: UsageIn = Field(default_factory=lambda: UsageIn.model_validate({}))
    scope: ScopeIn


class OfferPatch(Request):
    """Changes the terms for members who join from now on; existing members keep their version (O5)."""

    title: Title | None = None
    attendees: AttendeesIn | None = None
    usage: UsageIn | None = None
    scope: ScopeIn | None = None


class AttendeesOut(ResponseModel):
    personal_use_only: bool
    max_additional: int


class UsageOut(ResponseModel):
    mode: str
    uses: int | None
    period: str | None
    anchor: str = Field(description="What periods are counted from: the member's start date (memberships: billing date).")


class ScopeOut(ResponseModel):
    page_id: str | None
    ticket_ids: list[str]


class TermsOut(ResponseModel):
    version: int
    created_at: datetime
    title: str
    attendees: AttendeesOut
    usage: UsageOut
    scope: ScopeOut


class OfferOut(ResponseModel):
    offer_id: str
    kind: str = "exclusive_tickets"
    enabled: bool
    current: TermsOut = Field(description="The terms new members get.")
    versions: list[TermsOut] = Field(description="Every version, oldest first; members keep the one they joined with.")


class GroupOut(ResponseModel):
    group_id: str
    name: str
    description: str
    membership_id: str | None
    created_at: datetime
    offers: list[OfferOut]


class MembersIn(Request):
    emails: PastedText | EmailList = Field(description="Pasted text (commas, semicolons, spaces, new lines) or a list.")


class MemberResult(ResponseModel):
    input: str
    email: str | None
    status: Literal["added", "already_member", "invalid", "duplicate"]
    message: str | None = None


class MembersAddedOut(ResponseModel):
    added: int
    already_members: int
    invalid: int
    results: list[MemberResult]


class MemberOut(ResponseModel):
    email: str
    manual: bool
    via_membership: bool
    joined_at: datetime
    anchor: date


class AllowanceOut(ResponseModel):
    group_id: str
    group_name: str
    membership_id: str | None
    offer_id: str
    offer_title: str
    enabled: bool
    terms_version: int
    personal_use_only: bool
    max_additional: int
    usage_mode: str
    period: str | None
    anchor: str
    anchor_date: date
    uses_allowed: int | None
    uses_taken: int
    uses_left: int | None = Field(description="None: unlimited.")
    period_started_at: datetime | None
    resets_at: datetime | None = Field(description="None: never (unlimited or one-time total).")
