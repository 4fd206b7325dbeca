"""Domain objects → response models (one function per resource, used by every route)."""
from __future__ import annotations

from ..domain.bookings import Booking
from ..domain.catalogue import Entry, SchedulePage
from ..domain.customers import Customer
from ..domain.tenancy import Business
from ..schemas.bookings import BookingOut
from ..schemas.business import BusinessOut
from ..schemas.catalogue import EntryOut, PageOut, TicketOut
from ..schemas.customers import CustomerOut, ParticipantOut


def business_out(b: Business) -> BusinessOut:
    return BusinessOut(
        business_id=b.business_id,
        name=b.name,
        plan=b.plan.value,
        timezone=b.timezone,
        return_use_on_cancel=b.return_use_on_cancel,
    )


def page_out(p: SchedulePage) -> PageOut:
    return PageOut(page_id=p.page_id, title=p.title, published=p.published)


def entry_out(e: Entry) -> EntryOut:
    return EntryOut(
        entry_id=e.entry_id,
        page_id=e.page_id,
        title=e.title,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        capacity=e.capacity,
        booked=e.booked,
        places_left=e.places_left,
        published=e.published,
        series_id=e.series_id,
        tickets=[
            TicketOut(
                ticket_id=t.ticket_id,
                title=t.title,
                price_minor=t.price_minor,
                currency=t.currency,
                exclusive=t.exclusive,
                exclusive_group_id=t.exclusive_group_id,
            )
            for t in e.tickets
        ],
    )


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        email=c.email,
        name=c.name,
        kind=c.kind.value,
        participants=[ParticipantOut(participant_id=p.participant_id, name=p.name) for p in c.participants],
        signed_in_at=c.signed_in_at,
        disabled=c.disabled,
    )


def booking_out(b: Booking) -> BookingOut:
    return BookingOut(
        booking_id=b.booking_id,
        entry_id=b.entry_id,
        ticket_id=b.ticket_id,
        booker_email=b.booker_email,
        participants=list(b.participants),
        seats=b.seats,
        status=b.status.value,
        paid_with=b.settlement.kind.value,
        payment=b.settlement.ref,
        created_at=b.created_at,
        entry_starts_at=b.entry_starts_at,
        cancelled_at=b.cancelled_at,
        use_returned=b.use_returned,
    )
