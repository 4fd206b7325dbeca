"""Courses (S1–S3, S6): a subscription product linked to a series, bought only through booking.

A course is a membership product with ``CourseTerms`` (``domain/courses.py``): its subscription, member
record, lifecycle emails and portal are the membership's own. What a course adds is here: its checkout
holds a place on every remaining session of the series in one transaction before Stripe is asked (the
409 names the full sessions), bills on the course's cycle (``course_billing``), and its completion
confirms those held places (the membership's ``HeldPlaceSettlement``), ends the subscription at the
course's end (``cancel_at``) and puts the buyer on the roster, once.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from ..domain.bookings import (
    CARD_HOLD_SECONDS,
    Booking,
    BookingStatus,
    CardPaymentRef,
    Settlement,
    SettlementKind,
    check_request,
)
from ..domain.courses import CourseBilling, CourseTerms, Enrolment, check_course, course_billing, course_end, remaining_sessions
from ..domain.dates import in_words
from ..domain.errors import ConflictError, NotFoundError, RuleRefusedError, SessionsFullError
from ..domain.memberships import Checkout, Membership, PriceOption
from ..ports.clock import Clock, new_id, utc_now
from ..ports.payments import BusinessPayments, CheckoutLine, CheckoutRequest
from .memberships.checkout import release_places

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from ..domain.catalogue import Entry
    from ..domain.context import BookerContext, StaffContext
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore
    from ..ports.courses import EnrolmentStore, SessionHolds
    from ..ports.memberships import CheckoutStore, MembershipStore
    from ..ports.payments import CompletedCheckout
    from .memberships.catalogue import MembershipCatalogue


@dataclass(frozen=True)
class NewCourse:
    title: str
    series_id: str
    ticket_id: str
    amount_minor: int
    currency: str
    interval: str
    interval_count: int
    ends_on: date
    starts_on: date | None = None  # the first cycle's day; default: the day of the series' first session
    description: str = ""
    auto_enrol: bool = True


@dataclass(frozen=True)
class CoursePurchase:
    success_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class CourseCheckoutStarted:
    checkout_id: str
    session_id: str
    url: str
    expires_at: int | None
    held_booking_ids: tuple[str, ...]
    billing: CourseBilling | None


def course_of(m: Membership) -> CourseTerms:
    if m.course is None:
        raise NotFoundError(f"Course '{m.membership_id}' does not exist.")
    return m.course


def course_option(m: Membership) -> PriceOption:
    option = next((o for o in m.options if o.active and o.recurring and o.provider_price_id), None)
    if option is None:
        raise RuleRefusedError("price_unavailable", "This course has no price that can be bought.")
    return option


def full_sessions_error(sessions: list[Entry], full_ids: list[str], tz: ZoneInfo) -> RuleRefusedError:
    """S6: the 409 says which sessions are full, by title and time in the business's zone."""
    full = [e for e in sessions if e.entry_id in full_ids]
    named = "; ".join(f"{e.title}, {in_words(e.starts_at, tz)}" for e in full)
    return RuleRefusedError("sessions_full", f"The checkout did not open: these sessions are full: {named}.",
                            sessions=[{"entry_id": e.entry_id, "title": e.title, "starts_at": e.starts_at.isoformat()}
                                      for e in full])


class CourseCatalogue:
    """S1: staff make a course: a membership product (group, Stripe product, one recurring price) plus terms."""

    def __init__(self, memberships: MembershipStore, membership_catalogue: Callable[[], MembershipCatalogue],
                 catalogue: CatalogueStore) -> None:
        self.memberships = memberships
        self.membership_catalogue = membership_catalogue
        self.catalogue = catalogue

    def create(self, ctx: StaffContext, body: NewCourse) -> Membership:
        from .memberships.catalogue import NewMembership, NewPriceOption

        tz = ctx.business.tz
        sessions = sorted(self.catalogue.entries_in_series(ctx.business_id, body.series_id), key=lambda e: e.starts_at)
        if not sessions:
            raise NotFoundError(f"Series '{body.series_id}' does not exist.")
        sessions[0].ticket(body.ticket_id)
        starts_on = body.starts_on or sessions[0].starts_at.astimezone(tz).date()
        starts_at = datetime.combine(starts_on, datetime.min.time(), tzinfo=tz)
        ends_at = course_end(body.ends_on, tz)
        check_course(starts_at, ends_at, body.interval, body.interval_count)
        option = NewPriceOption(body.title, body.amount_minor, body.currency, body.interval,  # type: ignore[arg-type]
                                body.interval_count)
        made = self.membership_catalogue().create(ctx, NewMembership(body.title, body.description, False, (), (option,)))
        terms = CourseTerms(body.series_id, body.ticket_id, starts_at.astimezone(UTC), ends_at, body.auto_enrol)
        course = replace(made, course=terms)
        self.memberships.save(course)
        return course

    def get(self, business_id: str, course_id: str) -> Membership:
        course = self.memberships.get(business_id, course_id)
        course_of(course)
        return course


