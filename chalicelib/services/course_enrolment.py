"""A course's roster after the purchase (S4, S5, S7): staff add and remove people, a booker leaves one
session, and changes to the series' sessions follow the enrolled (moved: emailed; added: everyone
enrolled; cancelled: places and credits back, emailed; deleting one with enrolments is refused).

A credit is one session of the course: each enrolled session is a booking of the course's ticket, so the
credits a person holds are the course's sessions they are booked on; leaving a session gives it back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.bookings import Booking, BookingStatus, NoRef, Settlement, SettlementKind
from ..domain.catalogue import Entry, check_times, to_utc
from ..domain.courses import Enrolment, prorated_refund, remaining_sessions
from ..domain.dates import in_words
from ..domain.errors import ConflictError, EntryFullError, NotFoundError, RuleRefusedError, SessionsFullError
from ..ports.clock import Clock, new_id, utc_now
from .courses import course_of, full_sessions_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import BookerContext, StaffContext
    from ..domain.courses import CourseTerms
    from ..domain.memberships import Membership
    from ..domain.paging import Page, PageRequest
    from ..domain.tenancy import Business
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore
    from ..ports.courses import EnrolmentStore, SessionHolds
    from ..ports.memberships import MembershipStore
    from ..ports.messaging import MailerPort
    from ..ports.payments import BusinessPayments


@dataclass(frozen=True)
class Removal:
    email: str
    sessions_released: int
    refunded_minor: int
    currency: str


@dataclass(frozen=True)
class SessionMove:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class AddedSession:
    entry: Entry
    enrolled: tuple[str, ...]


def _free(business_id: str, course_id: str, entry: Entry, ticket_id: str, email: str, now: datetime,
          booking_id: str | None = None) -> Booking:
    """A place of the course itself (staff enrolment, a session added later): no payment of its own."""
    return Booking(business_id, booking_id or new_id(), entry.entry_id, ticket_id, email, (),
                   Settlement(SettlementKind.FREE, NoRef()), BookingStatus.CONFIRMED, now, entry.starts_at,
                   course_id=course_id)


class CourseEnrolment:
    def __init__(self, memberships: MembershipStore, enrolments: EnrolmentStore, catalogue: CatalogueStore,
                 bookings: BookingStore, holds: SessionHolds, payments: BusinessPayments,
                 mailer: Callable[[], MailerPort], clock: Clock = utc_now,
                 cancel_place: Callable[[Business, Booking], Booking] | None = None,
                 notify: Callable[[str, Booking], None] | None = None) -> None:
        self.memberships = memberships
        self.enrolments = enrolments
        self.catalogue = catalogue
        self.bookings = bookings
        self.holds = holds
        self.payments = payments
        self.mailer = mailer
        self.clock = clock
        self.cancel_place = cancel_place  # BookingService.cancel_place: the one cancellation rule (S5)
        self.notify = notify  # BookingNotices.enqueue: a rejoined session is confirmed by email like any booking

    def _course(self, business_id: str, course_id: str) -> tuple[Membership, CourseTerms]:
        course = self.memberships.get(business_id, course_id)
        return course, course_of(course)

    def _sessions(self, business_id: str, terms: CourseTerms) -> list[Entry]:
        return sorted(self.catalogue.entries_in_series(business_id, terms.series_id), key=lambda e: e.starts_at)

    def _session(self, business_id: str, terms: CourseTerms, entry_id: str) -> Entry:
        entry = self.catalogue.get_entry(business_id, entry_id)
        if entry.series_id != terms.series_id:
            raise NotFoundError(f"Session '{entry_id}' is not a session of this course.")
        return entry

    def _places_of(self, business_id: str, email: str, entry_ids: set[str]) -> list[Booking]:
        return [b for b in self.bookings.for_booker(business_id, email)
                if b.entry_id in entry_ids and b.status is not BookingStatus.CANCELLED]

    def roster(self, ctx: StaffContext, course_id: str, page: PageRequest) -> Page[Enrolment]:
        self._course(ctx.business_id, course_id)
        return self.enrolments.roster_page(ctx.business_id, course_id, page)

    def enrol_by_hand(self, ctx: StaffContext, course_id: str, email: str) -> Enrolment:
        """S4: staff add anyone, with the same holds as a purchase (all remaining sessions or a 409), no payment."""
        _, terms = self._course(ctx.business_id, course_id)
        found = self.enrolments.find(ctx.business_id, course_id, email)
        if found is not None and found.active:
            raise ConflictError(f"{email} is already enrolled in this course.", code="already_enrolled")
        now = self.clock()
        sessions = remaining_sessions(self._sessions(ctx.business_id, terms), now)
        if not sessions:
            raise RuleRefusedError("course_ended", "No session of this course is left to join.")
        places = [_free(ctx.business_id, course_id, e, terms.ticket_id, email, now) for e in sessions]
        try:
            self.holds.take_all(places, {e.entry_id: e.capacity for e in sessions}, None)
        except SessionsFullError as exc:
            raise full_sessions_error(sessions, exc.entry_ids, ctx.business.tz) from exc
        enrolment = Enrolment(ctx.business_id, course_id, email, "staff", now)
        if not self.enrolments.enrol(enrolment):  # enrolled meanwhile by another request: give these back
            self._release(places, now)
            raise ConflictError(f"{email} is already enrolled in this course.", code="already_enrolled")
        return enrolment

    def remove(self, ctx: StaffContext, course_id: str, email: str, refund: bool) -> Removal:
        """S5: staff take someone off the course: places of sessions not started come back, a bought course's
        subscription ends now, and on request the sessions left of the paid period are refunded through Stripe."""
        course, terms = self._course(ctx.business_id, course_id)
        enrolment = self.enrolments.find(ctx.business_id, course_id, email)
        if enrolment is None or not enrolment.active:
            raise NotFoundError(f"{email} is not enrolled in this course.")
        now = self.clock()
        sessions = self._sessions(ctx.business_id, terms)
        future = {e.entry_id for e in sessions if e.starts_at > now}
        released = self._release(self._places_of(ctx.business_id, email, future), now)
        refunded, currency = 0, course.options[0].currency if course.options else ""
        if enrolment.subscription_id:
            port = self.payments.for_business(ctx.business_id)
            sub = port.retrieve_subscription(enrolment.subscription_id)
            if refund and sub.latest_invoice_id and sub.current_period_start and sub.current_period_end:
                invoice = port.retrieve_invoice(sub.latest_invoice_id)
                start, end = sub.current_period_start, sub.current_period_end
                in_period = [e for e in sessions if start <= e.starts_at.timestamp() < end]
                refunded = prorated_refund(invoice.amount_paid, len(in_period),
                                           sum(1 for e in in_period if e.entry_id in future))
                if refunded:
                    port.refund_payment(None, invoice.invoice_id, refunded, key=f"course-leave:{enrolment.subscription_id}")
                currency = invoice.currency.upper()
            port.cancel_now(enrolment.subscription_id, refund=False, key=f"course-leave:{course_id}:{email}")
        self.enrolments.leave(ctx.business_id, course_id, email, now)
        return Removal(email, released, refunded, currency)

    def leave_session(self, ctx: BookerContext, course_id: str, entry_id: str) -> Booking:
        """S5: a booker leaves one session (not the whole course): its place and its credit come back."""
        _, terms = self._course(ctx.business_id, course_id)
        enrolment = self.enrolments.find(ctx.business_id, course_id, ctx.email)
        if enrolment is None or not enrolment.active:
            raise NotFoundError("You are not enrolled in this course.")
        entry = self._session(ctx.business_id, terms, entry_id)
        now = self.clock()
        if entry.starts_at <= now:
            raise RuleRefusedError("entry_started", "This session has already started.")
        mine = [b for b in self._places_of(ctx.business_id, ctx.email, {entry_id}) if b.status is BookingStatus.CONFIRMED]
        if not mine:
            raise ConflictError("You are not booked on this session.", code="not_booked")
        if self.cancel_place is not None:
            return self.cancel_place(ctx.business, mine[0])
        returned = self.bookings.cancel(mine[0], now, give_back_use=True)
        return replace(mine[0], status=BookingStatus.CANCELLED, cancelled_at=now, use_returned=returned)

    def rejoin_session(self, ctx: BookerContext, course_id: str, entry_id: str) -> Booking:
        """S5: a session the booker left is booked again with the credit leaving gave back."""
        course, terms = self._course(ctx.business_id, course_id)
        entry = self._session(ctx.business_id, terms, entry_id)
        enrolment = self.enrolments.find(ctx.business_id, course.membership_id, ctx.email)
        if enrolment is None or not enrolment.active:
            raise NotFoundError("You are not enrolled in this course.")
        credit = self._credit_of(ctx, course.membership_id, entry)
        if credit is None:
            raise RuleRefusedError("no_course_credit", "No credit of this course for this session: you are booked "
                                   "on it, or you never left it.")
        return self._rejoin(ctx, course, terms, entry, credit)

    def rejoin_with_credit(self, ctx: BookerContext, entry: Entry, ticket_id: str) -> Booking | None:
        """``BookingService.book`` under ``pay_with=auto``: a course's ticket on a session the booker left is paid
        by the course's credit, as ``rejoin_session``; None when this is no such booking (the usual methods pay)."""
        course = self.course_of_session(ctx.business_id, entry)
        if course is None or course.course is None or course.course.ticket_id != ticket_id:
            return None
        enrolment = self.enrolments.find(ctx.business_id, course.membership_id, ctx.email)
        credit = self._credit_of(ctx, course.membership_id, entry) if enrolment and enrolment.active else None
        return None if credit is None else self._rejoin(ctx, course, course.course, entry, credit)

    def _credit_of(self, ctx: BookerContext, course_id: str, entry: Entry) -> Booking | None:
        """The course place on ``entry`` whose cancellation gave its credit back (the latest), unless the
        booker holds a place on it again."""
        mine = [b for b in self.bookings.for_booker(ctx.business_id, ctx.email) if b.entry_id == entry.entry_id]
        if any(b.status is not BookingStatus.CANCELLED for b in mine):
            return None
        returned = [b for b in mine if b.course_id == course_id and b.use_returned and b.cancelled_at is not None]
        return max(returned, key=lambda b: b.cancelled_at or b.created_at, default=None)

    def _rejoin(self, ctx: BookerContext, course: Membership, terms: CourseTerms, entry: Entry,
                credit: Booking) -> Booking:
        """One transaction (the booking's): a place within capacity, under an id made from the credit it spends,
        so two attempts with the same credit cannot both write (the second is ``duplicate_booking``). The
        callers found the enrolment and the credit once; nothing is read again here."""
        now = self.clock()
        if entry.starts_at <= now:
            raise RuleRefusedError("entry_started", "This session has already started.")
        place = _free(ctx.business_id, course.membership_id, entry, terms.ticket_id, ctx.email, now,
                      booking_id=hashlib.sha256(f"rejoin:{credit.booking_id}".encode()).hexdigest()[:20])
        try:
            self.bookings.create(place, capacity=entry.capacity, booker_cap=ctx.business.max_places_per_booker)
        except EntryFullError as exc:
            raise RuleRefusedError("no_places_left", "This session is full; your credit stays.", places_left=0) from exc
        if self.notify is not None:
            self.notify("confirmed", place)  # once: a second try with the same credit never gets this far
        return place

    def move_session(self, ctx: StaffContext, course_id: str, entry_id: str, move: SessionMove) -> Entry:
        """S7: one session changes day or time; its enrolments stay, and every one enrolled on it is emailed."""
        course, terms = self._course(ctx.business_id, course_id)
        before = self._session(ctx.business_id, terms, entry_id)
        tz = ctx.business.tz
        after = replace(before, starts_at=to_utc(move.starts_at, tz), ends_at=to_utc(move.ends_at, tz))
        check_times(after.starts_at, after.ends_at)
        self.catalogue.update_entry(before, after)
        self._tell_moved(ctx, course, before, after)
        return after

    def _tell_moved(self, ctx: StaffContext, course: Membership, before: Entry, after: Entry) -> None:
        """S7: every one enrolled on a session whose time changed is emailed, once per new time."""
        if after.starts_at == before.starts_at:
            return
        tz = ctx.business.tz
        context = {"business_name": ctx.business.name, "course_title": course.title, "entry_title": after.title,
                   "was": in_words(before.starts_at, tz), "now": in_words(after.starts_at, tz)}
        occurrence = f"{after.entry_id}:{after.starts_at.isoformat()}"
        for email in self._enrolled_on(ctx.business_id, after.entry_id):
            self.mailer().send_once(occurrence, "course_session_moved", email, context)

    # The generic catalogue routes (PATCH/DELETE /v1/manage/entries/{id}) hand a course's sessions here
    # (``CatalogueService.sessions``), so both ways of changing a session do the same thing.
    def course_of_session(self, business_id: str, entry: Entry) -> Membership | None:
        """The course whose series holds ``entry`` (None for an entry of no course): one Query of the business's
        membership products, only for an entry of a series."""
        if entry.series_id is None:
            return None
        return next((m for m in self.memberships.list(business_id)
                     if m.course is not None and m.course.series_id == entry.series_id), None)

    def session_changed(self, ctx: StaffContext, before: Entry, after: Entry) -> None:
        course = self.course_of_session(ctx.business_id, before)
        if course is not None:
            self._tell_moved(ctx, course, before, after)

    def delete_if_session(self, ctx: StaffContext, entry: Entry, cancel: bool) -> bool:
        """Delete a course's session by the course's rule (``delete_session``); False when ``entry`` is no course's."""
        course = self.course_of_session(ctx.business_id, entry)
        if course is None:
            return False
        self.delete_session(ctx, course.membership_id, entry.entry_id, cancel)
        return True

    def add_session(self, ctx: StaffContext, course_id: str, move: SessionMove) -> AddedSession:
        """S7: a session added to the series later enrols everyone enrolled (all or none: a place for each)."""
        _, terms = self._course(ctx.business_id, course_id)
        sessions = self._sessions(ctx.business_id, terms)
        if not sessions:
            raise NotFoundError(f"Series '{terms.series_id}' has no session to copy.")
        tz = ctx.business.tz
        model = sessions[-1]
        entry = replace(model, entry_id=new_id(), starts_at=to_utc(move.starts_at, tz), ends_at=to_utc(move.ends_at, tz),
                        booked=0)
        check_times(entry.starts_at, entry.ends_at)
        roster = [e.email for e in self.enrolments.roster(ctx.business_id, course_id)]
        if len(roster) > entry.capacity:
            raise RuleRefusedError("no_places_left", f"The new session has {entry.capacity} places for "
                                   f"{len(roster)} enrolled.", places_left=entry.capacity)
        self.catalogue.save_entry(entry)
        now = self.clock()
        for email in roster:
            self.bookings.create(_free(ctx.business_id, course_id, entry, terms.ticket_id, email, now),
                                 capacity=entry.capacity)
        return AddedSession(replace(entry, booked=len(roster)), tuple(roster))

    def delete_session(self, ctx: StaffContext, course_id: str, entry_id: str, cancel: bool) -> int:
        """S7: a session with enrolments is deleted only when staff choose to cancel it: every place and
        credit comes back and the enrolled are emailed. Returns how many were cancelled."""
        course, terms = self._course(ctx.business_id, course_id)
        entry = self._session(ctx.business_id, terms, entry_id)
        places = [b for b in self.bookings.for_entry(ctx.business_id, entry_id) if b.status is not BookingStatus.CANCELLED]
        if places and not cancel:
            raise RuleRefusedError("session_has_enrolments", f"{len(places)} people are enrolled on this session: "
                                   "cancel it (cancel=true) to give their places and credits back.", enrolled=len(places))
        now = self.clock()
        context = {"business_name": ctx.business.name, "course_title": course.title, "entry_title": entry.title,
                   "starts_at": in_words(entry.starts_at, ctx.business.tz)}
        self._release(places, now)
        for b in places:
            self.mailer().send_once(f"cancelled:{entry_id}", "course_session_cancelled", b.booker_email, context)
        self.catalogue.delete_entry(ctx.business_id, entry_id)
        return len(places)

    def _enrolled_on(self, business_id: str, entry_id: str) -> list[str]:
        return sorted({b.booker_email for b in self.bookings.for_entry(business_id, entry_id)
                       if b.status is BookingStatus.CONFIRMED})

    def _release(self, places: list[Booking], now: datetime) -> int:
        released = 0
        for b in places:
            try:
                self.bookings.cancel(b, now, give_back_use=True)
                released += 1
            except ConflictError:
                pass  # cancelled meanwhile
        return released

