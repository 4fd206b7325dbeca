"""Waitlist table (X2): one item per (entry, booker), ordered by ``position`` through an index.

Booking a waiter is the booking transaction (``BookingRepository.create``: places, settlement writer,
booker count) with one more write: the sign-up's deletion, conditioned on it still being there at the
position it was read at. A redelivered promotion, or two workers racing, can therefore never book
the same sign-up twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import ConflictError, NotFoundError
from ...domain.waitlists import Waiter
from .base import find, from_model, is_condition_failure, query_page, register, table_meta, to_model

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.transactions import TransactWrite

    from ...domain.bookings import Booking
    from ...domain.paging import Page, PageRequest
    from .bookings import BookingRepository


class WaitersByPosition(GlobalSecondaryIndex["WaiterModel"]):
    class Meta:
        index_name = "by_position"
        projection = AllProjection()

    entry_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<entry_id>"
    position = NumberAttribute(range_key=True)


class WaitersByBooker(GlobalSecondaryIndex["WaiterModel"]):
    class Meta:
        index_name = "by_booker"
        projection = AllProjection()

    booker_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    joined_at = UTCDateTimeAttribute(range_key=True)


@register
class WaiterModel(Model):
    Meta = table_meta("waitlist")
    entry_key = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    business_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    waiter_id = UnicodeAttribute()
    booker_key = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    participants = ListAttribute(of=UnicodeAttribute, default=list)
    pay_with = UnicodeAttribute()
    position = NumberAttribute()
    joined_at = UTCDateTimeAttribute()
    by_position = WaitersByPosition()
    by_booker = WaitersByBooker()


def entry_key(business_id: str, entry_id: str) -> str:
    return f"{business_id}#{entry_id}"


def waiter_from(m: WaiterModel) -> Waiter:
    return from_model(Waiter, m, participants=tuple(str(p) for p in (m.participants or ())), position=int(m.position))


def still_waiting(waiter: Waiter) -> Condition:
    """The sign-up that was read is still there: same booker, same sign-up (a leave-and-rejoin is another)."""
    return WaiterModel.waiter_id == waiter.waiter_id


class TakeOffList:
    """The booking transaction's extra write: this sign-up leaves the list, only if it still waits."""

    table_name = WaiterModel.Meta.table_name

    def __init__(self, waiter: Waiter) -> None:
        self.waiter = waiter

    def add(self, txn: TransactWrite) -> None:
        w = self.waiter
        txn.delete(WaiterModel(entry_key(w.business_id, w.entry_id), w.email), condition=still_waiting(w))

    def refusal(self) -> Exception:
        return ConflictError("This waitlist sign-up was booked, moved off or left meanwhile.", code="not_waiting")


class WaitlistRepository:
    def __init__(self, bookings: BookingRepository) -> None:
        self.bookings = bookings

    def add(self, waiter: Waiter) -> None:
        item = to_model(WaiterModel, waiter, entry_key=entry_key(waiter.business_id, waiter.entry_id),
                        booker_key=f"{waiter.business_id}#{waiter.email}", participants=list(waiter.participants))
        try:
            item.save(condition=WaiterModel.email.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise ConflictError("You are already on this entry's waitlist.", code="already_waiting") from exc
            raise

    def find(self, business_id: str, entry_id: str, email: str) -> Waiter | None:
        m = find(WaiterModel, entry_key(business_id, entry_id), email, consistent_read=True)
        return waiter_from(m) if m is not None else None

    def first(self, business_id: str, entry_id: str, limit: int) -> list[Waiter]:
        return [waiter_from(m) for m in WaiterModel.by_position.query(entry_key(business_id, entry_id), limit=limit,
                                                                      page_size=limit)]

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Waiter]:
        return query_page(WaiterModel.by_position, entry_key(business_id, entry_id), waiter_from, page)

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Waiter]:
        return query_page(WaiterModel.by_booker, f"{business_id}#{email}", waiter_from, page, scan_index_forward=False)

    def ahead_of(self, waiter: Waiter) -> int:
        key = entry_key(waiter.business_id, waiter.entry_id)
        return int(WaiterModel.by_position.count(key, WaiterModel.position < waiter.position))

    def move(self, waiter: Waiter, position: int) -> None:
        try:
            WaiterModel(entry_key(waiter.business_id, waiter.entry_id), waiter.email).update(
                actions=[WaiterModel.position.set(position)], condition=still_waiting(waiter))
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"'{waiter.email}' is no longer on this waitlist.") from exc
            raise

    def remove(self, waiter: Waiter) -> bool:
        try:
            WaiterModel(entry_key(waiter.business_id, waiter.entry_id), waiter.email).delete(
                condition=still_waiting(waiter))
        except DeleteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def book(self, waiter: Waiter, booking: Booking, capacity: int, booker_cap: int | None) -> None:
        self.bookings.create(booking, capacity=capacity, booker_cap=booker_cap, also=TakeOffList(waiter))
