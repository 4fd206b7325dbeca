"""Bookings table, and the one transaction that takes a place together with what pays for it.

Each settlement kind (offer use, pass use, ...) plugs in a ``SettlementWriter`` that adds its own
conditional writes to that transaction, so spending a use and taking a place succeed or fail as one.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ...domain.bookings import Booking, BookingStatus, Refund, Settlement, SettlementKind
from ...domain.errors import ConflictError, EntryFullError, RuleRefusedError, TransactionContendedError
from .base import failed_conditions, load, query_page, register, table_meta, transaction
from .booker_counters import BookerCounterModel, add_within, places_scope, take_back
from .catalogue import EntryModel

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from pynamodb.transactions import TransactWrite

    from ...domain.paging import Page, PageRequest


class BookingsByBooker(GlobalSecondaryIndex["BookingModel"]):
    class Meta:
        index_name = "by_booker"
        projection = AllProjection()

    booker_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    created_at = UTCDateTimeAttribute(range_key=True)


class BookingsByEntry(GlobalSecondaryIndex["BookingModel"]):
    class Meta:
        index_name = "by_entry"
        projection = AllProjection()

    entry_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class BookingsByHoldExpiry(GlobalSecondaryIndex["BookingModel"]):
    """Sparse: only places still ``held`` for a checkout (the hold-release safety net reads it)."""

    class Meta:
        index_name = "by_hold_expiry"
        projection = KeysOnlyProjection()

    hold_day = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD" of hold_expires_at (UTC)
    hold_expires_at = UTCDateTimeAttribute(range_key=True)


@register
class BookingModel(Model):
    Meta = table_meta("bookings")
    business_id = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    booker_email = UnicodeAttribute()
    booker_key = UnicodeAttribute()
    participants = ListAttribute(of=UnicodeAttribute, default=list)
    seats = NumberAttribute()
    status = UnicodeAttribute()
    settlement_kind = UnicodeAttribute()
    settlement_ref: MapAttribute[str, Any] = MapAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    entry_starts_at = UTCDateTimeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)
    use_returned = BooleanAttribute(null=True)
    hold_day = UnicodeAttribute(null=True)
    hold_expires_at = UTCDateTimeAttribute(null=True)
    refund_amount = NumberAttribute(null=True)
    refund_currency = UnicodeAttribute(null=True)
    refund_state = UnicodeAttribute(null=True)
    course_id = UnicodeAttribute(null=True)  # S5: a course's place
    by_booker = BookingsByBooker()
    by_entry = BookingsByEntry()
    by_hold_expiry = BookingsByHoldExpiry()

    @classmethod
    def leave_hold_index(cls) -> list[Any]:
        """Actions that take a booking out of the sparse hold index (confirmed or cancelled)."""
        return [cls.hold_day.remove(), cls.hold_expires_at.remove()]


def booking_from(m: BookingModel) -> Booking:
    ref = m.settlement_ref.as_dict() if isinstance(m.settlement_ref, MapAttribute) else dict(m.settlement_ref or {})
    settlement = Settlement.from_fields(SettlementKind(m.settlement_kind), ref, BookingStatus.CONFIRMED)
    status = BookingStatus(m.status)
    return Booking(
        business_id=m.business_id,
        booking_id=m.booking_id,
        entry_id=m.entry_id,
        ticket_id=m.ticket_id,
        booker_email=m.booker_email,
        participants=tuple(str(p) for p in (m.participants or ())),
        settlement=settlement,
        status=status,
        created_at=m.created_at,
        entry_starts_at=m.entry_starts_at,
        cancelled_at=m.cancelled_at,
        use_returned=m.use_returned,
        hold_expires_at=m.hold_expires_at,
        refund=Refund(int(m.refund_amount), m.refund_currency or "", m.refund_state or "")
        if m.refund_amount is not None else None,
        course_id=m.course_id,
    )


class SettlementWriter(Protocol):
    """Adds a settlement kind's conditional writes to the booking transaction."""

    def take(self, txn: TransactWrite, booking: Booking) -> None: ...

    def give_back(self, txn: TransactWrite, booking: Booking) -> bool:
        """Add the writes that give the use back; False when there is nothing to give back."""
        ...

    def refusal(self, booking: Booking, failed_tables: set[str]) -> Exception:
        """The error to raise when this kind's condition failed (e.g. no uses left)."""
        ...


class TransactionPart(Protocol):
    """More conditional writes for one booking transaction (a waitlist sign-up taken off the list)."""

    table_name: str

    def add(self, txn: TransactWrite) -> None: ...

    def refusal(self) -> Exception:
        """The error to raise when this part's condition failed."""
        ...


