"""Schedule pages, entries, tickets and series: staff manage them, anyone reads what is published."""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.catalogue import (
    EntriesQuery,
    EntryIn,
    EntryOut,
    EntryPatch,
    PageIn,
    PageOut,
    PagePatch,
    SeriesIn,
    SeriesOut,
    TicketIn,
)
from .framework import PUBLIC, STAFF, ApiBlueprint, container
from .presenters import entry_out, page_out

api = ApiBlueprint(__name__, tag="catalogue")
MANAGE = "/v1/manage"
PUBLIC_BASE = "/v1/businesses/{business_id}"


@api.op("POST", f"{MANAGE}/pages", summary="Create a schedule page", role=STAFF, body=PageIn, response=PageOut, status=201)
def create_page(caller: Caller, body: PageIn) -> PageOut:
    return page_out(container().catalogue.create_page(caller, body))


@api.op("GET", f"{MANAGE}/pages", summary="List schedule pages", role=STAFF, response=list[PageOut])
def list_pages(caller: Caller) -> list[PageOut]:
    return [page_out(p) for p in container().catalogue.list_pages(caller.staff_business(), published_only=False)]


@api.op("PATCH", f"{MANAGE}/pages/{{page_id}}", summary="Rename or (un)publish a page", role=STAFF, body=PagePatch, response=PageOut)
def update_page(caller: Caller, page_id: str, body: PagePatch) -> PageOut:
    return page_out(container().catalogue.update_page(caller, page_id, body))


@api.op("DELETE", f"{MANAGE}/pages/{{page_id}}", summary="Delete an empty page", role=STAFF, status=204)
def delete_page(caller: Caller, page_id: str) -> None:
    container().catalogue.delete_page(caller, page_id)


@api.op("POST", f"{MANAGE}/entries", summary="Create an entry with its tickets", role=STAFF, body=EntryIn, response=EntryOut, status=201)
def create_entry(caller: Caller, body: EntryIn) -> EntryOut:
    return entry_out(container().catalogue.create_entry(caller, body))


@api.op("GET", f"{MANAGE}/entries", summary="List a page's entries", role=STAFF, query=EntriesQuery, response=list[EntryOut])
def list_entries(caller: Caller, query: EntriesQuery) -> list[EntryOut]:
    entries = container().catalogue.entries_on_page(caller.staff_business(), query.page_id, published_only=False)
    return [entry_out(e) for e in entries]


@api.op("GET", f"{MANAGE}/entries/{{entry_id}}", summary="Get an entry", role=STAFF, response=EntryOut)
def get_entry(caller: Caller, entry_id: str) -> EntryOut:
    return entry_out(container().catalogue.get_entry(caller.staff_business(), entry_id, published_only=False))


@api.op("PATCH", f"{MANAGE}/entries/{{entry_id}}", summary="Change one entry (or one session of a series)", role=STAFF, body=EntryPatch, response=EntryOut)
def update_entry(caller: Caller, entry_id: str, body: EntryPatch) -> EntryOut:
    return entry_out(container().catalogue.update_entry(caller, entry_id, body))


@api.op("DELETE", f"{MANAGE}/entries/{{entry_id}}", summary="Delete an entry without bookings", role=STAFF, status=204)
def delete_entry(caller: Caller, entry_id: str) -> None:
    container().catalogue.delete_entry(caller, entry_id)


@api.op("POST", f"{MANAGE}/entries/{{entry_id}}/tickets", summary="Add a ticket", role=STAFF, body=TicketIn, response=EntryOut, status=201)
def add_ticket(caller: Caller, entry_id: str, body: TicketIn) -> EntryOut:
    return entry_out(container().catalogue.add_ticket(caller, entry_id, body))


@api.op("PUT", f"{MANAGE}/entries/{{entry_id}}/tickets/{{ticket_id}}", summary="Replace a ticket", role=STAFF, body=TicketIn, response=EntryOut)
def update_ticket(caller: Caller, entry_id: str, ticket_id: str, body: TicketIn) -> EntryOut:
    return entry_out(container().catalogue.update_ticket(caller, entry_id, ticket_id, body))


@api.op("DELETE", f"{MANAGE}/entries/{{entry_id}}/tickets/{{ticket_id}}", summary="Remove a ticket", role=STAFF, response=EntryOut)
def remove_ticket(caller: Caller, entry_id: str, ticket_id: str) -> EntryOut:
    return entry_out(container().catalogue.remove_ticket(caller, entry_id, ticket_id))


@api.op("POST", f"{MANAGE}/series", summary="Create a weekly series of entries", role=STAFF, body=SeriesIn, response=SeriesOut, status=201)
def create_series(caller: Caller, body: SeriesIn) -> SeriesOut:
    series_id, entries = container().catalogue.create_series(caller, body)
    return SeriesOut(series_id=series_id, entries=[entry_out(e) for e in entries])


@api.op("GET", f"{MANAGE}/series/{{series_id}}", summary="List a series' sessions", role=STAFF, response=SeriesOut)
def get_series(caller: Caller, series_id: str) -> SeriesOut:
    entries = container().catalogue.series(caller.staff_business(), series_id, published_only=False)
    return SeriesOut(series_id=series_id, entries=[entry_out(e) for e in entries])


@api.op("GET", f"{PUBLIC_BASE}/pages", summary="Published schedule pages of a business", role=PUBLIC, response=list[PageOut])
def public_pages(caller: Caller | None, business_id: str) -> list[PageOut]:
    container().businesses.get(business_id)
    return [page_out(p) for p in container().catalogue.list_pages(business_id, published_only=True)]


@api.op("GET", f"{PUBLIC_BASE}/pages/{{page_id}}/entries", summary="Published entries of a page", role=PUBLIC, response=list[EntryOut])
def public_entries(caller: Caller | None, business_id: str, page_id: str) -> list[EntryOut]:
    entries = container().catalogue.entries_on_page(business_id, page_id, published_only=True)
    return [entry_out(e) for e in entries]


@api.op("GET", f"{PUBLIC_BASE}/entries/{{entry_id}}", summary="A published entry", role=PUBLIC, response=EntryOut)
def public_entry(caller: Caller | None, business_id: str, entry_id: str) -> EntryOut:
    return entry_out(container().catalogue.get_entry(business_id, entry_id, published_only=True))
