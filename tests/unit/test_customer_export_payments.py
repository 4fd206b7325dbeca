"""C3 + B6: the export's rows from the payments record (membership invoices, card tickets, refunds), one row
per payment with the customer's columns; pass purchases keep their own rows (never twice)."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.context import StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.exports import COLUMNS
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass
from chalicelib.domain.payments import PaymentKind, PaymentRecord, PaymentState
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.exports import CsvFile, CustomerExport, ExportRequest
from tests.fakes.memberships import FakeQueue
from tests.fakes.payment_records import InMemoryPaymentRecords
from tests.unit.test_customer_export import MemoryFiles, MemoryJobs, parse

ZOE = "zoe@example.com"
NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
STAFF = StaffContext(Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin"), "staff-1")


class OneCustomer:
    """One customer with no registrations and one pass purchase (its row comes from the passes)."""

    def customers(self, business_id, emails):
        return iter([Customer("biz", ZOE, "=cmd|' /C calc'!A0")])

    def bookings_of(self, business_id, email):
        return iter(())

    def entry(self, business_id, entry_id):
        return None  # no registrations, so never asked

    def time_zone(self, business_id):
        return ZoneInfo("Europe/Berlin")

    def payments_of(self, business_id, email):
        yield Pass(business_id, email, "p1", "prod", "5 classes", 5, 0, Eligibility(ticket_ids=("t1",)),
                   ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=30), NOW, purchase_ref="cs_1", price_minor=5000)


class RecordedPayments(InMemoryPaymentRecords):
    def all_for_customer(self, business_id, email):
        from chalicelib.domain.paging import PageRequest

        return iter(self.for_customer(business_id, email, PageRequest(limit=100)).items)


def row(payment_id: str, kind: PaymentKind, purpose: str, amount: int, day: int, **more) -> PaymentRecord:
    return PaymentRecord("biz", payment_id, ZOE, kind, purpose, amount, "EUR", datetime(2030, 1, day, tzinfo=UTC), **more)


def test_membership_invoices_and_refunds_are_rows_and_pass_charges_are_not_repeated():
    recorded = RecordedPayments()
    for record in (row("in_1", PaymentKind.INVOICE, "membership", 3000, 1, membership_id="m-1", subscription_id="sub_1"),
                   row("in_2", PaymentKind.INVOICE, "membership", 3000, 2, membership_id="m-1",
                       state=PaymentState.REFUNDED, refunded_minor=3000),
                   row("re_1", PaymentKind.REFUND, "membership", 3000, 3, membership_id="m-1", state=PaymentState.SUCCEEDED),
                   row("pi_1", PaymentKind.CHARGE, "booking", 1500, 4, booking_ids=("b-1",)),
                   row("pi_2", PaymentKind.CHARGE, "pass", 5000, 5, pass_product_id="prod")):
        recorded.add(record)
    service = CustomerExport(OneCustomer(), MemoryJobs(), MemoryFiles, FakeQueue, recorded=recorded)
    result = service.start(STAFF, ExportRequest([ZOE]))
    assert isinstance(result, CsvFile)
    header, *rows = parse(result.text)
    assert tuple(header) == COLUMNS
    cells = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    assert [(c["row_type"], c["reference"], c["status"], c["amount_minor"]) for c in cells] == [
        ("payment", "cs_1", "paid", "5000"),  # the pass purchase, from the passes (as before)
        ("payment", "pi_1", "paid", "1500"), ("refund", "re_1", "succeeded", "3000"),
        ("payment", "in_2", "refunded", "3000"), ("payment", "in_1", "paid", "3000")]
    assert cells[4]["item"] == "invoice for membership: m-1" and cells[1]["item"] == "charge for booking: b-1"
    assert all(c["customer_email"] == ZOE and c["customer_name"].startswith("'=") for c in cells)  # the customer's columns
    assert result.rows == 5
