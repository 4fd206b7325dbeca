"""Bookings table, and the one transaction that takes a place together with what pays for it.

Each settlement kind (offer use, pass use, ...) plugs in a ``SettlementWriter`` that adds its own
conditional writes to that transaction, so spending a use and taking a place succeed or fail as one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ...domain.bookings import Booking, BookingStatus, Settlement, SettlementKind
from ...domain.errors import ConflictError, NotFoundError
from .base import failed_conditions, register, table_meta, transaction
from .catalogue import EntryModel


class BookingsByBooker(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_booker"
        projection = AllProjection()

    booker_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    created_at = UTCDateTimeAttribute(range_key=True)


class BookingsByEntry(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_entry"
        projection = AllProjection()

    entry_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


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
    settlement_ref = MapAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    entry_starts_at = UTCDateTimeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)
    use_returned = BooleanAttribute(null=True)
    by_booker = BookingsByBooker()
    by_entry = BookingsByEntry()


def booking_from(m: BookingModel) -> Booking:
    ref = m.settlement_ref.as_dict() if isinstance(m.settlement_ref, MapAttribute) else dict(m.settlement_ref or {})
    status = BookingStatus(m.status)
    return Booking(
        business_id=m.business_id,
        booking_id=m.booking_id,
        entry_id=m.entry_id,
        ticket_id=m.ticket_id,
        booker_email=m.booker_email,
        participants=tuple(m.participants or ()),
        settlement=Settlement(kind=SettlementKind(m.settlement_kind), ref=ref),
        status=status,
        created_at=m.created_at,
        entry_starts_at=m.entry_starts_at,
        cancelled_at=m.cancelled_at,
        use_returned=m.use_returned,
    )


class SettlementWriter(Protocol):
    """Adds a settlement kind's conditional writes to the booking transaction."""

    def take(self, txn: TransactWrite, booking: Booking) -> None: ...

    def give_back(self, txn: TransactWrite, booking: Booking) -> None: ...

    def refusal(self, booking: Booking, failed_tables: set[str]) -> Exception:
        """The error to raise when this kind's condition failed (e.g. no uses left)."""
        ...


class TransactionContendedError(ConflictError):
    code = "busy"


class BookingRepository:
    def __init__(self, writers: dict[SettlementKind, SettlementWriter] | None = None) -> None:
        self.writers = dict(writers or {})

    def get(self, business_id: str, booking_id: str) -> Booking:
        try:
            return booking_from(BookingModel.get(business_id, booking_id))
        except BookingModel.DoesNotExist:
            raise NotFoundError(f"Booking '{booking_id}' does not exist.")

    def for_booker(self, business_id: str, email: str) -> list[Booking]:
        return [booking_from(m) for m in BookingModel.by_booker.query(f"{business_id}#{email}", scan_index_forward=False)]

    def for_entry(self, business_id: str, entry_id: str) -> list[Booking]:
        return [
            booking_from(m)
            for m in BookingModel.by_entry.query(entry_id, filter_condition=BookingModel.business_id == business_id)
        ]

    def create(self, booking: Booking, capacity: int) -> None:
        """Take ``booking.seats`` places and the settlement in one transaction.

        Raises ``EntryFullError`` if the places are gone, the writer's refusal if its condition
        failed, ``TransactionContendedError`` if another transaction touched the same items.
        """
        entry_key = EntryModel(booking.business_id, booking.entry_id)
        writer = self.writers.get(booking.settlement.kind)
        txn = transaction(BookingModel)
        try:
            with txn:
                txn.update(
                    entry_key,
                    actions=[EntryModel.booked.add(booking.seats)],
                    condition=(EntryModel.capacity == capacity) & (EntryModel.booked <= capacity - booking.seats),
                )
                txn.save(self._model(booking), condition=BookingModel.booking_id.does_not_exist())
                if writer is not None:
                    writer.take(txn, booking)
        except TransactWriteError as exc:
            failed = failed_conditions(txn, exc)
            if EntryModel.Meta.table_name in failed:
                raise EntryFullError("Not enough places left on this entry.")
            if BookingModel.Meta.table_name in failed:
                raise ConflictError("This booking already exists.", code="duplicate_booking")
            if writer is not None and failed:
                raise writer.refusal(booking, failed)
            raise TransactionContendedError("Another booking touched the same places; try again.")

    def cancel(self, booking: Booking, at: datetime, give_back_use: bool) -> None:
        writer = self.writers.get(booking.settlement.kind)
        txn = transaction(BookingModel)
        try:
            with txn:
                txn.update(
                    BookingModel(booking.business_id, booking.booking_id),
                    actions=[
                        BookingModel.status.set(BookingStatus.CANCELLED.value),
                        BookingModel.cancelled_at.set(at),
                        BookingModel.use_returned.set(give_back_use and writer is not None),
                    ],
                    condition=BookingModel.status != BookingStatus.CANCELLED.value,
                )
                txn.update(
                    EntryModel(booking.business_id, booking.entry_id),
                    actions=[EntryModel.booked.add(-booking.seats)],
                    condition=EntryModel.booked >= booking.seats,
                )
                if writer is not None and give_back_use:
                    writer.give_back(txn, booking)
        except TransactWriteError as exc:
            if BookingModel.Meta.table_name in failed_conditions(txn, exc):
                raise ConflictError("This booking is already cancelled.", code="already_cancelled")
            raise TransactionContendedError("Another change touched this booking; try again.")

    def _model(self, b: Booking) -> BookingModel:
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
            settlement_ref=b.settlement.ref,
            created_at=b.created_at,
            entry_starts_at=b.entry_starts_at,
        )


class EntryFullError(ConflictError):
    code = "refused"

    def __init__(self, message: str):
        super().__init__(message, code="refused", details={"reason": "no_places_left"})
