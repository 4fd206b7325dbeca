"""Schedule pages, entries, tickets and series: staff manage them, anyone reads what is published."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .framework import PUBLIC, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.catalogue import Entry, SchedulePage
    from ..domain.context import PublicContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..schemas.catalogue import DeleteEntryQuery, EntriesQuery, EntryIn, EntryPatch, PageIn, PagePatch, SeriesIn, TicketIn

api = ApiBlueprint(__name__, tag="catalogue", schemas="chalicelib.schemas.catalogue")
MANAGE = "/v1/manage"
PUBLIC_BASE = "/v1/businesses/{business_id}"


def series_out(series_id: str, entries: list[Entry]) -> dict[str, Any]:
    return {"series_id": series_id, "entries": entries}


@api.op("POST", f"{MANAGE}/pages", summary="Create a schedule page", role=STAFF, body="PageIn", response="PageOut", status=201)
def create_page(ctx: StaffContext, body: PageIn) -> SchedulePage:
    from ..services.catalogue import NewPage

    return container().catalogue.create_page(ctx, command(NewPage, body))


@api.op("GET", f"{MANAGE}/pages", summary="List schedule pages", role=STAFF, response="PageOut", paginated=True)
def list_pages(ctx: StaffContext, page: PageRequest) -> Page[SchedulePage]:
    return container().catalogue.list_pages(ctx.business_id, page, published_only=False)


@api.op("PATCH", f"{MANAGE}/pages/{{page_id}}", summary="Rename or (un)publish a page", role=STAFF, body="PagePatch",
        response="PageOut")
def update_page(ctx: StaffContext, page_id: str, body: PagePatch) -> SchedulePage:
    from ..services.catalogue import PageChanges

    return container().catalogue.update_page(ctx, page_id, command(PageChanges, body))


@api.op("DELETE", f"{MANAGE}/pages/{{page_id}}", summary="Delete an empty page", role=STAFF, status=204)
def delete_page(ctx: StaffContext, page_id: str) -> None:
    container().catalogue.delete_page(ctx, page_id)


@api.op("POST", f"{MANAGE}/entries", summary="Create an entry with its tickets", role=STAFF, body="EntryIn",
        response="EntryOut", status=201)
def create_entry(ctx: StaffContext, body: EntryIn) -> Entry:
    from ..services.catalogue import NewEntry

    return container().catalogue.create_entry(ctx, command(NewEntry, body))


@api.op("GET", f"{MANAGE}/entries", summary="List a page's entries", role=STAFF, query="EntriesQuery", response="EntryOut",
        paginated=True)
def list_entries(ctx: StaffContext, query: EntriesQuery, page: PageRequest) -> Page[Entry]:
    return container().catalogue.entries_on_page(ctx.business_id, query.page_id, page, published_only=False)


@api.op("GET", f"{MANAGE}/entries/{{entry_id}}", summary="Get an entry", role=STAFF, response="EntryOut")
def get_entry(ctx: StaffContext, entry_id: str) -> Entry:
    return container().catalogue.get_entry(ctx.business_id, entry_id, published_only=False)


@api.op("PATCH", f"{MANAGE}/entries/{{entry_id}}", summary="Change one entry (or one session of a series)", role=STAFF,
        body="EntryPatch", response="EntryOut")
def update_entry(ctx: StaffContext, entry_id: str, body: EntryPatch) -> Entry:
    from ..services.catalogue import EntryChanges

    return container().catalogue.update_entry(ctx, entry_id, command(EntryChanges, body))


@api.op("DELETE", f"{MANAGE}/entries/{{entry_id}}",
        summary="Delete an entry without bookings (a course's session with enrolments only with cancel=true)",
        role=STAFF, query="DeleteEntryQuery", status=204)
def delete_entry(ctx: StaffContext, entry_id: str, query: DeleteEntryQuery) -> None:
    container().catalogue.delete_entry(ctx, entry_id, query.cancel)


@api.op("POST", f"{MANAGE}/entries/{{entry_id}}/tickets", summary="Add a ticket", role=STAFF, body="TicketIn",
        response="EntryOut", status=201)
def add_ticket(ctx: StaffContext, entry_id: str, body: TicketIn) -> Entry:
    from ..services.catalogue import NewTicket

    return container().catalogue.add_ticket(ctx, entry_id, command(NewTicket, body))


@api.op("PUT", f"{MANAGE}/entries/{{entry_id}}/tickets/{{ticket_id}}", summary="Replace a ticket", role=STAFF,
        body="TicketIn", response="EntryOut")
def update_ticket(ctx: StaffContext, entry_id: str, ticket_id: str, body: TicketIn) -> Entry:
    from ..services.catalogue import NewTicket

    return container().catalogue.update_ticket(ctx, entry_id, ticket_id, command(NewTicket, body))


@api.op("DELETE", f"{MANAGE}/entries/{{entry_id}}/tickets/{{ticket_id}}", summary="Remove a ticket", role=STAFF,
        response="EntryOut")
def remove_ticket(ctx: StaffContext, entry_id: str, ticket_id: str) -> Entry:
    return container().catalogue.remove_ticket(ctx, entry_id, ticket_id)


@api.op("POST", f"{MANAGE}/series", summary="Create a weekly series of entries", role=STAFF, body="SeriesIn",
        response="SeriesOut", status=201)
def create_series(ctx: StaffContext, body: SeriesIn) -> dict[str, Any]:
    from ..services.catalogue import NewSeries

    return series_out(*container().catalogue.create_series(ctx, command(NewSeries, body)))


@api.op("GET", f"{MANAGE}/series/{{series_id}}", summary="List a series' sessions", role=STAFF, response="SeriesOut")
def get_series(ctx: StaffContext, series_id: str) -> dict[str, Any]:
    return series_out(series_id, container().catalogue.series(ctx.business_id, series_id, published_only=False))


@api.op("GET", f"{PUBLIC_BASE}/pages", summary="Published schedule pages of a business", role=PUBLIC, response="PageOut",
        paginated=True)
def public_pages(ctx: PublicContext, page: PageRequest) -> Page[SchedulePage]:
    return container().catalogue.list_pages(ctx.business_id, page, published_only=True)


@api.op("GET", f"{PUBLIC_BASE}/pages/{{page_id}}/entries", summary="Published entries of a page", role=PUBLIC,
        response="EntryOut", paginated=True)
def public_entries(ctx: PublicContext, page_id: str, page: PageRequest) -> Page[Entry]:
    return container().catalogue.entries_on_page(ctx.business_id, page_id, page, published_only=True)


@api.op("GET", f"{PUBLIC_BASE}/entries/{{entry_id}}", summary="A published entry", role=PUBLIC, response="EntryOut")
def public_entry(ctx: PublicContext, entry_id: str) -> Entry:
    return container().catalogue.get_entry(ctx.business_id, entry_id, published_only=True)
