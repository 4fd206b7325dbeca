"""Waitlist table (X2): one item per (entry, booker), ordered by ``position`` through an index.

Booking a waiter is the booking transaction (``BookingRepository.create``: places, settlement writer,
booker count) with one more write: the sign-up's deletion, conditioned on it still being there at the
position it was read at. A redelivered promotion, or two workers racing, can therefore never book
the same sign-up twice. The booked sign-up is not deleted but marked (``promoted_booking``, out of
both indexes): an outbox row the worker deletes once the booker was mailed, so a worker dying between
the booking and the mail leaves the row for the redelivered message (``awaiting_mail``).

Each entry with a list has a head item (``waitlist_heads``): how many wait, changed in the same
transaction as every join, leave and promotion. The places-freed signal reads it, so a cancellation on
an entry nobody waits for queues nothing; the hold-release schedule sweeps heads through ``by_sweep``.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import ConflictError, NotFoundError, TransactionContendedError
from ...domain.waitlists import Waiter
from .base import (
    failed_conditions,
    find,
    from_model,
    is_condition_failure,
    query_page,
    register,
    table_meta,
    to_model,
    transaction,
)

if TYPE_CHECKING:
    from datetime import datetime

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


class WaitersAwaitingMail(GlobalSecondaryIndex["WaiterModel"]):
    """Sparse: sign-ups booked by a promotion whose email is not sent yet (the outbox)."""

    class Meta:
        index_name = "by_awaiting_mail"
        projection = AllProjection()

    entry_key = UnicodeAttribute(hash_key=True)
    promoted_booking = UnicodeAttribute(range_key=True)


@register
class WaiterModel(Model):
    Meta = table_meta("waitlist")
    entry_key = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    business_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    waiter_id = UnicodeAttribute()
    booker_key = UnicodeAttribute(null=True)  # removed once promoted
    ticket_id = UnicodeAttribute()
    participants = ListAttribute(of=UnicodeAttribute, default=list)
    pay_with = UnicodeAttribute()
    position = NumberAttribute(null=True)  # removed once promoted
    joined_at = UTCDateTimeAttribute()
    promoted_booking = UnicodeAttribute(null=True)  # booked, the email not sent yet
    by_position = WaitersByPosition()
    by_booker = WaitersByBooker()
    by_awaiting_mail = WaitersAwaitingMail()


SWEEP_SHARDS = 8  # the sweep index's partitions (joins spread over them)
ATTEMPTS = 8  # a join or leave retried when a transaction on the same head cancelled it


class WaitlistHeadsBySweep(GlobalSecondaryIndex["WaitlistHeadModel"]):
    class Meta:
        index_name = "by_sweep"
        projection = AllProjection()

    sweep_shard = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


@register
class WaitlistHeadModel(Model):
    """One per entry that ever had a waiter: how many wait now."""

    Meta = table_meta("waitlist_heads")
    entry_key = UnicodeAttribute(hash_key=True)
    business_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    waiting = NumberAttribute(default=0)
    sweep_shard = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()  # the entry's start when last joined: the sweep skips past entries
    by_sweep = WaitlistHeadsBySweep()


def entry_key(business_id: str, entry_id: str) -> str:
    return f"{business_id}#{entry_id}"


def waiter_from(m: WaiterModel) -> Waiter:
    return from_model(Waiter, m, participants=tuple(str(p) for p in (m.participants or ())),
                      position=int(m.position or 0))


def still_waiting(waiter: Waiter) -> Condition:
    """The sign-up that was read is still there and waiting: same booker, same sign-up (a leave-and-rejoin
    is another), not booked by a promotion."""
    same: Condition = (WaiterModel.waiter_id == waiter.waiter_id) & WaiterModel.position.exists()
    return same


def head_of(business_id: str, entry_id: str) -> WaitlistHeadModel:
    return WaitlistHeadModel(entry_key(business_id, entry_id))


def count_change(txn: TransactWrite, business_id: str, entry_id: str, by: int) -> None:
    txn.update(head_of(business_id, entry_id), actions=[WaitlistHeadModel.waiting.add(by)])


class TakeOffList:
    """The booking transaction's extra write: this sign-up leaves the list, only if it still waits."""

    table_name = WaiterModel.Meta.table_name

    def __init__(self, waiter: Waiter, booking_id: str) -> None:
        self.waiter = waiter
        self.booking_id = booking_id

    def add(self, txn: TransactWrite) -> None:
        w = self.waiter
        txn.update(WaiterModel(entry_key(w.business_id, w.entry_id), w.email),
                   actions=[WaiterModel.promoted_booking.set(self.booking_id), WaiterModel.position.remove(),
                            WaiterModel.booker_key.remove()], condition=still_waiting(w))
        count_change(txn, w.business_id, w.entry_id, -1)

    def refusal(self) -> Exception:
        return ConflictError("This waitlist sign-up was booked, moved off or left meanwhile.", code="not_waiting")


