"""CSV exports of customers' registrations and payments (C3): the columns, and cells a spreadsheet
cannot run. A cell starting with ``= + - @`` (or a tab / carriage return, which some spreadsheets skip
before such a character) is read as a formula by Excel, LibreOffice and Google Sheets; a leading
``'`` makes it text (OWASP's advice for CSV injection).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from .payments import PaymentKind

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .bookings import Booking
    from .catalogue import Entry
    from .customers import Customer
    from .passes import Pass
    from .payments import PaymentRecord

COLUMNS = ("customer_email", "customer_name", "customer_kind", "primary_email", "row_type", "reference",
           "item", "date", "status", "participants", "paid_with", "amount_minor", "currency",
           "entry_title", "entry_start_local", "ticket_name")
NO_TITLES = ("", "", "")  # rows that are not about an entry (payments), or whose entry is gone
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads UTF-8 (names with accents) only when the file starts with it


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _customer_cells(customer: Customer) -> list[str]:
    return [customer.email, customer.name, customer.kind.value, customer.primary_email or ""]


@dataclass(frozen=True)
class EntryLabels:
    """What a person reads for a registration's entry: its title, its start in the business's time zone
    (as a spreadsheet sorts it) and its tickets' names. Small, so an export can hold many."""

    title: str
    starts_local: str
    tickets: dict[str, str]

    def titles(self, ticket_id: str) -> tuple[str, str, str]:
        return self.title, self.starts_local, self.tickets.get(ticket_id, "")


def entry_labels(entry: Entry | None, tz: ZoneInfo) -> EntryLabels | None:
    if entry is None:
        return None  # deleted since: the row keeps its ids, the title cells stay blank
    return EntryLabels(entry.title, entry.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                       {t.ticket_id: t.title for t in entry.tickets})


def registration_row(customer: Customer, booking: Booking, titles: tuple[str, str, str] = NO_TITLES) -> list[str]:
    return [safe_cell(c) for c in (
        *_customer_cells(customer), "registration", booking.booking_id, f"{booking.entry_id}/{booking.ticket_id}",
        booking.entry_starts_at.isoformat(), booking.status.value, "; ".join(booking.participants),
        booking.paid_with.value, "", "", *titles)]


def payment_row(customer: Customer, purchase: Pass) -> list[str]:
    """A pass purchase (the payments the product records today; see README for what is missing)."""
    return [safe_cell(c) for c in (
        *_customer_cells(customer), "payment", purchase.purchase_ref or purchase.pass_id, f"pass: {purchase.title}",
        purchase.purchased_at.isoformat(), "revoked" if purchase.revoked else "paid" if purchase.purchase_ref else "issued",
        "", "card" if purchase.purchase_ref else "staff", str(purchase.price_minor), purchase.currency, *NO_TITLES)]


def recorded_payment_row(customer: Customer, record: PaymentRecord) -> list[str]:
    """A payment or refund of the payments record (B6): membership invoices, card tickets, refunds."""
    refs = {"booking": ", ".join(record.booking_ids), "pass": record.pass_product_id or "",
            "membership": record.membership_id or ""}.get(record.purpose, "")
    return [safe_cell(c) for c in (
        *_customer_cells(customer), "refund" if record.kind is PaymentKind.REFUND else "payment", record.payment_id,
        f"{record.kind.value} for {record.purpose}: {refs}".rstrip(": "), record.at.isoformat(), record.state.value,
        "", "card", str(record.amount_minor), record.currency, *NO_TITLES)]


def exported_from_record(record: PaymentRecord) -> bool:
    """Pass purchases already have their rows (``payment_row``); everything else comes from the record."""
    return not (record.kind is not PaymentKind.REFUND and record.purpose == "pass")


class ExportState(str, Enum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class ExportJob:
    """A background export staff poll; ``key`` names the finished file."""

    business_id: str
    job_id: str
    state: ExportState
    created_at: datetime
    emails: tuple[str, ...] | None = None  # None: every customer
    rows: int = 0
    key: str | None = None
    error: str | None = None
