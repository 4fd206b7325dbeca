"""Buying a membership with a basket of member tickets (M3): hold the places, open a Stripe checkout.

The held places come back when the checkout expires or its payment fails (``release``), or, if that
event is lost, through the hold-release schedule (``holds``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from ...domain.baskets import BasketAllowance
from ...domain.bookings import (
    CARD_HOLD_SECONDS,
    Booking,
    BookingStatus,
    CardPaymentRef,
    Settlement,
    SettlementKind,
    check_request,
    raise_full,
)
from ...domain.errors import ConflictError, EntryFullError, NotFoundError, RuleRefusedError
from ...domain.groups import check_new_member_attendees
from ...domain.memberships import Checkout, Membership, has_access
from ...ports.clock import Clock, new_id, utc_now
from ...ports.payments import BusinessPayments, CheckoutLine, CheckoutRequest

if TYPE_CHECKING:

    from ...domain.context import BookerContext
    from ...ports.bookings import BookingStore
    from ...ports.catalogue import CatalogueStore
    from ...ports.groups import GroupStore
    from ...ports.memberships import CheckoutStore, MembershipStore, MemberStore

CHECKOUT_HOLD_SECONDS = CARD_HOLD_SECONDS  # Stripe's shortest session life: held places come back after it


@dataclass(frozen=True)
class BasketTicket:
    entry_id: str
    ticket_id: str
    participants: tuple[str, ...] = ()


@dataclass(frozen=True)
class MembershipPurchase:
    membership_id: str
    option_id: str
    tickets: tuple[BasketTicket, ...] = ()
    success_url: str | None = None
    cancel_url: str | None = None


@dataclass(frozen=True)
class CheckoutStarted:
    checkout_id: str
    session_id: str
    url: str
    expires_at: int | None
    held_booking_ids: tuple[str, ...]


def release_places(bookings: BookingStore, held: list[Booking], clock: Clock) -> None:
    for b in held:
        try:
            bookings.cancel(b, clock(), give_back_use=False)
        except ConflictError:
            pass  # already cancelled


class BasketCheckout:
    def __init__(self, memberships: MembershipStore, members: MemberStore, checkouts: CheckoutStore,
                 catalogue: CatalogueStore, bookings: BookingStore, payments: BusinessPayments,
                 public_base_url: str, clock: Clock = utc_now, groups: GroupStore | None = None) -> None:
        self.groups = groups  # the membership group's offers: their attendee rule applies at hold time (B8)
        self.memberships = memberships
        self.members = members
        self.checkouts = checkouts
        self.catalogue = catalogue
        self.bookings = bookings
        self.payments = payments
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock

    def start(self, ctx: BookerContext, body: MembershipPurchase) -> CheckoutStarted:
        business_id, email = ctx.business_id, ctx.account_email  # C1: an additional user buys for the account
        port = self.payments.for_business(business_id)  # T6: refused before any place is held
        membership = self.memberships.get(business_id, body.membership_id)
        if not membership.published or membership.course is not None:  # S1: a course is sold through booking
            raise NotFoundError(f"Membership '{body.membership_id}' does not exist.")
        option = membership.option(body.option_id)
        if not option.active or not option.provider_price_id:
            raise RuleRefusedError("price_unavailable", "This price option can no longer be bought.")
        now = self.clock()
        if any(has_access(r.status, r.cancel_at_period_end, r.current_period_end, now)
               for r in self.members.for_booker(business_id, email) if r.membership_id == membership.membership_id):
            raise ConflictError("You already hold this membership.", code="already_member")
        checkout_id = new_id()
        already_open = self.checkouts.claim_membership(business_id, membership.membership_id, email, checkout_id)
        if already_open is not None:
            return self._the_open_one(business_id, already_open)
        try:
            held, ticket_lines = self._hold_basket(business_id, membership, email, checkout_id, body,
                                                   ctx.business.max_places_per_booker)
        except Exception:
            self.checkouts.drop_claim(business_id, membership.membership_id, email, checkout_id)
            raise
        lines = [CheckoutLine(f"{membership.title} — {option.title}", option.amount_minor, option.currency,
                              provider_price_id=option.provider_price_id)]
        lines += [line for line in ticket_lines if line.amount_minor > 0]
        booking_ids = tuple(b.booking_id for b in held)
        try:
            self.checkouts.create(Checkout(business_id, checkout_id, membership.membership_id, option.option_id, email,
                                           booking_ids), now)
        except Exception:
            release_places(self.bookings, held, self.clock)
            self.checkouts.drop_claim(business_id, membership.membership_id, email, checkout_id)
            raise
        base = f"{self.public_base_url}/v1/businesses/{business_id}/memberships"
        request = CheckoutRequest(
            business_id=business_id, customer_email=email,
            mode="subscription" if option.recurring else "payment",
            lines=tuple(lines), purpose="membership", reference=checkout_id,
            metadata={"membership_id": membership.membership_id, "option_id": option.option_id},
            success_url=body.success_url or f"{base}?checkout=success", cancel_url=body.cancel_url or f"{base}?checkout=cancelled",
            expires_in_seconds=CHECKOUT_HOLD_SECONDS,
        )
        try:
            session = port.create_checkout(request)
        except Exception:
            release_places(self.bookings, held, self.clock)  # no session: nothing would ever release them
            self.checkouts.close(business_id, checkout_id, "failed")
            raise
        self.checkouts.set_session(business_id, checkout_id, session.session_id, session.url, session.expires_at)
        return CheckoutStarted(checkout_id, session.session_id, session.url, session.expires_at, booking_ids)

    def _the_open_one(self, business_id: str, checkout_id: str) -> CheckoutStarted:
        """B4: the booker already has this membership's checkout open: hand that one back, never a second."""
        open_one = self.checkouts.find(business_id, checkout_id)
        if open_one is None or not open_one.session_id or not open_one.url:
            raise ConflictError("Your checkout for this membership is being opened; try again in a moment.",
                                code="checkout_in_progress")
        return CheckoutStarted(open_one.checkout_id, open_one.session_id, open_one.url, open_one.expires_at,
                               open_one.booking_ids)

    def _hold_basket(self, business_id: str, membership: Membership, email: str, checkout_id: str,
                     body: MembershipPurchase, booker_cap: int) -> tuple[list[Booking], list[CheckoutLine]]:
        """Hold a place for every basket ticket (status ``held``), all or none; the checkout lines of those
        that no offer use of the first period pays."""
        held: list[Booking] = []
        lines: list[CheckoutLine] = []
        group = self.groups.get(business_id, membership.group_id) if self.groups and body.tickets else None
        allowance = BasketAllowance(group, self.clock()) if group is not None else None
        try:
            for i, item in enumerate(body.tickets):
                entry = self.catalogue.get_entry(business_id, item.entry_id)
                ticket = entry.ticket(item.ticket_id)
                if ticket.exclusive_group_id != membership.group_id:
                    raise RuleRefusedError("not_a_member_ticket",
                                           f"tickets.{i}: ticket '{ticket.ticket_id}' is not a member ticket of this membership.")
                if membership.page_ids and entry.page_id not in membership.page_ids:
                    raise RuleRefusedError("not_sold_here", f"tickets.{i}: this membership is not sold on that schedule page.")
                participants = tuple(item.participants)
                now = self.clock()
                check_request(entry, ticket, participants, now,
                              page_published=self.catalogue.get_page(business_id, entry.page_id).published)
                if group is not None:
                    check_new_member_attendees(group, entry.page_id, ticket, 1 + len(participants), now)
                by_offer = allowance is not None and allowance.take(i, entry.page_id, ticket, 1 + len(participants))
                booking = Booking(business_id, new_id(), entry.entry_id, ticket.ticket_id, email, participants,
                                  Settlement(SettlementKind.CARD, CardPaymentRef(checkout_id), BookingStatus.HELD),
                                  BookingStatus.HELD, now, entry.starts_at,
                                  hold_expires_at=now + timedelta(seconds=CHECKOUT_HOLD_SECONDS))
                try:
                    self.bookings.create(booking, capacity=entry.capacity, booker_cap=booker_cap)
                except EntryFullError:
                    raise_full(entry.places_left)
                held.append(booking)
                if not by_offer:  # B7: a ticket an offer use pays is not charged as well
                    lines.append(CheckoutLine(f"{entry.title} — {ticket.title}", ticket.price_minor, ticket.currency,
                                              quantity=booking.seats))
        except Exception:
            release_places(self.bookings, held, self.clock)
            raise
        return held, lines

    def release(self, business_id: str, checkout_id: str) -> None:
        """The session expired or its async payment failed: give the held places back (once)."""
        checkout = self.checkouts.find(business_id, checkout_id)
        if checkout is None or not self.checkouts.close(business_id, checkout_id, "expired"):
            return
        held = [self.bookings.get(business_id, bid) for bid in checkout.booking_ids]
        release_places(self.bookings, [b for b in held if b.status is BookingStatus.HELD], self.clock)
