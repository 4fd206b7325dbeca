"""A paid membership checkout (M4): confirm the basket's places, make the member, send both emails.

Stripe calls per completion: the subscription once (its latest invoice id comes with it) and the
invoice once; the invoice PDF is a file download. The welcome email creates no billing-portal
session: a portal session is short-lived and belongs to the moment the booker asks for one, so the
email links to the booker's portal route, which opens a fresh session when followed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...domain.bookings import BookingStatus
from ...domain.errors import DomainError, NotFoundError
from ...domain.money import format_money
from ...logs import logger
from ...ports.clock import Clock, utc_now
from ...ports.messaging import Attachment, MailerPort
from .checkout import release_places
from .holds import HeldPlaceSettlement, booking_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...domain.bookings import Booking, Settlement
    from ...domain.memberships import Checkout, MemberRecord
    from ...ports.bookings import BookingStore
    from ...ports.catalogue import CatalogueStore
    from ...ports.memberships import CheckoutStore, HeldPlaces, MembershipStore
    from ...ports.payments import BusinessPayments, CompletedCheckout
    from ...ports.tenancy import BusinessStore, CustomerStore
    from ..bookings import PaymentMethod
    from ..membership_lifecycle import MembershipLifecycle
    from ..payment_records import PaymentRecords


class CheckoutCompletion:
    def __init__(self, checkouts: CheckoutStore, held: HeldPlaces, bookings: BookingStore, catalogue: CatalogueStore,
                 lifecycle: MembershipLifecycle, customers: CustomerStore, payments: BusinessPayments,
                 mailer: Callable[[], MailerPort], public_base_url: str, clock: Clock = utc_now,
                 portal_link: Callable[[str, str], str] | None = None, records: PaymentRecords | None = None,
                 offer_use: Callable[[], PaymentMethod] | None = None) -> None:
        self.offer_use = offer_use  # B7: a basket member ticket spends an offer use of the first period
        self.records = records  # B6: a refunded second subscription on the customer's payments record
        self.portal_link = portal_link  # B5: a signed link that opens a fresh portal session when followed
        self.checkouts = checkouts
        self.held = held
        self.bookings = bookings
        self.catalogue = catalogue
        self.lifecycle = lifecycle
        self.customers = customers
        self.payments = payments
        self.mailer = mailer
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock
        self.settle_held = HeldPlaceSettlement(bookings, held, catalogue, payments, records)

    @property
    def memberships(self) -> MembershipStore:
        return self.lifecycle.memberships

    @property
    def businesses(self) -> BusinessStore:
        return self.lifecycle.businesses

    def complete(self, done: CompletedCheckout) -> None:
        """``checkout_handlers["membership"]``."""
        checkout = self.checkouts.find(done.business_id, done.reference)
        if checkout is None:
            raise NotFoundError(f"checkout {done.reference} of session {done.session_id} is unknown")
        self.checkouts.record_payment(done.business_id, done.reference, done.payment_intent_id, done.invoice_id)
        synced = self.lifecycle.sync_snapshot(done.business_id, done.subscription_id) if done.subscription_id else None
        if synced is not None and synced[0] is not None and self._second_subscription(checkout, synced[0]):
            self._undo_second_subscription(done, checkout)
            return
        invoice_id = done.invoice_id
        if synced is not None:
            record, sub = synced
            invoice_id = invoice_id or sub.latest_invoice_id
        else:
            record = self.lifecycle.apply_one_off(done.business_id, checkout.membership_id, checkout.email,
                                                  f"once_{done.session_id}", done.provider_customer_id)
        if record is None:
            raise NotFoundError(f"subscription {done.subscription_id} carries no membership metadata")
        # The member is in the group now: each basket place is confirmed with its offer use (B7).
        paid_by = self._member_use if self.offer_use is not None else None
        confirmed = [self.settle_held.confirm(done, bid, paid_by) for bid in checkout.booking_ids]
        if checkout.state == "open":
            self.checkouts.close(done.business_id, done.reference, "completed")
        self.customers.make_primary(done.business_id, checkout.email, self.clock())  # a buyer (C1)
        context = self._context(checkout, record)
        bookings = [b for b in confirmed if b is not None]
        if bookings:
            context["bookings"] = [self._booking_line(b) for b in bookings]
            self.mailer().send_once(done.session_id, "booking_confirmation", checkout.email, context)
        self._send_confirmation(record, invoice_id, context)

    def _member_use(self, booking: Booking) -> Settlement | None:
        """The new member's offer use for a basket ticket (first period, terms of the join), or None when
        the offer refuses it: the place is then confirmed as held (what the hold-time check promised), logged
        for staff, since the checkout charged only for tickets no offer covers."""
        assert self.offer_use is not None
        entry = self.catalogue.get_entry(booking.business_id, booking.entry_id)
        ticket = entry.ticket(booking.ticket_id)
        if ticket.exclusive_group_id is None:
            return None  # a course's session places (S) are paid by the course, not by an offer use
        try:
            return self.offer_use().settle(self.businesses.get(booking.business_id), entry,
                                           ticket, booking.booker_email, booking.seats)
        except DomainError as exc:
            logger.warning("basket member ticket confirmed without an offer use",
                           extra={"booking_id": booking.booking_id, "reason": str(exc)})
            return None

    def _second_subscription(self, checkout: Checkout, record: MemberRecord) -> bool:
        """B4: the booker holds this membership through an older subscription (two checkouts paid).

        The older one (by start, then id) is kept whatever order the completions arrive in, so two
        completions racing never cancel both."""
        mine = (record.started_at or self.clock(), record.subscription_id)
        return any(r.membership_id == checkout.membership_id and r.subscription_id != record.subscription_id
                   and self.lifecycle.access(r) and (r.started_at or self.clock(), r.subscription_id) < mine
                   for r in self.lifecycle.members.for_booker(checkout.business_id, checkout.email))

    def _undo_second_subscription(self, done: CompletedCheckout, checkout: Checkout) -> None:
        """Cancel the second subscription at once and refund it, give its held places back, tell the booker once."""
        assert done.subscription_id is not None
        logger.warning("second subscription to a held membership; cancelled and refunded",
                       extra={"subscription_id": done.subscription_id, "membership_id": checkout.membership_id})
        snap = self.payments.for_business(done.business_id).cancel_now(done.subscription_id, refund=True,
                                                                        key=f"duplicate:{done.subscription_id}")
        if self.records is not None:
            for made in snap.refunds:
                self.records.refunded(done.business_id, checkout.email, made,
                                      (done.invoice_id, snap.latest_invoice_id, done.payment_intent_id), "membership",
                                      subscription_id=done.subscription_id, membership_id=checkout.membership_id)
        release_places(self.bookings, [b for b in (self.bookings.get(done.business_id, bid) for bid in checkout.booking_ids)
                                       if b.status is not BookingStatus.CANCELLED], self.clock)
        membership = self.memberships.get_recent(checkout.business_id, checkout.membership_id)
        business = self.businesses.get(checkout.business_id)
        self.mailer().send_once(done.subscription_id, "membership_duplicate_refunded", checkout.email,
                                {"business_name": business.name, "membership_title": membership.title,
                                 "amount": format_money(done.amount_total, done.currency)})

    def _context(self, checkout: Checkout, record: MemberRecord) -> dict[str, Any]:
        membership = self.memberships.get_recent(checkout.business_id, checkout.membership_id)
        context = self.lifecycle.context(membership, record)
        option = membership.option(checkout.option_id)
        portal = (self.portal_link(checkout.business_id, record.subscription_id) if self.portal_link else
                  f"{self.public_base_url}/v1/businesses/{checkout.business_id}/me/memberships/{record.subscription_id}/portal")
        context.update(option_title=option.title, amount=format_money(option.amount_minor, option.currency),
                       portal_url=portal if record.customer_id else None)
        return context

    def _send_confirmation(self, record: MemberRecord, invoice_id: str | None, context: dict[str, Any]) -> None:
        attachments: tuple[Attachment, ...] = ()
        context.update(invoice_attached=False, invoice_url=None)
        if invoice_id:
            payments = self.payments.for_business(record.business_id)
            invoice = payments.retrieve_invoice(invoice_id)
            pdf = payments.invoice_pdf(invoice)
            if pdf:
                attachments = (Attachment(f"invoice-{invoice.invoice_id}.pdf", "application/pdf", pdf),)
            context.update(invoice_attached=bool(pdf), invoice_url=invoice.hosted_invoice_url or invoice.invoice_pdf)
        self.mailer().send_once(record.subscription_id, "membership_confirmation", record.email, context, attachments)

    def _booking_line(self, b: Booking) -> dict[str, Any]:
        return booking_line(self.catalogue, self.businesses.get(b.business_id).tz, b)