class CourseCheckout:
    def __init__(self, memberships: MembershipStore, enrolments: EnrolmentStore, checkouts: CheckoutStore,
                 catalogue: CatalogueStore, bookings: BookingStore, holds: SessionHolds, payments: BusinessPayments,
                 public_base_url: str, clock: Clock = utc_now) -> None:
        self.memberships = memberships
        self.enrolments = enrolments
        self.checkouts = checkouts
        self.catalogue = catalogue
        self.bookings = bookings
        self.holds = holds
        self.payments = payments
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock

    def quote(self, business_id: str, course_id: str) -> CourseBilling:
        """S2: what joining now costs, charge by charge (shown before the booker pays)."""
        course = self.memberships.get(business_id, course_id)
        terms, option = course_of(course), course_option(course)
        return course_billing(option.amount_minor, option.interval, option.interval_count,  # type: ignore[arg-type]
                              terms.starts_at, terms.ends_at, self.clock())

    def start(self, ctx: BookerContext, course_id: str, body: CoursePurchase) -> CourseCheckoutStarted:
        business_id, email = ctx.business_id, ctx.email
        port = self.payments.for_business(business_id)  # T6: refused before any place is held
        course = self.memberships.get(business_id, course_id)
        terms, option = course_of(course), course_option(course)
        if not terms.auto_enrol:
            raise RuleRefusedError("not_auto_enrol", "This course is joined through staff, not bought online.")
        enrolled = self.enrolments.find(business_id, course_id, email)
        if enrolled is not None and enrolled.active:
            raise ConflictError("You are already enrolled in this course.", code="already_enrolled")
        now = self.clock()
        billing = course_billing(option.amount_minor, option.interval, option.interval_count,  # type: ignore[arg-type]
                                 terms.starts_at, terms.ends_at, now)
        sessions = remaining_sessions(self.catalogue.entries_in_series(business_id, terms.series_id), now)
        if not sessions:
            raise RuleRefusedError("course_ended", "No session of this course is left to join.")
        checkout_id = new_id()
        already_open = self.checkouts.claim_membership(business_id, course_id, email, checkout_id)
        if already_open is not None:
            return self._the_open_one(business_id, already_open)
        try:
            held = self._hold_all(ctx, sessions, terms, course_id, checkout_id, now)
        except Exception:
            self.checkouts.drop_claim(business_id, course_id, email, checkout_id)
            raise
        booking_ids = tuple(b.booking_id for b in held)
        try:
            self.checkouts.create(Checkout(business_id, checkout_id, course_id, option.option_id, email, booking_ids), now)
        except Exception:
            release_places(self.bookings, held, self.clock)
            self.checkouts.drop_claim(business_id, course_id, email, checkout_id)
            raise
        base = f"{self.public_base_url}/v1/businesses/{business_id}/courses/{course_id}"
        anchor = billing.billing_cycle_anchor
        request = CheckoutRequest(
            business_id=business_id, customer_email=email, mode="subscription",
            lines=(CheckoutLine(course.title, option.amount_minor, option.currency, provider_price_id=option.provider_price_id),),
            purpose="course", reference=checkout_id,
            metadata={"membership_id": course_id, "option_id": option.option_id, "course_id": course_id,
                      "course_ends_at": str(int(terms.ends_at.timestamp()))},
            success_url=body.success_url or f"{base}?checkout=success", cancel_url=body.cancel_url or f"{base}?checkout=cancelled",
            expires_in_seconds=CARD_HOLD_SECONDS,
            billing_cycle_anchor=int(anchor.timestamp()) if anchor else None, proration_behavior=billing.proration_behavior,
        )
        try:
            session = port.create_checkout(request)
        except Exception:
            release_places(self.bookings, held, self.clock)  # no session: nothing would ever release them
            self.checkouts.close(business_id, checkout_id, "failed")
            raise
        self.checkouts.set_session(business_id, checkout_id, session.session_id, session.url, session.expires_at)
        return CourseCheckoutStarted(checkout_id, session.session_id, session.url, session.expires_at, booking_ids, billing)

    def _hold_all(self, ctx: BookerContext, sessions: list[Entry], terms: CourseTerms, course_id: str,
                  checkout_id: str, now: datetime) -> list[Booking]:
        """S6: a held place on every remaining session, in one transaction, or none and a 409 naming the full ones."""
        held: list[Booking] = []
        pages: dict[str, bool] = {}
        for e in sessions:
            if e.page_id not in pages:
                pages[e.page_id] = self.catalogue.get_page(ctx.business_id, e.page_id).published
            check_request(e, e.ticket(terms.ticket_id), (), now, places=False, page_published=pages[e.page_id])
            held.append(Booking(ctx.business_id, new_id(), e.entry_id, terms.ticket_id, ctx.email, (),
                                Settlement(SettlementKind.CARD, CardPaymentRef(checkout_id), BookingStatus.HELD),
                                BookingStatus.HELD, now, e.starts_at,
                                hold_expires_at=now + timedelta(seconds=CARD_HOLD_SECONDS), course_id=course_id))
        full = [e.entry_id for e in sessions if e.places_left < 1]
        if full:  # refused before any write: the common case costs no transaction
            raise full_sessions_error(sessions, full, ctx.business.tz)
        try:
            self.holds.take_all(held, {e.entry_id: e.capacity for e in sessions}, ctx.business.max_places_per_booker)
        except SessionsFullError as exc:
            raise full_sessions_error(sessions, exc.entry_ids, ctx.business.tz) from exc
        return held

    def _the_open_one(self, business_id: str, checkout_id: str) -> CourseCheckoutStarted:
        open_one = self.checkouts.find(business_id, checkout_id)
        if open_one is None or not open_one.session_id or not open_one.url:
            raise ConflictError("Your checkout for this course is being opened; try again in a moment.",
                                code="checkout_in_progress")
        return CourseCheckoutStarted(open_one.checkout_id, open_one.session_id, open_one.url, open_one.expires_at,
                                     open_one.booking_ids, None)