class BookingRepository:
    def __init__(self, writers: dict[SettlementKind, Callable[[], SettlementWriter]] | None = None,
                 on_freed: Callable[[str, str], None] | None = None) -> None:
        # kind -> how to make its writer: made on the first booking of that kind (cold start).
        self._make_writer = dict(writers or {})
        self._writers: dict[SettlementKind, SettlementWriter] = {}
        # (business_id, entry_id) after a cancellation committed: places came back (X2 promotes waiters).
        self.on_freed = on_freed

    def _writer(self, kind: SettlementKind) -> SettlementWriter | None:
        if kind not in self._writers and kind in self._make_writer:
            self._writers[kind] = self._make_writer[kind]()
        return self._writers.get(kind)

    def get(self, business_id: str, booking_id: str) -> Booking:
        return booking_from(load(BookingModel, business_id, booking_id, missing=f"Booking '{booking_id}' does not exist."))

    def for_booker(self, business_id: str, email: str) -> list[Booking]:
        return [booking_from(m) for m in BookingModel.by_booker.query(f"{business_id}#{email}", scan_index_forward=False)]

    def for_entry(self, business_id: str, entry_id: str) -> list[Booking]:
        return [
            booking_from(m)
            for m in BookingModel.by_entry.query(entry_id, filter_condition=BookingModel.business_id == business_id)
        ]

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[Booking]:
        return query_page(BookingModel.by_booker, f"{business_id}#{email}", booking_from, page, scan_index_forward=False)

    def entry_page(self, business_id: str, entry_id: str, page: PageRequest) -> Page[Booking]:
        """Entry ids are unique; the business filter only guards isolation and never drops an item."""
        return query_page(BookingModel.by_entry, entry_id, booking_from, page,
                          filter_condition=BookingModel.business_id == business_id)

    def create(self, booking: Booking, capacity: int, booker_cap: int | None = None,
               also: TransactionPart | None = None) -> None:
        """Take ``booking.seats`` places and the settlement in one transaction.

        The booker's own count of places on the entry goes up in it too, only while within ``booker_cap``
        (B8: held and booked places together); ``RuleRefusedError("booker_limit")`` otherwise.

        Raises ``EntryFullError`` if the places are gone, the writer's refusal if its condition
        failed, ``TransactionContendedError`` if another transaction touched the same items.
        """
        if booker_cap is not None and booking.seats > booker_cap:  # a first count is not conditioned on the cap
            raise self._over_cap(booker_cap)
        entry_key = EntryModel(booking.business_id, booking.entry_id)
        writer = self._writer(booking.settlement.kind)
        txn = transaction(BookingModel)
        try:
            with txn:
                txn.update(
                    entry_key,
                    actions=[EntryModel.booked.add(booking.seats)],
                    condition=(EntryModel.capacity == capacity) & (EntryModel.booked <= capacity - booking.seats),
                )
                txn.save(self._model(booking), condition=BookingModel.booking_id.does_not_exist())
                add_within(txn, places_scope(booking.business_id, booking.entry_id), booking.booker_email,
                           booking.seats, booker_cap)
                if writer is not None:
                    writer.take(txn, booking)
                if also is not None:
                    also.add(txn)
        except TransactWriteError as exc:
            failed = failed_conditions(txn, exc)
            if also is not None and also.table_name in failed:
                raise also.refusal() from exc
            if EntryModel.Meta.table_name in failed:
                raise EntryFullError("Not enough places left on this entry.")
            if BookerCounterModel.Meta.table_name in failed and booker_cap is not None:
                raise self._over_cap(booker_cap)
            if BookingModel.Meta.table_name in failed:
                raise ConflictError("This booking already exists.", code="duplicate_booking")
            if writer is not None and failed:
                raise writer.refusal(booking, failed)
            raise TransactionContendedError("Another booking touched the same places; try again.")

    @staticmethod
    def _over_cap(cap: int) -> RuleRefusedError:
        return RuleRefusedError("booker_limit", f"One booker may hold at most {cap} places on this entry "
                                "(held and booked together).", max_places=cap)

    def cancel(self, booking: Booking, at: datetime, give_back_use: bool, only_if: BookingStatus | None = None) -> bool:
        """Free the places (and give the use back if asked and the writer can) in one transaction.

        ``only_if`` makes the cancellation conditional on that status (the hold-release safety net
        passes ``HELD``, so it cannot undo a payment that confirmed the place meanwhile).
        ``use_returned`` records what the writer actually gave back, in the same transaction, and
        is returned.
        """
        writer = self._writer(booking.settlement.kind)
        txn = transaction(BookingModel)
        try:
            with txn:
                # a course place's credit is the place itself (S5): freeing it gives the credit back
                returned = bool(give_back_use and (writer.give_back(txn, booking) if writer is not None
                                                   else booking.course_id is not None))
                txn.update(
                    BookingModel(booking.business_id, booking.booking_id),
                    actions=[
                        BookingModel.status.set(BookingStatus.CANCELLED.value),
                        BookingModel.cancelled_at.set(at),
                        BookingModel.use_returned.set(returned),
                        *BookingModel.leave_hold_index(),
                    ],
                    condition=(BookingModel.status == only_if.value) if only_if is not None
                    else (BookingModel.status != BookingStatus.CANCELLED.value),
                )
                txn.update(
                    EntryModel(booking.business_id, booking.entry_id),
                    actions=[EntryModel.booked.add(-booking.seats)],
                    condition=EntryModel.booked >= booking.seats,
                )
                take_back(txn, places_scope(booking.business_id, booking.entry_id), booking.booker_email, booking.seats)
        except TransactWriteError as exc:
            if BookingModel.Meta.table_name in failed_conditions(txn, exc):
                raise ConflictError("This booking is no longer cancellable (already cancelled or confirmed).",
                                    code="already_cancelled")
            raise TransactionContendedError("Another change touched this booking; try again.")
        if self.on_freed is not None:
            self.on_freed(booking.business_id, booking.entry_id)
        return returned

    def retake(self, booking: Booking, capacity: int) -> None:
        """A released hold whose payment completed after all: take its places again, if still free.

        One transaction, conditional on the booking still being cancelled and on the capacity;
        raises ``EntryFullError`` when the places went to someone else.
        """
        txn = transaction(BookingModel)
        try:
            with txn:
                txn.update(
                    EntryModel(booking.business_id, booking.entry_id),
                    actions=[EntryModel.booked.add(booking.seats)],
                    condition=(EntryModel.capacity == capacity) & (EntryModel.booked <= capacity - booking.seats),
                )
                txn.update(
                    BookingModel(booking.business_id, booking.booking_id),
                    actions=[BookingModel.status.set(BookingStatus.CONFIRMED.value), BookingModel.cancelled_at.remove()],
                    condition=BookingModel.status == BookingStatus.CANCELLED.value,
                )
                add_within(txn, places_scope(booking.business_id, booking.entry_id), booking.booker_email,
                           booking.seats, None)  # paid for: counted, never refused
        except TransactWriteError as exc:
            failed = failed_conditions(txn, exc)
            if EntryModel.Meta.table_name in failed:
                raise EntryFullError("Not enough places left on this entry.")
            if BookingModel.Meta.table_name in failed:
                raise ConflictError("This booking is not cancelled.", code="not_cancelled")
            raise TransactionContendedError("Another booking touched the same places; try again.")

    def confirm_held(self, booking: Booking, settlement: Settlement) -> bool:
        """A held place becomes a booking paid by ``settlement`` (B7: a basket member ticket's offer use),
        the settlement's writes in the same transaction. False when the place is no longer held."""
        paid = replace(booking, settlement=settlement, status=BookingStatus.CONFIRMED)
        writer = self._writer(settlement.kind)
        txn = transaction(BookingModel)
        try:
            with txn:
                txn.update(BookingModel(booking.business_id, booking.booking_id),
                           actions=[BookingModel.status.set(BookingStatus.CONFIRMED.value),
                                    BookingModel.settlement_kind.set(settlement.kind.value),
                                    BookingModel.settlement_ref.set(settlement.ref_fields()),
                                    *BookingModel.leave_hold_index()],
                           condition=BookingModel.status == BookingStatus.HELD.value)
                if writer is not None:
                    writer.take(txn, paid)
        except TransactWriteError as exc:
            failed = failed_conditions(txn, exc)
            if BookingModel.Meta.table_name in failed:
                return False
            if writer is not None and failed:
                raise writer.refusal(paid, failed)
            raise TransactionContendedError("Another change touched this booking; try again.")
        return True

    def record_refund(self, business_id: str, booking_id: str, refund: Refund) -> None:
        BookingModel(business_id, booking_id).update(actions=[
            BookingModel.refund_amount.set(refund.amount_minor), BookingModel.refund_currency.set(refund.currency),
            BookingModel.refund_state.set(refund.state)])

    def holds_expiring_on(self, day: str, before: datetime) -> list[tuple[str, str]]:
        """(business_id, booking_id) of places held on ``day`` whose hold expired before ``before``."""
        return [
            (m.business_id, m.booking_id)
            for m in BookingModel.by_hold_expiry.query(day, BookingModel.hold_expires_at <= before)
        ]

    def _model(self, b: Booking) -> BookingModel:
        held = b.status is BookingStatus.HELD and b.hold_expires_at is not None
        return BookingModel(
            b.business_id,
            b.booking_id,
            entry_id=b.entry_id,
            ticket_id=b.ticket_id,
            booker_email=b.booker_email,
            booker_key=f"{b.business_id}#{b.booker_email}",
            participants=list(b.participants),
            seats=b.seats,
            status=b.status.value,
            settlement_kind=b.settlement.kind.value,
            settlement_ref=b.settlement.ref_fields(),
            created_at=b.created_at,
            entry_starts_at=b.entry_starts_at,
            hold_day=b.hold_expires_at.date().isoformat() if held and b.hold_expires_at else None,
            hold_expires_at=b.hold_expires_at if held else None,
            course_id=b.course_id,
        )
