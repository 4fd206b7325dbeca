from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .common import Currency, Day, Id, Instant, MinorAmount, Request, ResponseModel, Title


class PageIn(Request):
    title: Title
    published: bool = True


class PagePatch(Request):
    title: Title | None = None
    published: bool | None = None


class PageOut(ResponseModel):
    page_id: str
    title: str
    published: bool


class TicketIn(Request):
    title: Title
    price_minor: MinorAmount = 0
    currency: Currency = "EUR"
    exclusive_group_id: Id | None = Field(None, description="Set to make the ticket exclusive to this customer group.")


class TicketOut(ResponseModel):
    ticket_id: str
    title: str
    price_minor: int
    currency: str
    exclusive: bool
    exclusive_group_id: str | None


class EntryIn(Request):
    page_id: Id
    title: Title
    starts_at: Instant = Field(description="Wall-clock time in the business's zone if no offset is given.")
    ends_at: Instant
    capacity: int = Field(ge=1, le=100_000)
    published: bool = True
    tickets: list[TicketIn] = Field(default_factory=list, max_length=50)


class EntryPatch(Request):
    """Change one entry (also one session of a series: the others stay as they are)."""

    title: Title | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)
    published: bool | None = None


class SeriesIn(Request):
    page_id: Id
    title: Title
    first_starts_at: Instant = Field(description="First session, wall-clock time in the business's zone.")
    duration_minutes: int = Field(ge=1, le=24 * 60)
    until: Day = Field(description="Last day a session may fall on (inclusive).")
    capacity: int = Field(ge=1, le=100_000)
    published: bool = True
    tickets: list[TicketIn] = Field(default_factory=list, max_length=50)


class EntryOut(ResponseModel):
    entry_id: str
    page_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    places_left: int
    published: bool
    series_id: str | None
    tickets: list[TicketOut]


class SeriesOut(ResponseModel):
    series_id: str
    entries: list[EntryOut]


class DeleteEntryQuery(Request):
    cancel: bool = Field(False, description="A course's session with enrolments: cancel it (places and credits "
                                            "back, the enrolled emailed); without it such a session is not deleted.")


class EntriesQuery(Request):
    page_id: Id
