"""Staff export customers' registrations and payments as CSV (C3).

A few customers are answered directly (text/csv). Every customer of a business, or a selection whose
rows pass ``DIRECT_ROW_LIMIT`` (sized far inside API Gateway's 10 MB / 29 s), becomes a job: the events
queue runs it, rows stream into a temporary file that is uploaded in parts, and staff poll the job
for a short-lived download link. No list of all rows is ever held.
"""
from __future__ import annotations

import csv
import functools
import io
import tempfile
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..domain.emails import normalise_email
from ..domain.errors import InvalidInputError
from ..domain.exports import (
    BOM,
    COLUMNS,
    NO_TITLES,
    EntryLabels,
    ExportJob,
    ExportState,
    entry_labels,
    exported_from_record,
    payment_row,
    recorded_payment_row,
    registration_row,
)
from ..ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TextIO

    from ..domain.context import StaffContext
    from ..ports.exports import ExportFiles, ExportJobStore, ExportSource, RecordedPayments
    from ..ports.queue import EventPublisher

EXPORT_KIND = "customer_export"
DIRECT_CUSTOMER_LIMIT = 50
DIRECT_ROW_LIMIT = 5_000  # ~1 MB of CSV
LINK_SECONDS = 300
ENTRY_CACHE = 8192  # entries' labels held per export (~2 MB at most): a business's entries are read ~once


@dataclass(frozen=True)
class ExportRequest:
    emails: list[str] | None = None


@dataclass(frozen=True)
class CsvFile:
    filename: str
    text: str
    rows: int


@dataclass(frozen=True)
class ExportJobView:
    job_id: str
    state: str
    rows: int
    download_url: str | None = None
    link_expires_in: int | None = None
    error: str | None = None


class RowLimitExceededError(Exception):
    """A direct export grew past its limit: it becomes a background job."""


class CustomerExport:
    def __init__(self, source: ExportSource, jobs: ExportJobStore, files: Callable[[], ExportFiles],
                 queue: Callable[[], EventPublisher], clock: Clock = utc_now,
                 direct_rows: int = DIRECT_ROW_LIMIT, recorded: RecordedPayments | None = None) -> None:
        self.recorded = recorded  # B6: membership invoices, card tickets and refunds, one row each
        self.source = source
        self.jobs = jobs
        self.files = files
        self.queue = queue
        self.clock = clock
        self.direct_rows = direct_rows

    def start(self, ctx: StaffContext, body: ExportRequest) -> CsvFile | ExportJobView:
        emails = self._emails(body.emails)
        if emails is not None and len(emails) <= DIRECT_CUSTOMER_LIMIT:
            out = io.StringIO()
            try:
                rows = self.write(ctx.business_id, emails, out, limit=self.direct_rows)
                return CsvFile(self._filename(ctx.business_id), out.getvalue(), rows)
            except RowLimitExceededError:
                pass
        job = ExportJob(ctx.business_id, new_id(), ExportState.QUEUED, self.clock(),
                        emails=tuple(emails) if emails is not None else None)
        self.jobs.save(job)
        self.queue().send(EXPORT_KIND, {"business_id": job.business_id, "job_id": job.job_id})
        return ExportJobView(job.job_id, job.state.value, 0)

    def write(self, business_id: str, emails: Sequence[str] | None, out: TextIO, limit: int | None = None) -> int:
        """Stream the rows into ``out``; the number written."""
        out.write(BOM)
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        rows = 0
        titles = self._titles(business_id)
        for customer in self.source.customers(business_id, emails):
            for booking in self.source.bookings_of(business_id, customer.email):
                writer.writerow(registration_row(customer, booking, titles(booking.entry_id, booking.ticket_id)))
                rows += 1
                if limit is not None and rows > limit:
                    raise RowLimitExceededError
            for purchase in self.source.payments_of(business_id, customer.email):
                writer.writerow(payment_row(customer, purchase))
                rows += 1
            for record in self.recorded.all_for_customer(business_id, customer.email) if self.recorded else ():
                if exported_from_record(record):
                    writer.writerow(recorded_payment_row(customer, record))
                    rows += 1
                    if limit is not None and rows > limit:
                        raise RowLimitExceededError
        return rows

    def _titles(self, business_id: str) -> Callable[[str, str], tuple[str, str, str]]:
        """Entry titles, starts and ticket names for this export: each entry read once while it is among
        the last ``ENTRY_CACHE`` used (labels only, a few hundred bytes each: memory bounded whatever the rows)."""
        tz = self.source.time_zone(business_id)

        @functools.lru_cache(maxsize=ENTRY_CACHE)
        def labels(entry_id: str) -> EntryLabels | None:
            return entry_labels(self.source.entry(business_id, entry_id), tz)

        def titles(entry_id: str, ticket_id: str) -> tuple[str, str, str]:
            found = labels(entry_id)
            return found.titles(ticket_id) if found else NO_TITLES
        return titles

    def run(self, body: dict[str, Any]) -> None:
        """Queue handler: write the file and mark the job done (a redelivery of a done job does nothing)."""
        job = self.jobs.get(str(body["business_id"]), str(body["job_id"]))
        if job.state is ExportState.DONE:
            return
        key = f"exports/{job.business_id}/{job.job_id}.csv"
        with tempfile.TemporaryFile() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            rows = self.write(job.business_id, job.emails, text)
            text.flush()
            text.detach()  # keep ``raw`` open for the upload
            raw.seek(0)
            self.files().upload(key, raw, self._filename(job.business_id))
        self.jobs.save(replace(job, state=ExportState.DONE, rows=rows, key=key))

    def job(self, ctx: StaffContext, job_id: str) -> ExportJobView:
        job = self.jobs.get(ctx.business_id, job_id)
        if job.state is not ExportState.DONE or job.key is None:
            return ExportJobView(job.job_id, job.state.value, job.rows, error=job.error)
        url = self.files().download_url(job.key, self._filename(job.business_id), LINK_SECONDS)
        return ExportJobView(job.job_id, job.state.value, job.rows, url, LINK_SECONDS)

    @staticmethod
    def _emails(raw: list[str] | None) -> list[str] | None:
        if raw is None:
            return None
        emails: dict[str, None] = {}
        for i, value in enumerate(raw):
            email = normalise_email(value)
            if not email:
                raise InvalidInputError(f"'{value}' is not an email address.", field=f"emails.{i}")
            emails[email] = None
        return list(emails)

    def _filename(self, business_id: str) -> str:
        return f"customers-{business_id}-{self.clock():%Y%m%d-%H%M}.csv"
