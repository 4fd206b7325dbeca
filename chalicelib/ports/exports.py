"""What a customer export reads and writes (C3): rows come as iterators, so memory stays flat."""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from zoneinfo import ZoneInfo

    from ..domain.bookings import Booking
    from ..domain.catalogue import Entry
    from ..domain.customers import Customer
    from ..domain.exports import ExportJob
    from ..domain.passes import Pass
    from ..domain.payments import PaymentRecord


class ExportSource(Protocol):
    def customers(self, business_id: str, emails: Sequence[str] | None) -> Iterator[Customer]:
        """The named customers that exist (or every customer of the business), page by page."""
        ...

    def bookings_of(self, business_id: str, email: str) -> Iterator[Booking]: ...

    def payments_of(self, business_id: str, email: str) -> Iterator[Pass]: ...

    def entry(self, business_id: str, entry_id: str) -> Entry | None:
        """One key lookup (None: deleted since); the export caches it, so each entry is read once."""
        ...

    def time_zone(self, business_id: str) -> ZoneInfo:
        """The business's zone, for entry starts as people there read them."""
        ...


class RecordedPayments(Protocol):
    def all_for_customer(self, business_id: str, email: str) -> Iterator[PaymentRecord]:
        """A customer's payments record (B6), newest first, page by page."""
        ...


class ExportFiles(Protocol):
    def upload(self, key: str, file: BinaryIO, filename: str) -> None:
        """Store the file (multipart for large ones, read in chunks)."""
        ...

    def download_url(self, key: str, filename: str, expires_seconds: int) -> str:
        """A short-lived link that downloads the file under ``filename``."""
        ...


class ExportJobStore(Protocol):
    def save(self, job: ExportJob) -> None: ...

    def get(self, business_id: str, job_id: str) -> ExportJob:
        """The job, or ``NotFoundError``."""
        ...
