"""Demo data for the local stack: business ``demo-studio`` (plan standard, Europe/Berlin), one
schedule page, and classes over the next three days with free and paid tickets.

Idempotent: ids are fixed (entries carry their date), and only what is missing is written, so
running it at every ``make run`` never duplicates anything nor undoes what was changed or booked
since; on a later day it adds that day's coming classes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.adapters.dynamodb.catalogue import CatalogueRepository
from chalicelib.adapters.dynamodb.tenancy import BusinessRepository
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket, to_utc
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.tenancy import Business, Plan

from .settings import DEMO_BUSINESS

TIMEZONE = "Europe/Berlin"
PAGE_ID = "demo-classes"

# (days from today, local start, minutes, title, capacity, [(ticket title, price in cents)])
CLASSES = [
    (1, time(9, 0), 60, "Morning yoga", 12, [("Trial class", 0), ("Drop-in", 1500)]),
    (1, time(18, 30), 45, "Evening spin", 10, [("Drop-in", 1200)]),
    (2, time(10, 0), 90, "Open studio", 20, [("Free entry", 0)]),
    (3, time(9, 0), 60, "Morning yoga", 12, [("Trial class", 0), ("Drop-in", 1500)]),
]


@dataclass
class Seeded:
    business_created: bool
    page_created: bool
    entries_created: int


def seed(today: date | None = None) -> Seeded:
    businesses, catalogue = BusinessRepository(), CatalogueRepository()
    tz = ZoneInfo(TIMEZONE)
    today = today or datetime.now(tz).date()

    business_created = _missing(lambda: businesses.get(DEMO_BUSINESS))
    if business_created:
        businesses.save(Business(DEMO_BUSINESS, "Demo Studio", Plan.STANDARD, TIMEZONE, return_use_on_cancel=True))
    page_created = _missing(lambda: catalogue.get_page(DEMO_BUSINESS, PAGE_ID))
    if page_created:
        catalogue.save_page(SchedulePage(DEMO_BUSINESS, PAGE_ID, "Classes", published=True))

    entries_created = 0
    for days, start, minutes, title, capacity, tickets in CLASSES:
        day = today + timedelta(days=days)
        entry_id = f"demo-{day.isoformat()}-{_slug(title)}"
        if not _missing(lambda entry_id=entry_id: catalogue.get_entry(DEMO_BUSINESS, entry_id)):
            continue
        starts = to_utc(datetime.combine(day, start), tz)
        catalogue.save_entry(Entry(
            business_id=DEMO_BUSINESS,
            entry_id=entry_id,
            page_id=PAGE_ID,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            capacity=capacity,
            tickets=tuple(Ticket(f"{entry_id}-{_slug(t)}", t, price, "EUR") for t, price in tickets),
        ))
        entries_created += 1
    return Seeded(business_created, page_created, entries_created)


def _missing(get) -> bool:  # type: ignore[no-untyped-def]
    try:
        get()
    except NotFoundError:
        return True
    return False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
