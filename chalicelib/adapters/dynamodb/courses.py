"""Course rosters, and the one transaction that holds a place on every remaining session of a course (S6).

Each session costs three items in the transaction (the entry's count, the booking, the booker's count on
that entry), so ``COURSE_HOLD_LIMIT`` sessions (30: 90 items) stay within DynamoDB's 100-item bound.
"""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.courses import COURSE_HOLD_LIMIT, Enrolment
from ...domain.errors import ConflictError, RuleRefusedError, SessionsFullError, TransactionContendedError
from .base import find, is_condition_failure, query_page, register, table_meta, transaction
from .booker_counters import BookerCounterModel, add_within, places_scope
from .bookings import BookingModel, BookingRepository
from .catalogue import EntryModel

if TYPE_CHECKING:
    from datetime import datetime

    from ...domain.bookings import Booking
    from ...domain.paging import Page, PageRequest


class EnrolmentsByCustomer(GlobalSecondaryIndex["EnrolmentModel"]):
    """A person's enrolments in every course (C6: deletion and erasure move them by this index)."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    enrolment_key = UnicodeAttribute(range_key=True)


@register
class EnrolmentModel(Model):
    """One item per (course, person): the key makes a second enrolment of the same person impossible (S4)."""

    Meta = table_meta("course-enrolments")
    business_id = UnicodeAttribute(hash_key=True)
    enrolment_key = UnicodeAttribute(range_key=True)  # "<course_id>#<email>"
    course_id = UnicodeAttribute()
    email = UnicodeAttribute()
    source = UnicodeAttribute()
    state = UnicodeAttribute()
    enrolled_at = UTCDateTimeAttribute()
    subscription_id = UnicodeAttribute(null=True)
    checkout_id = UnicodeAttribute(null=True)
    left_at = UTCDateTimeAttribute(null=True)
    customer_key = UnicodeAttribute(null=True)  # "<business_id>#<email>"; items written before C6 lack it
    by_customer = EnrolmentsByCustomer()


def enrolment_from(m: EnrolmentModel) -> Enrolment:
    return Enrolment(m.business_id, m.course_id, m.email, m.source, m.enrolled_at,  # type: ignore[arg-type]
                     m.subscription_id, m.checkout_id, m.state, m.left_at)  # type: ignore[arg-type]


class EnrolmentRepository:
    def find(self, business_id: str, course_id: str, email: str) -> Enrolment | None:
        m = find(EnrolmentModel, business_id, f"{course_id}#{email}")
        return enrolment_from(m) if m is not None else None

    def enrol(self, e: Enrolment) -> bool:
        M = EnrolmentModel
        item = M(e.business_id, f"{e.course_id}#{e.email}", course_id=e.course_id, email=e.email, source=e.source,
                 state="enrolled", enrolled_at=e.enrolled_at, subscription_id=e.subscription_id,
                 checkout_id=e.checkout_id, customer_key=f"{e.business_id}#{e.email}")
        try:
            item.save(condition=M.enrolment_key.does_not_exist() | (M.state != "enrolled"))
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def leave(self, business_id: str, course_id: str, email: str, at: datetime) -> bool:
        M = EnrolmentModel
        try:
            M(business_id, f"{course_id}#{email}").update(actions=[M.state.set("left"), M.left_at.set(at)],
                                                          condition=M.state == "enrolled")
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def roster_page(self, business_id: str, course_id: str, page: PageRequest) -> Page[Enrolment]:
        return query_page(EnrolmentModel, business_id, enrolment_from, page,
                          range_key_condition=EnrolmentModel.enrolment_key.startswith(f"{course_id}#"))

    def roster(self, business_id: str, course_id: str) -> list[Enrolment]:
        return [enrolment_from(m) for m in EnrolmentModel.query(
            business_id, EnrolmentModel.enrolment_key.startswith(f"{course_id}#"),
            filter_condition=EnrolmentModel.state == "enrolled")]


def move_enrolments(business_id: str, from_email: str, to_email: str, limit: int) -> int:
    """C6: up to ``limit`` of ``from_email``'s enrolments change owner in one transaction (2 writes each). An
    enrolment is keyed by course and person: the old item goes (only if still ``from_email``'s) and the same
    enrolment is put under ``to_email``; where ``to_email`` is enrolled in that course already (a primary taking
    over an additional user's place), it is kept beside theirs under a suffixed key, so the roster lists both.
    A repeat after a crash finds only what is left."""
    M = EnrolmentModel
    found = list(M.by_customer.query(f"{business_id}#{from_email}", limit=min(limit, 50)))
    if not found:
        return 0
    taken = {m.enrolment_key for m in M.batch_get([(business_id, f"{m.course_id}#{to_email}") for m in found])}
    with transaction(M) as txn:
        for m in found:
            key = f"{m.course_id}#{to_email}"
            key = f"{key}#{secrets.token_hex(4)}" if key in taken else key
            txn.delete(M(business_id, m.enrolment_key), condition=M.email == from_email)
            txn.save(M(business_id, key, course_id=m.course_id, email=to_email, source=m.source, state=m.state,
                       enrolled_at=m.enrolled_at, subscription_id=m.subscription_id, checkout_id=m.checkout_id,
                       left_at=m.left_at, customer_key=f"{business_id}#{to_email}"),
                     condition=M.enrolment_key.does_not_exist())
    return len(found)


class CourseHolds:
    """``SessionHolds`` on DynamoDB: every session's place in one TransactWriteItems, all or none."""

    def take_all(self, bookings: list[Booking], capacities: dict[str, int], booker_cap: int | None) -> None:
        if len(bookings) > COURSE_HOLD_LIMIT:
            raise RuleRefusedError("too_many_sessions", f"A course enrols into at most {COURSE_HOLD_LIMIT} sessions at once.")
        if not bookings:
            return
        model_of = BookingRepository()._model
        txn = transaction(BookingModel)
        entry_items: list[str] = []
        try:
            with txn:
                for b in bookings:
                    capacity = capacities[b.entry_id]
                    txn.update(EntryModel(b.business_id, b.entry_id), actions=[EntryModel.booked.add(b.seats)],
                               condition=(EntryModel.capacity == capacity) & (EntryModel.booked <= capacity - b.seats))
                    entry_items.append(b.entry_id)
                    txn.save(model_of(b), condition=BookingModel.booking_id.does_not_exist())
                    add_within(txn, places_scope(b.business_id, b.entry_id), b.booker_email, b.seats, booker_cap)
        except TransactWriteError as exc:
            full, tables = self._failed(txn, exc)
            if full:
                raise SessionsFullError(full)
            if BookerCounterModel.Meta.table_name in tables:
                raise RuleRefusedError("booker_limit", f"One booker may hold at most {booker_cap} places on a session.")
            if BookingModel.Meta.table_name in tables:
                raise ConflictError("These bookings already exist.", code="duplicate_booking")
            raise TransactionContendedError("Another booking touched the same sessions; try again.")

    @staticmethod
    def _failed(txn: Any, exc: Exception) -> tuple[list[str], set[str]]:
        """The entries whose capacity condition failed, and every table with a failed condition (in the
        order PynamoDB sends items: condition checks, deletes, puts, updates)."""
        sent = txn._condition_check_items + txn._delete_items + txn._put_items + txn._update_items
        reasons = getattr(exc, "cancellation_reasons", None) or []
        full: list[str] = []
        tables: set[str] = set()
        for item, reason in zip(sent, reasons, strict=False):
            if reason is None or getattr(reason, "code", None) != "ConditionalCheckFailed":
                continue
            tables.add(item["TableName"])
            if item["TableName"] == EntryModel.Meta.table_name:
                full.append(str(item["Key"]["entry_id"]["S"]))
        return full, tables

