"""C3: the CSV's cells, direct answers and background jobs, on in-memory fakes."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.bookings import Booking, BookingStatus, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, Ticket
from chalicelib.domain.context import StaffContext
from chalicelib.domain.customers import Customer, CustomerKind
from chalicelib.domain.errors import InvalidInputError, NotFoundError
from chalicelib.domain.exports import COLUMNS, safe_cell
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.exports import EXPORT_KIND, CsvFile, CustomerExport, ExportJobView, ExportRequest
from tests.fakes.memberships import FakeQueue

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
STAFF = StaffContext(Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin"), "staff-1")


@pytest.mark.parametrize("raw, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\r=1", "'\r=1"), ("Zoë", "Zoë"), ("a=b", "a=b"), (None, ""), (12, "12"),
])
def test_cells_a_spreadsheet_would_run_are_made_text(raw, cell):
    assert safe_cell(raw) == cell


class MemorySource:
    def __init__(self, customers: list[Customer], bookings: int) -> None:
        self.items, self.bookings = customers, bookings
        self.entry_reads = 0

    def customers(self, business_id, emails):
        return iter(c for c in self.items if emails is None or c.email in emails)

    def bookings_of(self, business_id, email):
        for i in range(self.bookings):
            yield Booking(business_id, f"{email}-{i}", "e1" if i % 3 else "gone", "t1", email, ("Kid",), Settlement(SettlementKind.FREE),
                          BookingStatus.CONFIRMED, NOW, NOW + timedelta(days=i))

    def entry(self, business_id, entry_id):
        self.entry_reads += 1
        if entry_id != "e1":
            return None  # deleted since
        return Entry(business_id, "e1", "p1", "=Yoga", datetime(2030, 3, 1, 8, tzinfo=UTC),
                     datetime(2030, 3, 1, 9, tzinfo=UTC), 20, tickets=(Ticket("t1", "Drop-in", 0, "EUR"),))

    def time_zone(self, business_id):
        return ZoneInfo("Europe/Berlin")

    def payments_of(self, business_id, email):
        yield Pass(business_id, email, "p1", "prod", "5 classes", 5, 0, Eligibility(ticket_ids=("t1",)), ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=30),
                   NOW, purchase_ref="cs_1", price_minor=5000)


class MemoryJobs:
    def __init__(self) -> None:
        self.items = {}

    def save(self, job):
        self.items[(job.business_id, job.job_id)] = job

    def get(self, business_id, job_id):
        if (business_id, job_id) not in self.items:
            raise NotFoundError(f"Export '{job_id}' does not exist.")
        return self.items[(business_id, job_id)]


class MemoryFiles:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def upload(self, key, file, filename):
        self.files[key] = file.read()

    def download_url(self, key, filename, expires_seconds):
        return f"https://files.example/{key}?expires={expires_seconds}"


CUSTOMERS = [Customer("biz", "zoe@example.com", "=cmd|' /C calc'!A0"),
             Customer("biz", "hal@example.com", "Hal", CustomerKind.ADDITIONAL_USER, primary_email="zoe@example.com")]


def exporter(bookings: int = 2, direct_rows: int = 100):
    queue, jobs, files = FakeQueue(), MemoryJobs(), MemoryFiles()
    service = CustomerExport(MemorySource(CUSTOMERS, bookings), jobs, lambda: files, lambda: queue, clock=lambda: NOW,
                             direct_rows=direct_rows)
    return service, queue, jobs, files


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_few_customers_are_answered_directly_one_row_per_registration_and_payment():
    service, queue, _, _ = exporter()
    result = service.start(STAFF, ExportRequest(["Zoe@Example.com", "hal@example.com", "zoe@example.com"]))
    assert isinstance(result, CsvFile) and result.rows == 6 and queue.sent == []
    header, *rows = parse(result.text)
    assert tuple(header) == COLUMNS and len(rows) == 6
    zoe = [r for r in rows if r[0] == "zoe@example.com"]
    assert [r[4] for r in zoe] == ["registration", "registration", "payment"]
    assert zoe[0][1] == "'=cmd|' /C calc'!A0"  # the formula arrives as text
    assert zoe[2][11:13] == ["5000", "EUR"]
    assert {r[3] for r in rows if r[0] == "hal@example.com"} == {"zoe@example.com"}


def test_a_bad_email_is_named():
    service, *_ = exporter()
    with pytest.raises(InvalidInputError) as bad:
        service.start(STAFF, ExportRequest(["zoe@example.com", "not-an-email"]))
    assert bad.value.details == {"field": "emails.1"}


@pytest.mark.parametrize("request_, why", [(ExportRequest(None), "every customer"),
                                           (ExportRequest(["zoe@example.com", "hal@example.com"]), "too many rows")])
def test_large_exports_run_in_the_background_and_hand_back_a_link(request_, why):
    service, queue, jobs, files = exporter(bookings=30, direct_rows=50)
    started = service.start(STAFF, request_)
    assert isinstance(started, ExportJobView) and started.state == "queued", why
    assert service.job(STAFF, started.job_id).download_url is None
    [(kind, body)] = queue.sent
    assert kind == EXPORT_KIND
    service.run(body)
    done = service.job(STAFF, started.job_id)
    assert (done.state, done.rows) == ("done", 62) and done.download_url.endswith("?expires=300")
    [data] = files.files.values()
    assert len(parse(data.decode("utf-8"))) == 63
    service.run(body)  # a redelivery of a finished job writes nothing again
    assert len(files.files) == 1


def test_registrations_carry_entry_title_local_start_and_ticket_name_each_entry_read_once():
    service, _, _, _ = exporter(bookings=30, direct_rows=100)
    result = service.start(STAFF, ExportRequest(["zoe@example.com", "hal@example.com"]))
    assert isinstance(result, CsvFile)
    header, *rows = parse(result.text)
    titles = {tuple(r[-3:]) for r in rows if r[4] == "registration"}
    assert header[-3:] == ["entry_title", "entry_start_local", "ticket_name"]
    assert titles == {("'=Yoga", "2030-03-01 09:00", "Drop-in"), ("", "", "")}  # Berlin time; a deleted entry blank
    assert {tuple(r[-3:]) for r in rows if r[4] == "payment"} == {("", "", "")}
    assert service.source.entry_reads == 2  # 60 registrations over two entries
