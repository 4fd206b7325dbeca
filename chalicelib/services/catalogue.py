"""Staff manage schedule pages, entries, tickets and series; bookers read what is published."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ..domain.catalogue import (
    Entry,
    SchedulePage,
    Ticket,
    check_capacity,
    check_times,
    to_utc,
    weekly_occurrences,
    with_ticket,
)
from ..domain.errors import ConflictError, InvalidInputError, NotFoundError
from ..ports.clock import new_id

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..domain.context import StaffContext
    from ..domain.paging import Page, PageRequest
    from ..ports.catalogue import CatalogueStore


@dataclass(frozen=True)
class NewPage:
    title: str
    published: bool = True


@dataclass(frozen=True)
class PageChanges:
    title: str | None = None
    published: bool | None = None


@dataclass(frozen=True)
class NewTicket:
    title: str
    price_minor: int = 0
    currency: str = "EUR"
    exclusive_group_id: str | None = None


@dataclass(frozen=True)
class NewEntry:
    page_id: str
    title: str
    starts_at: datetime  # wall-clock in the business's zone when naive
    ends_at: datetime
    capacity: int
    published: bool = True
    tickets: tuple[NewTicket, ...] = ()


@dataclass(frozen=True)
class EntryChanges:
    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None
    published: bool | None = None


@dataclass(frozen=True)
class NewSeries:
    page_id: str
    title: str
    first_starts_at: datetime
    duration_minutes: int
    until: date
    capacity: int
    published: bool = True
    tickets: tuple[NewTicket, ...] = ()


def changes_of(command: object) -> dict[str, object]:
    """The fields a patch command sets (None means "leave as it is")."""
    return {k: v for k, v in vars(command).items() if v is not None}


class CourseSessions(Protocol):
    """What a course does when one of its sessions changes (S7; ``CourseEnrolment``)."""

    def session_changed(self, ctx: StaffContext, before: Entry, after: Entry) -> None: ...

    def delete_if_session(self, ctx: StaffContext, entry: Entry, cancel: bool) -> bool:
        """Delete a course's session by the course's rule; False when the entry belongs to no course."""
        ...


class CatalogueService:
    def __init__(
        self,
        catalogue: CatalogueStore,
        group_exists: Callable[[str, str], bool] | None = None,
        sessions: Callable[[], CourseSessions] | None = None,
    ) -> None:
        self.catalogue = catalogue
        # (business_id, group_id) -> bool: exclusive tickets must name a group of the same business.
        self.group_exists = group_exists
        self.sessions = sessions  # a series' entries may be a course's sessions (S7)

    # pages
    def create_page(self, ctx: StaffContext, body: NewPage) -> SchedulePage:
        page = SchedulePage(ctx.business_id, new_id(), body.title, body.published)
        self.catalogue.save_page(page)
        return page

    def update_page(self, ctx: StaffContext, page_id: str, patch: PageChanges) -> SchedulePage:
        page = self.catalogue.get_page(ctx.business_id, page_id)
        page = replace(page, **changes_of(patch))  # type: ignore[arg-type]
        self.catalogue.save_page(page)
        return page

    def delete_page(self, ctx: StaffContext, page_id: str) -> None:
        business_id = ctx.business_id
        self.catalogue.get_page(business_id, page_id)
        if self.catalogue.entries_on_page(business_id, page_id):
            raise ConflictError("Delete or move the page's entries first.", code="page_has_entries")
        self.catalogue.delete_page(business_id, page_id)

    def list_pages(self, business_id: str, page: PageRequest, *, published_only: bool) -> Page[SchedulePage]:
        return self.catalogue.pages_page(business_id, page, published_only)

    # entries
    def create_entry(self, ctx: StaffContext, body: NewEntry) -> Entry:
        business = ctx.business
        self.catalogue.get_page(business.business_id, body.page_id)
        starts, ends = to_utc(body.starts_at, business.tz), to_utc(body.ends_at, business.tz)
        check_times(starts, ends)
        entry = Entry(
            business_id=business.business_id,
            entry_id=new_id(),
            page_id=body.page_id,
            title=body.title,
            starts_at=starts,
            ends_at=ends,
            capacity=body.capacity,
            published=body.published,
            tickets=tuple(self._ticket(t) for t in self._known_groups(business.business_id, body.tickets)),
        )
        self.catalogue.save_entry(entry)
        return entry

    def create_series(self, ctx: StaffContext, body: NewSeries) -> tuple[str, list[Entry]]:
        business = ctx.business
        self.catalogue.get_page(business.business_id, body.page_id)
        series_id = new_id()
        tickets = tuple(self._ticket(t) for t in self._known_groups(business.business_id, body.tickets))
        starts = weekly_occurrences(body.first_starts_at, body.until, business.tz)
        entries = [
            Entry(
                business_id=business.business_id,
                entry_id=new_id(),
                page_id=body.page_id,
                title=body.title,
                starts_at=s,
                ends_at=s + timedelta(minutes=body.duration_minutes),
                capacity=body.capacity,
                published=body.published,
                series_id=series_id,
                tickets=tickets,
            )
            for s in starts
        ]
        self.catalogue.save_entries(entries)
        return series_id, entries

    def series(self, business_id: str, series_id: str, *, published_only: bool) -> list[Entry]:
        entries = self.catalogue.entries_in_series(business_id, series_id)
        entries = [e for e in entries if e.published or not published_only]
        if not entries:
            raise NotFoundError(f"Series '{series_id}' does not exist.")
        return entries

    def update_entry(self, ctx: StaffContext, entry_id: str, patch: EntryChanges) -> Entry:
        business = ctx.business
        entry = self.catalogue.get_entry(business.business_id, entry_id)
        changes = changes_of(patch)
        for key in ("starts_at", "ends_at"):
            value = changes.get(key)
            if isinstance(value, datetime):
                changes[key] = to_utc(value, business.tz)
        updated = replace(entry, **changes)  # type: ignore[arg-type]
        check_times(updated.starts_at, updated.ends_at)
        check_capacity(updated.capacity, entry.booked)
        self.catalogue.update_entry(entry, updated)
        if self.sessions is not None and entry.series_id is not None:
            self.sessions().session_changed(ctx, entry, updated)  # S7: the enrolled are told
        return updated

    def delete_entry(self, ctx: StaffContext, entry_id: str, cancel: bool = False) -> None:
        """An entry without bookings goes; a course's session follows the course's rule (S7: one with
        enrolments only when ``cancel``: places and credits back, the enrolled emailed)."""
        business_id = ctx.business_id
        entry = self.catalogue.get_entry(business_id, entry_id)
        if self.sessions is not None and entry.series_id is not None and self.sessions().delete_if_session(ctx, entry, cancel):
            return
        self.catalogue.delete_entry(business_id, entry_id)

    def add_ticket(self, ctx: StaffContext, entry_id: str, body: NewTicket) -> Entry:
        entry = self.catalogue.get_entry(ctx.business_id, entry_id)
        updated = with_ticket(entry, self._ticket(self._known_groups(entry.business_id, [body], listed=False)[0]))
        self.catalogue.update_entry(entry, updated)
        return updated

    def update_ticket(self, ctx: StaffContext, entry_id: str, ticket_id: str, body: NewTicket) -> Entry:
        entry = self.catalogue.get_entry(ctx.business_id, entry_id)
        entry.ticket(ticket_id)
        updated = with_ticket(entry, self._ticket(self._known_groups(entry.business_id, [body], listed=False)[0], ticket_id))
        self.catalogue.update_entry(entry, updated)
        return updated

    def remove_ticket(self, ctx: StaffContext, entry_id: str, ticket_id: str) -> Entry:
        entry = self.catalogue.get_entry(ctx.business_id, entry_id)
        entry.ticket(ticket_id)
        updated = replace(entry, tickets=tuple(t for t in entry.tickets if t.ticket_id != ticket_id))
        self.catalogue.update_entry(entry, updated)
        return updated

    def get_entry(self, business_id: str, entry_id: str, *, published_only: bool) -> Entry:
        entry = self.catalogue.get_entry(business_id, entry_id)
        if published_only and not (entry.published and self.catalogue.get_page(business_id, entry.page_id).published):
            raise NotFoundError(f"Entry '{entry_id}' does not exist.")
        return entry

    def entries_on_page(self, business_id: str, page_id: str, page: PageRequest, *,
                        published_only: bool) -> Page[Entry]:
        schedule = self.catalogue.get_page(business_id, page_id)
        if published_only and not schedule.published:
            raise NotFoundError(f"Schedule page '{page_id}' does not exist.")
        return self.catalogue.entries_page(business_id, page_id, page, published_only)

    def _known_groups(self, business_id: str, tickets: Sequence[NewTicket], listed: bool = True) -> Sequence[NewTicket]:
        for i, t in enumerate(tickets):
            if t.exclusive_group_id and self.group_exists and not self.group_exists(business_id, t.exclusive_group_id):
                raise InvalidInputError(
                    f"exclusive_group_id '{t.exclusive_group_id}' is not a customer group of this business.",
                    field=f"tickets.{i}.exclusive_group_id" if listed else "exclusive_group_id",
                )
        return tickets

    @staticmethod
    def _ticket(body: NewTicket, ticket_id: str | None = None) -> Ticket:
        return Ticket(
            ticket_id=ticket_id or new_id(),
            title=body.title,
            price_minor=body.price_minor,
            currency=body.currency,
            exclusive_group_id=body.exclusive_group_id,
        )


