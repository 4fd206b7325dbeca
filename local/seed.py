"""Demo data for the local stack: business ``demo-studio`` (plan standard, Europe/Berlin) with an
owner and a staff member (staff records), a free-plan business ``demo-free`` with its owner, one
schedule page, and classes over the next three days with free and paid tickets. With a payment
provider (``make run``), also the membership a newcomer can buy: ``demo-membership`` (49 EUR a
month, option ``demo-monthly``), whose group has an offer of 4 member classes a month, and a
members-only class (exclusive ticket) on each of the next three days. Before the membership,
``demo-studio`` connects its own Stripe account on the provider through the real OAuth round trip
(T4); any other business stays not connected.

Idempotent: ids are fixed (entries carry their date), and only what is missing is written, so
running it at every ``make run`` never duplicates anything nor undoes what was changed or booked
since; on a later day it adds that day's coming classes.
"""
from __future__ import annotations

import http.client
import os
import re
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.adapters.dynamodb.catalogue import CatalogueRepository
from chalicelib.adapters.dynamodb.memberships import MembershipRepository
from chalicelib.adapters.dynamodb.staff import StaffRepository
from chalicelib.adapters.dynamodb.tenancy import BusinessRepository
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket, to_utc
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.memberships import Membership, PriceOption
from chalicelib.domain.staff import StaffMember, StaffRole
from chalicelib.domain.tenancy import Business, Caller, Plan, StripeConnection

from .settings import DEMO_BUSINESS, DEMO_FREE_BUSINESS, owner_subject, staff_subject

TIMEZONE = "Europe/Berlin"
PAGE_ID = "demo-classes"

# (days from today, local start, minutes, title, capacity, [(ticket title, price in cents)])
CLASSES = [
    (1, time(9, 0), 60, "Morning yoga", 12, [("Trial class", 0), ("Drop-in", 1500)]),
    (1, time(18, 30), 45, "Evening spin", 10, [("Drop-in", 1200)]),
    (2, time(10, 0), 90, "Open studio", 20, [("Free entry", 0)]),
    (3, time(9, 0), 60, "Morning yoga", 12, [("Trial class", 0), ("Drop-in", 1500)]),
]
MEMBERSHIP_ID = "demo-membership"
OPTION_ID = "demo-monthly"
MEMBERSHIP_TITLE = "Studio Monthly"
MEMBER_CLASS = (time(18, 0), 60, "Members pilates", 8, "Member ticket")  # on days 1-3, exclusive to the group


@dataclass
class Seeded:
    business_created: bool
    page_created: bool
    entries_created: int
    membership_created: bool = False
    member_entries_created: int = 0
    stripe_connected: bool = False


def seed(today: date | None = None, with_membership: bool = False) -> Seeded:
    """``with_membership`` needs the payment provider (the membership is a Product with a Price there)."""
    businesses, catalogue = BusinessRepository(), CatalogueRepository()
    tz = ZoneInfo(TIMEZONE)
    today = today or datetime.now(tz).date()

    business_created = _missing(lambda: businesses.get(DEMO_BUSINESS))
    if business_created:
        businesses.save(Business(DEMO_BUSINESS, "Demo Studio", Plan.STANDARD, TIMEZONE, return_use_on_cancel=True))
    _seed_staff(businesses)
    page_created = _missing(lambda: catalogue.get_page(DEMO_BUSINESS, PAGE_ID))
    if page_created:
        catalogue.save_page(SchedulePage(DEMO_BUSINESS, PAGE_ID, "Classes", published=True))

    entries_created = sum(
        _add_entry(catalogue, today + timedelta(days=days), start, minutes, title, capacity, tz,
                   tuple((t, price, None) for t, price in tickets))
        for days, start, minutes, title, capacity, tickets in CLASSES
    )
    if not with_membership:
        return Seeded(business_created, page_created, entries_created)
    stripe_connected = connect_stripe()
    membership_created, group_id = _seed_membership()
    start, minutes, title, capacity, ticket = MEMBER_CLASS
    member_entries = sum(_add_entry(catalogue, today + timedelta(days=days), start, minutes, title, capacity, tz,
                                    ((ticket, 0, group_id),)) for days in (1, 2, 3))
    return Seeded(business_created, page_created, entries_created, membership_created, member_entries, stripe_connected)