class CourseCompletion:
    """``checkout_handlers["course"]``: the membership completion, then the course's own end and roster."""

    def __init__(self, complete_membership: Callable[[CompletedCheckout], None], checkouts: CheckoutStore,
                 memberships: MembershipStore, enrolments: EnrolmentStore, bookings: BookingStore,
                 payments: BusinessPayments, clock: Clock = utc_now) -> None:
        self.complete_membership = complete_membership
        self.checkouts = checkouts
        self.memberships = memberships
        self.enrolments = enrolments
        self.bookings = bookings
        self.payments = payments
        self.clock = clock

    def complete(self, done: CompletedCheckout) -> None:
        self.complete_membership(done)  # places confirmed, member record, both emails (each once)
        checkout = self.checkouts.find(done.business_id, done.reference)
        if checkout is None:
            raise NotFoundError(f"checkout {done.reference} of session {done.session_id} is unknown")
        terms = course_of(self.memberships.get_recent(done.business_id, checkout.membership_id))
        if done.subscription_id:  # S7: billing stops by itself at the course's end
            self.payments.for_business(done.business_id).set_cancel_at(
                done.subscription_id, int(terms.ends_at.timestamp()), key=checkout.checkout_id)
        confirmed = [b for b in (self.bookings.get(done.business_id, bid) for bid in checkout.booking_ids)
                     if b.status is BookingStatus.CONFIRMED]
        if confirmed:  # none: a second subscription, undone and refunded by the membership completion
            self.enrolments.enrol(Enrolment(done.business_id, checkout.membership_id, checkout.email, "purchase",
                                            self.clock(), done.subscription_id, checkout.checkout_id))
