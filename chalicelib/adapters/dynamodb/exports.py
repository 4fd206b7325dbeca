"""Customer exports (C3): the rows' sources as lazy DynamoDB queries, and the export jobs staff poll."""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ...domain.exports import ExportJob, ExportState
from .base import find, load, register, table_meta
from .bookings import BookingModel, booking_from
from .catalogue import EntryModel, entry_from
from .customers import CustomerModel, customer_from
from .passes import PassModel, owner_key, pass_from
from .tenancy import BusinessRepository

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from zoneinfo import ZoneInfo

    from ...domain.bookings import Booking
    from ...domain.catalogue import Entry
    from ...domain.customers import Customer
    from ...domain.passes import Pass

JOB_RETENTION = timedelta(days=7)
BATCH_GET = 100  # DynamoDB's BatchGetItem limit


class DynamoExportSource:
    """Each method yields as DynamoDB pages arrive (PynamoDB's result iterators fetch page by page)."""

    def customers(self, business_id: str, emails: Sequence[str] | None) -> Iterator[Customer]:
        if emails is None:
            for item in CustomerModel.query(business_id):
                yield customer_from(item)
            return
        for start in range(0, len(emails), BATCH_GET):
            chunk = emails[start: start + BATCH_GET]
            found = {m.email: m for m in CustomerModel.batch_get([(business_id, e) for e in chunk])}
            for email in chunk:  # in the order asked
                if email in found:
                    yield customer_from(found[email])

    def bookings_of(self, business_id: str, email: str) -> Iterator[Booking]:
        for item in BookingModel.by_booker.query(f"{business_id}#{email}"):
            yield booking_from(item)

    def payments_of(self, business_id: str, email: str) -> Iterator[Pass]:
        for item in PassModel.query(owner_key(business_id, email)):
            yield pass_from(item)

    def entry(self, business_id: str, entry_id: str) -> Entry | None:
        item = find(EntryModel, business_id, entry_id)
        return entry_from(item) if item else None

    def time_zone(self, business_id: str) -> ZoneInfo:
        return BusinessRepository().get(business_id).tz


@register
class ExportJobModel(Model):
    Meta = table_meta("export-jobs")
    business_id = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    emails = ListAttribute(of=UnicodeAttribute, null=True)
    rows = NumberAttribute(default=0)
    key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)


class ExportJobRepository:
    def save(self, job: ExportJob) -> None:
        ExportJobModel(job.business_id, job.job_id, state=job.state.value, created_at=job.created_at,
                       emails=list(job.emails) if job.emails is not None else None, rows=job.rows, key=job.key,
                       error=job.error, expires=job.created_at + JOB_RETENTION).save()

    def get(self, business_id: str, job_id: str) -> ExportJob:
        m = load(ExportJobModel, business_id, job_id, missing=f"Export '{job_id}' does not exist.")
        return ExportJob(m.business_id, m.job_id, ExportState(m.state), m.created_at,
                         emails=tuple(str(e) for e in m.emails) if m.emails is not None else None, rows=int(m.rows or 0), key=m.key,
                         error=m.error)