def connect_stripe(business_id: str = DEMO_BUSINESS, email: str = "owner@demo-studio.example") -> bool:
    """Connect the business's own account on the local provider as an owner would: the provider's
    approve button (OAuth authorize) gives a code, and the API's callback use case completes it.
    True when it connected now (False: already connected)."""
    from chalicelib.bootstrap import container

    connect = container().stripe_connect
    if connect.status_of(business_id).stripe_connection is StripeConnection.CONNECTED:
        return False
    state = connect.sign_state(business_id, "seed")
    base = urllib.parse.urlsplit(os.environ.get("STRIPE_API_BASE") or getattr(container().payments, "api_base", ""))
    form = urllib.parse.urlencode({"client_id": "ca_local", "state": state, "email": email,
                                   "redirect_uri": connect.callback_url})
    conn = http.client.HTTPConnection(base.hostname or "127.0.0.1", base.port, timeout=10)
    conn.request("POST", "/oauth/authorize", form, {"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    location = resp.getheader("Location") or ""
    conn.close()
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [""])[0]
    if resp.status != 302 or not code:
        raise RuntimeError(f"the local provider did not approve the connection ({resp.status})")
    connect.complete(code, state)
    return True


def _seed_staff(businesses: BusinessRepository) -> None:
    """Owners and staff are records (tokens name no business): demo-studio's owner and one staff
    member, and a second, free-plan business ``demo-free`` with its own owner."""
    staff = StaffRepository()
    if _missing(lambda: businesses.get(DEMO_FREE_BUSINESS)):
        staff.create_business(Business(DEMO_FREE_BUSINESS, "Demo Free Club", Plan.FREE, TIMEZONE),
                              StaffMember(DEMO_FREE_BUSINESS, owner_subject(DEMO_FREE_BUSINESS), StaffRole.OWNER))
    for subject, role in ((owner_subject(DEMO_BUSINESS), StaffRole.OWNER), (staff_subject(DEMO_BUSINESS), StaffRole.STAFF)):
        if staff.find(subject, DEMO_BUSINESS) is None:
            staff.add(StaffMember(DEMO_BUSINESS, subject, role))


def _add_entry(catalogue: CatalogueRepository, day: date, start: time, minutes: int, title: str, capacity: int,
               tz: ZoneInfo, tickets: tuple[tuple[str, int, str | None], ...]) -> bool:
    """The class of that day, unless it is there already; True if written now."""
    entry_id = f"demo-{day.isoformat()}-{_slug(title)}"
    if not _missing(lambda: catalogue.get_entry(DEMO_BUSINESS, entry_id)):
        return False
    starts = to_utc(datetime.combine(day, start), tz)
    catalogue.save_entry(Entry(
        business_id=DEMO_BUSINESS,
        entry_id=entry_id,
        page_id=PAGE_ID,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        capacity=capacity,
        tickets=tuple(Ticket(f"{entry_id}-{_slug(t)}", t, price, "EUR", group) for t, price, group in tickets),
    ))
    return True


def _seed_membership() -> tuple[bool, str]:
    """The demo membership, its group and the group's offer; (created now, group id).

    Fixed ids make every step safe to repeat after an interrupted run: the group id derives from the
    membership's, the provider replays product and price creation by idempotency key, the offer is
    added only to a group without one, and the membership is saved last."""
    from chalicelib.bootstrap import container
    from chalicelib.ports.payments import RecurringPrice
    from chalicelib.services.groups import NewOffer, ScopeTerms, UsageTerms

    memberships = MembershipRepository()
    try:
        return False, memberships.get(DEMO_BUSINESS, MEMBERSHIP_ID).group_id
    except NotFoundError:
        pass
    c = container()
    payments = c.stripe_connect.for_business(DEMO_BUSINESS)
    description = "Four member classes a month, booked with member tickets."
    group = c.groups.create_membership_group(DEMO_BUSINESS, MEMBERSHIP_ID, MEMBERSHIP_TITLE, description)
    if not group.offers:
        staff = c.access.staff(Caller(owner_subject(DEMO_BUSINESS)), None, DEMO_BUSINESS)
        c.groups.create_offer(staff, group.group_id, NewOffer(ScopeTerms(page_id=PAGE_ID), title="Member classes",
                                                              usage=UsageTerms("per_period", 4, "month")))
    product_id = payments.create_product(DEMO_BUSINESS, MEMBERSHIP_ID, MEMBERSHIP_TITLE, description)
    price_id = payments.create_price(DEMO_BUSINESS, OPTION_ID, product_id, "Monthly", RecurringPrice(4900, "EUR", "month"))
    memberships.save(Membership(DEMO_BUSINESS, MEMBERSHIP_ID, MEMBERSHIP_TITLE, description, True, (PAGE_ID,),
                                group.group_id, product_id,
                                (PriceOption(OPTION_ID, "Monthly", 4900, "EUR", "month", 1, price_id),)))
    return True, group.group_id


def _missing(get) -> bool:  # type: ignore[no-untyped-def]
    try:
        get()
    except NotFoundError:
        return True
    return False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