class WaitlistRepository:
    def __init__(self, bookings: BookingRepository) -> None:
        self.bookings = bookings

    def add(self, waiter: Waiter, starts_at: datetime) -> None:
        key = entry_key(waiter.business_id, waiter.entry_id)
        item = to_model(WaiterModel, waiter, entry_key=key, booker_key=f"{waiter.business_id}#{waiter.email}",
                        participants=list(waiter.participants))
        for _ in range(ATTEMPTS):  # joins on one entry contend on its head: a cancelled transaction wrote nothing
            txn = transaction(WaiterModel)
            try:
                with txn:
                    txn.save(item, condition=WaiterModel.email.does_not_exist())
                    txn.update(WaitlistHeadModel(key), actions=[
                        WaitlistHeadModel.waiting.add(1), WaitlistHeadModel.business_id.set(waiter.business_id),
                        WaitlistHeadModel.entry_id.set(waiter.entry_id), WaitlistHeadModel.starts_at.set(starts_at),
                        WaitlistHeadModel.sweep_shard.set(str(zlib.crc32(key.encode()) % SWEEP_SHARDS))])
                return
            except TransactWriteError as exc:
                if WaiterModel.Meta.table_name in failed_conditions(txn, exc):
                    raise ConflictError("You are already on this entry's waitlist.", code="already_waiting") from exc
        raise TransactionContendedError("Many joined this waitlist at once; try again.")

    def find(self, business_id: str, entry_id: str, email: str) -> Waiter | None:
        m = find(WaiterModel, entry_key(business_id, entry_id), email, consistent_read=True)
        return waiter_from(m) if m is not None and m.position is not None else None

    def waiting(self, business_id: str, entry_id: str) -> int:
        m = find(WaitlistHeadModel, entry_key(business_id, entry_id), consistent_read=True)
        return int(m.waiting or 0) if m is not None else 0

    def awaiting_mail(self, business_id: str, entry_id: str) -> list[tuple[Waiter, str]]:
        return [(waiter_from(m), str(m.promoted_booking))
                for m in WaiterModel.by_awaiting_mail.query(entry_key(business_id, entry_id))]

    def mailed(self, waiter: Waiter) -> None:
        try:
            WaiterModel(entry_key(waiter.business_id, waiter.entry_id), waiter.email).delete(
                condition=(WaiterModel.waiter_id == waiter.waiter_id) & WaiterModel.promoted_booking.exists())
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise  # else: another worker cleared it first

    def entries_waiting(self, after: datetime) -> list[tuple[str, str]]:
        """(business_id, entry_id) of entries starting after ``after`` with someone waiting: a query per shard."""
        return [(str(m.business_id), str(m.entry_id))
                for shard in range(SWEEP_SHARDS)
                for m in WaitlistHeadModel.by_sweep.query(str(shard), WaitlistHeadModel.starts_at > after,
                                                          filter_condition=WaitlistHeadModel.waiting > 0)]

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
        for _ in range(ATTEMPTS):
            txn = transaction(WaiterModel)
            try:
                with txn:
                    txn.delete(WaiterModel(entry_key(waiter.business_id, waiter.entry_id), waiter.email),
                               condition=still_waiting(waiter))
                    count_change(txn, waiter.business_id, waiter.entry_id, -1)
                return True
            except TransactWriteError as exc:
                if WaiterModel.Meta.table_name in failed_conditions(txn, exc):
                    return False
        raise TransactionContendedError("Many changed this waitlist at once; try again.")

    def book(self, waiter: Waiter, booking: Booking, capacity: int, booker_cap: int | None) -> None:
        self.bookings.create(booking, capacity=capacity, booker_cap=booker_cap,
                             also=TakeOffList(waiter, booking.booking_id))
