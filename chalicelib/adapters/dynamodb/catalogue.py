"""Schedule pages, entries (with their tickets embedded: one read gives everything a booking needs)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.catalogue import Entry, SchedulePage, Ticket
from ...domain.errors import ConflictError
from .base import is_condition_failure, load, query_page, register, table_meta

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ...domain.paging import Page, PageRequest


@register
class PageModel(Model):
    Meta = table_meta("pages")
    business_id = UnicodeAttribute(hash_key=True)
    page_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    published = BooleanAttribute(default=True)


class TicketMap(MapAttribute[str, Any]):
    ticket_id = UnicodeAttribute()
    title = UnicodeAttribute()
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    exclusive_group_id = UnicodeAttribute(null=True)


class EntriesByPage(GlobalSecondaryIndex["EntryModel"]):
    class Meta:
        index_name = "by_page"
        projection = AllProjection()

    page_id = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


class EntriesBySeries(GlobalSecondaryIndex["EntryModel"]):
    class Meta:
        index_name = "by_series"
        projection = AllProjection()

    series_id = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


@register
class EntryModel(Model):
    Meta = table_meta("entries")
    business_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    page_id = UnicodeAttribute()
    title = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    capacity = NumberAttribute()
    booked = NumberAttribute(default=0)
    published = BooleanAttribute(default=True)
    series_id = UnicodeAttribute(null=True)
    tickets = ListAttribute(of=TicketMap, default=list)
    by_page = EntriesByPage()
    by_series = EntriesBySeries()


def page_from(m: PageModel) -> SchedulePage:
    return SchedulePage(business_id=m.business_id, page_id=m.page_id, title=m.title, published=m.published)


def entry_from(m: EntryModel) -> Entry:
    return Entry(
        business_id=m.business_id,
        entry_id=m.entry_id,
        page_id=m.page_id,
        title=m.title,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        capacity=int(m.capacity),
        booked=int(m.booked or 0),
        published=m.published,
        series_id=m.series_id,
        tickets=tuple(
            Ticket(
                ticket_id=t.ticket_id,
                title=t.title,
                price_minor=int(t.price_minor),
                currency=t.currency,
                exclusive_group_id=t.exclusive_group_id,
            )
            for t in (m.tickets or [])
        ),
    )


def entry_model(e: Entry) -> EntryModel:
    return EntryModel(
        e.business_id,
        e.entry_id,
        page_id=e.page_id,
        title=e.title,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        capacity=e.capacity,
        booked=e.booked,
        published=e.published,
        series_id=e.series_id,
        tickets=[
            TicketMap(
                ticket_id=t.ticket_id,
                title=t.title,
                price_minor=t.price_minor,
                currency=t.currency,
                exclusive_group_id=t.exclusive_group_id,
            )
            for t in e.tickets
        ],
    )


class CatalogueRepository:
    def __init__(self, on_freed: Callable[[str, str], None] | None = None) -> None:
        self.on_freed = on_freed  # (business_id, entry_id) after a capacity raise committed (X2)

    def get_page(self, business_id: str, page_id: str) -> SchedulePage:
        return page_from(load(PageModel, business_id, page_id, missing=f"Schedule page '{page_id}' does not exist."))

    def list_pages(self, business_id: str) -> list[SchedulePage]:
        return [page_from(m) for m in PageModel.query(business_id)]

    def pages_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[SchedulePage]:
        wanted = PageModel.published == True if published_only else None  # noqa: E712
        return query_page(PageModel, business_id, page_from, page, filter_condition=wanted)

    def save_page(self, page: SchedulePage) -> None:
        PageModel(page.business_id, page.page_id, title=page.title, published=page.published).save()

    def delete_page(self, business_id: str, page_id: str) -> None:
        PageModel(business_id, page_id).delete()

    def get_entry(self, business_id: str, entry_id: str, consistent: bool = False) -> Entry:
        return entry_from(load(EntryModel, business_id, entry_id, missing=f"Entry '{entry_id}' does not exist.",
                               consistent_read=consistent))

    def entries_on_page(self, business_id: str, page_id: str) -> list[Entry]:
        return [
            entry_from(m)
            for m in EntryModel.by_page.query(page_id, filter_condition=EntryModel.business_id == business_id)
        ]

    def entries_page(self, business_id: str, page_id: str, page: PageRequest, published_only: bool) -> Page[Entry]:
        """One page of a schedule page's entries by start time; the business (and publication) are filters."""
        wanted = EntryModel.business_id == business_id
        if published_only:
            wanted &= EntryModel.published == True  # noqa: E712
        return query_page(EntryModel.by_page, page_id, entry_from, page, filter_condition=wanted)

    def entries_in_series(self, business_id: str, series_id: str) -> list[Entry]:
        return [
            entry_from(m)
            for m in EntryModel.by_series.query(series_id, filter_condition=EntryModel.business_id == business_id)
        ]

    def save_entry(self, entry: Entry) -> None:
        """Create, or replace everything but the booked count (which only bookings move)."""
        m = entry_model(entry)
        m.save(condition=EntryModel.booked.does_not_exist() | (EntryModel.booked <= entry.capacity))

    def save_entries(self, entries: Iterable[Entry]) -> None:
        with EntryModel.batch_write() as batch:
            for e in entries:
                batch.save(entry_model(e))

    def update_entry(self, before: Entry, after: Entry) -> None:
        """Write staff edits without touching ``booked``; the capacity check runs in the condition."""
        m = entry_model(before)
        t = entry_model(after)
        try:
            m.update(
            actions=[
                EntryModel.title.set(after.title),
                EntryModel.starts_at.set(after.starts_at),
                EntryModel.ends_at.set(after.ends_at),
                EntryModel.capacity.set(after.capacity),
                EntryModel.published.set(after.published),
                EntryModel.tickets.set(t.tickets),
                EntryModel.page_id.set(after.page_id),
            ],
            condition=EntryModel.booked.exists() & (EntryModel.booked <= after.capacity),
        )
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise ConflictError(
                    "capacity is below the places already booked (or the entry was deleted).", code="capacity_below_booked"
                )
            raise
        if after.capacity > before.capacity and self.on_freed is not None:
            self.on_freed(after.business_id, after.entry_id)

    def delete_entry(self, business_id: str, entry_id: str) -> None:
        try:
            EntryModel(business_id, entry_id).delete(condition=EntryModel.booked == 0)
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise ConflictError("An entry with bookings cannot be deleted; cancel them first.", code="entry_has_bookings")
            raise
