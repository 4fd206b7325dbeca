"""Rows per second and peak memory of a background customer export (C3).

    python -m bench.customer_export [registrations ...]      (default: 1000 100000)

The real ``CustomerExport.run`` writes the CSV (csv module, formula-safe cells) into a temporary file
and hands it to the upload port; the source is an in-memory stand-in that *generates* customers,
bookings and one pass purchase per customer as they are asked for (100 registrations per customer),
so the figures are the writer's and the streaming's own, without DynamoDB. Registrations spread over
``ENTRIES`` entries; ``entry reads`` counts the key lookups the export made for their titles. The upload stand-in reads
the file in 8 MB parts, as boto3's multipart transfer does. Peak memory is tracemalloc's, in a second
run (tracing slows Python down, so rows per second come from the untraced run).
"""
from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from chalicelib.domain.bookings import Booking, BookingStatus, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, Ticket
from chalicelib.domain.customers import Customer
from chalicelib.domain.exports import ExportJob, ExportState
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass
from chalicelib.services.exports import CustomerExport

PER_CUSTOMER = 100
ENTRIES = 2_000  # a busy studio's sessions over a year
PART = 8 * 1024 * 1024
NOW = datetime(2030, 1, 1, tzinfo=UTC)


class GeneratedSource:
    def __init__(self, registrations: int) -> None:
        self.registrations = registrations
        self.entry_reads = 0
        self.customer_count = 0

    def customers(self, business_id: str, emails: Sequence[str] | None) -> Iterator[Customer]:
        for i in range(max(self.registrations // PER_CUSTOMER, 1)):
            self.customer_count = i
            yield Customer(business_id, f"customer{i}@example.com", f"Customer {i}")

    def bookings_of(self, business_id: str, email: str) -> Iterator[Booking]:
        for i in range(min(PER_CUSTOMER, self.registrations)):
            entry_id = f"entry-{(self.customer_count * 37 + i * 13) % ENTRIES}"
            yield Booking(business_id, f"{email}-{i}", entry_id, "ticket-1", email, ("Kid",),
                          Settlement(SettlementKind.FREE), BookingStatus.CONFIRMED, NOW, NOW + timedelta(days=i))

    def payments_of(self, business_id: str, email: str) -> Iterator[Pass]:
        yield Pass(business_id, email, "pass-1", "product-1", "10 classes", 10, 3, Eligibility(ticket_ids=("t",)),
                   ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=90), NOW, purchase_ref="cs_1", price_minor=9000)


    def entry(self, business_id: str, entry_id: str) -> Entry | None:
        self.entry_reads += 1
        n = int(entry_id.split("-")[1])
        start = NOW + timedelta(hours=n)
        return Entry(business_id, entry_id, "page-1", f"Class {n}", start, start + timedelta(hours=1), 20,
                     tickets=(Ticket("ticket-1", "Drop-in", 1500, "EUR"),))

    def time_zone(self, business_id: str) -> ZoneInfo:
        return ZoneInfo("Europe/Berlin")


class OneJob:
    def __init__(self) -> None:
        self.job = ExportJob("bench", "job-1", ExportState.QUEUED, NOW)

    def save(self, job: ExportJob) -> None:
        self.job = job

    def get(self, business_id: str, job_id: str) -> ExportJob:
        return self.job


class PartReader:
    def __init__(self) -> None:
        self.bytes = 0

    def upload(self, key: str, file: BinaryIO, filename: str) -> None:
        while True:
            part = file.read(PART)
            if not part:
                return
            self.bytes += len(part)
            del part  # one part in memory at a time

    def download_url(self, key: str, filename: str, expires_seconds: int) -> str:
        return key


def run(registrations: int, source: GeneratedSource | None = None) -> tuple[int, int, float]:
    jobs, files = OneJob(), PartReader()
    source = source or GeneratedSource(registrations)
    service = CustomerExport(source, jobs, lambda: files, lambda: None)  # type: ignore[arg-type, return-value]
    started = time.perf_counter()
    service.run({"business_id": "bench", "job_id": "job-1"})
    return jobs.job.rows, files.bytes, time.perf_counter() - started


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1_000, 100_000]
    print(f"{'registrations':>13} {'rows':>8} {'MB':>7} {'rows/s':>9} {'peak MiB':>9} {'entry reads':>11}")
    for size in sizes:
        source = GeneratedSource(size)
        rows, size_bytes, seconds = run(size, source)
        tracemalloc.start()
        run(size)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{size:>13,} {rows:>8,} {size_bytes / 1e6:>7.1f} {rows / seconds:>9,.0f} {peak / 2**20:>9.2f}"
              f" {source.entry_reads:>11,}")


if __name__ == "__main__":
    main(sys.argv[1:])
