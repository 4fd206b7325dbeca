"""Staff manage schedule pages, entries, tickets and series; bookers read what is published."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from ..adapters.dynamodb.catalogue import CatalogueRepository
from ..adapters.dynamodb.tenancy import BusinessRepository
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
from ..domain.errors import InvalidInputError, NotFoundError
from ..domain.tenancy import Caller
from ..schemas.catalogue import EntryIn, EntryPatch, PageIn, PagePatch, SeriesIn, TicketIn
from .ports import new_id


class CatalogueService:
    def __init__(
        self,
        businesses: BusinessRepository,
        catalogue: CatalogueRepository,
        group_exists: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.businesses = businesses
        self.catalogue = catalogue
        # (business_id, group_id) -> bool: exclusive tickets must name a group of the same business.
        self.group_exists = group_exists

    # pages
    def create_page(self, caller: Caller, body: PageIn) -> SchedulePage:
        page = SchedulePage(caller.staff_business(), new_id(), body.title, body.published)
        self.catalogue.save_page(page)
        return page

    def update_page(self, caller: Caller, page_id: str, patch: PagePatch) -> SchedulePage:
        page = self.catalogue.get_page(caller.staff_business(), page_id)
        page = replace(page, **patch.model_dump(exclude_none=True))
        self.catalogue.save_page(page)
        return page

    def delete_page(self, caller: Caller, page_id: str) -> None:
        business_id = caller.staff_business()
        self.catalogue.get_page(business_id, page_id)
        if self.catalogue.entries_on_page(business_id, page_id):
            from ..domain.errors import ConflictError

            raise ConflictError("Delete or move the page's entries first.", code="page_has_entries")
        self.catalogue.delete_page(business_id, page_id)

    def list_pages(self, business_id: str, *, published_only: bool) -> list[SchedulePage]:
        pages = self.catalogue.list_pages(business_id)
        return [p for p in pages if p.published or not published_only]

    # entries
    def create_entry(self, caller: Caller, body: EntryIn) -> Entry:
        business = self.businesses.get(caller.staff_business())
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

    def create_series(self, caller: Caller, body: SeriesIn) -> tuple[str, list[Entry]]:
        business = self.businesses.get(caller.staff_business())
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

    def update_entry(self, caller: Caller, entry_id: str, patch: EntryPatch) -> Entry:
        business = self.businesses.get(caller.staff_business())
        entry = self.catalogue.get_entry(business.business_id, entry_id)
        changes = patch.model_dump(exclude_none=True)
        for key in ("starts_at", "ends_at"):
            if key in changes:
                changes[key] = to_utc(changes[key], business.tz)
        updated = replace(entry, **changes)
        check_times(updated.starts_at, updated.ends_at)
        check_capacity(updated.capacity, entry.booked)
        self.catalogue.update_entry(entry, updated)
        return updated

    def delete_entry(self, caller: Caller, entry_id: str) -> None:
        business_id = caller.staff_business()
        self.catalogue.get_entry(business_id, entry_id)
        self.catalogue.delete_entry(business_id, entry_id)

    def add_ticket(self, caller: Caller, entry_id: str, body: TicketIn) -> Entry:
        entry = self.catalogue.get_entry(caller.staff_business(), entry_id)
        updated = with_ticket(entry, self._ticket(self._known_groups(entry.business_id, [body], listed=False)[0]))
        self.catalogue.update_entry(entry, updated)
        return updated

    def update_ticket(self, caller: Caller, entry_id: str, ticket_id: str, body: TicketIn) -> Entry:
        entry = self.catalogue.get_entry(caller.staff_business(), entry_id)
        entry.ticket(ticket_id)
        updated = with_ticket(entry, self._ticket(self._known_groups(entry.business_id, [body], listed=False)[0], ticket_id))
        self.catalogue.update_entry(entry, updated)
        return updated

    def remove_ticket(self, caller: Caller, entry_id: str, ticket_id: str) -> Entry:
        entry = self.catalogue.get_entry(caller.staff_business(), entry_id)
        entry.ticket(ticket_id)
        updated = replace(entry, tickets=tuple(t for t in entry.tickets if t.ticket_id != ticket_id))
        self.catalogue.update_entry(entry, updated)
        return updated

    def get_entry(self, business_id: str, entry_id: str, *, published_only: bool) -> Entry:
        entry = self.catalogue.get_entry(business_id, entry_id)
        if published_only and not entry.published:
            raise NotFoundError(f"Entry '{entry_id}' does not exist.")
        return entry

    def entries_on_page(self, business_id: str, page_id: str, *, published_only: bool) -> list[Entry]:
        page = self.catalogue.get_page(business_id, page_id)
        if published_only and not page.published:
            raise NotFoundError(f"Schedule page '{page_id}' does not exist.")
        entries = self.catalogue.entries_on_page(business_id, page_id)
        return [e for e in entries if e.published or not published_only]

    def _known_groups(self, business_id: str, tickets: list[TicketIn], listed: bool = True) -> list[TicketIn]:
        for i, t in enumerate(tickets):
            if t.exclusive_group_id and self.group_exists and not self.group_exists(business_id, t.exclusive_group_id):
                raise InvalidInputError(
                    f"exclusive_group_id '{t.exclusive_group_id}' is not a customer group of this business.",
                    field=f"tickets.{i}.exclusive_group_id" if listed else "exclusive_group_id",
                )
        return tickets

    @staticmethod
    def _ticket(body: TicketIn, ticket_id: str | None = None) -> Ticket:
        return Ticket(
            ticket_id=ticket_id or new_id(),
            title=body.title,
            price_minor=body.price_minor,
            currency=body.currency,
            exclusive_group_id=body.exclusive_group_id,
        )


