"""Memberships: catalogue on Stripe (M1, M2), basket checkout (M3, M4), staff and booker actions (M7).

What happens after a payment is the lifecycle's (``membership_lifecycle``); this service starts
things and, for staff actions, applies the provider's answer at once so the change is visible
before the webhook arrives (the webhook then finds nothing new to do).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from ..adapters.dynamodb.bookings import BookingModel, BookingRepository
from ..adapters.dynamodb.catalogue import CatalogueRepository
from ..adapters.dynamodb.customers import CustomerRepository
from ..adapters.dynamodb.memberships import CheckoutRepository, MemberRepository, MembershipRepository
from ..adapters.dynamodb.schedule_state import ScheduleState
from ..adapters.dynamodb.tenancy import BusinessRepository
from ..domain.bookings import Booking, BookingStatus, CardPaymentRef, Settlement, SettlementKind, check_request, raise_full
from ..domain.errors import ConflictError, EntryFullError, InvalidInputError, NotFoundError, RuleRefusedError
from ..domain.memberships import ONE_OFF_STATUS, MemberRecord, Membership, PriceOption, check_billing_period
from ..domain.periods import days_to_scan
from ..domain.tenancy import Business, Caller, Feature
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now
from ..ports.payments import CheckoutLine, CheckoutRequest, CheckoutSession, CompletedCheckout, PaymentPort, RecurringPrice
from ..schemas.memberships import MembershipCheckoutIn, MembershipIn, MembershipPatch, PriceOptionIn
from .emails import Attachment, Mailer
from .membership_lifecycle import GroupsPort, MembershipLifecycle, money

CHECKOUT_HOLD_SECONDS = 30 * 60  # Stripe's shortest session life: held places come back after it
# The safety net waits this long past a hold's expiry before giving the place back: Stripe's own
# session expiry (set a moment after the hold) and its "expired" event come first when all goes well.
HOLD_RELEASE_GRACE = timedelta(minutes=15)
HOLDS_SCHEDULE = "release_expired_holds"
HOLDS_FIRST_RUN_DAYS = 3


class MembershipService:
    def __init__(
        self,
        businesses: BusinessRepository,
        memberships: MembershipRepository,
        members: MemberRepository,
        checkouts: CheckoutRepository,
        catalogue: CatalogueRepository,
        bookings: BookingRepository,
        lifecycle: MembershipLifecycle,
        customers: CustomerRepository,
        groups: Callable[[], GroupsPort],
        payments: Callable[[], PaymentPort],
        mailer: Callable[[], Mailer],
        public_base_url: str,
        schedule_state: ScheduleState,
        clock: Clock = utc_now,
    ) -> None:
        self.schedule_state = schedule_state
        self.businesses = businesses
        self.memberships = memberships
        self.members = members
        self.checkouts = checkouts
        self.catalogue = catalogue
        self.bookings = bookings
        self.lifecycle = lifecycle
        self.customers = customers
        self.groups = groups
        self.payments = payments
        self.mailer = mailer
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock

    # --- catalogue (M1, M2) -------------------------------------------------------------------

    def _business(self, business_id: str) -> Business:
        business = self.businesses.get(business_id)
        business.require(Feature.MEMBERSHIPS)
        return business

    def _staff(self, caller: Caller) -> Business:
        return self._business(caller.staff_business())

    def create(self, caller: Caller, body: MembershipIn) -> Membership:
        business = self._staff(caller)
        for page_id in body.page_ids:
            self.catalogue.get_page(business.business_id, page_id)
        for i, option in enumerate(body.price_options):
            try:
                check_billing_period(option.interval, option.interval_count)
            except InvalidInputError as exc:
                raise InvalidInputError(exc.message, field=f"price_options.{i}.{exc.details.get('field')}")
        membership_id = new_id()
        group = self.groups().create_membership_group(business.business_id, membership_id, body.title, body.description)
        product_id = self.payments().create_product(business.business_id, membership_id, body.title, body.description)
        membership = Membership(business.business_id, membership_id, body.title, body.description, body.published,
                                tuple(body.page_ids), group.group_id, product_id)
        for option in body.price_options:
            membership = self._with_new_option(membership, option)
        self.memberships.save(membership)
        return membership

    def _with_new_option(self, membership: Membership, body: PriceOptionIn) -> Membership:
        check_billing_period(body.interval, body.interval_count)
        option_id = new_id()
        price = RecurringPrice(body.amount_minor, body.currency, body.interval, body.interval_count)
        price_id = self.payments().create_price(membership.business_id, option_id, membership.provider_product_id or "",
                                                body.title, price)
        option = PriceOption(option_id, body.title, body.amount_minor, body.currency, body.interval,
                             body.interval_count, price_id)
        return replace(membership, options=membership.options + (option,))

    def add_option(self, caller: Caller, membership_id: str, body: PriceOptionIn) -> Membership:
        membership = self.memberships.get(self._staff(caller).business_id, membership_id)
        membership = self._with_new_option(membership, body)
        self.memberships.save(membership)
        return membership

    def rename_option(self, caller: Caller, membership_id: str, option_id: str, title: str) -> Membership:
        membership = self.memberships.get(self._staff(caller).business_id, membership_id)
        option = membership.option(option_id)
        if option.provider_price_id:
            self.payments().update_price_title(option.provider_price_id, title)
        renamed = replace(option, title=title)
        membership = replace(membership, options=tuple(renamed if o.option_id == option_id else o for o in membership.options))
        self.memberships.save(membership)
        return membership

    def update(self, caller: Caller, membership_id: str, patch: MembershipPatch) -> Membership:
        business = self._staff(caller)
        before = self.memberships.get(business.business_id, membership_id)
        changes = patch.model_dump(exclude_none=True)
        if "page_ids" in changes:
            for page_id in changes["page_ids"]:
                self.catalogue.get_page(business.business_id, page_id)
            changes["page_ids"] = tuple(changes["page_ids"])
        after = replace(before, **changes)
        if (after.title, after.description) != (before.title, before.description) and after.provider_product_id:
            self.payments().update_product(after.provider_product_id, after.title, after.description, True)
        self.memberships.save(after)
        return after

    def get(self, caller: Caller, membership_id: str) -> Membership:
        return self.memberships.get(self._staff(caller).business_id, membership_id)

    def list(self, caller: Caller) -> list[Membership]:
        return self.memberships.list(self._staff(caller).business_id)

    def published(self, business_id: str) -> list[Membership]:
        self._business(business_id)
        return [m for m in self.memberships.list(business_id) if m.published]

    def dashboard_url(self, kind: str, object_id: str | None) -> str | None:
        return self.payments().dashboard_url(kind, object_id) if object_id else None  # type: ignore[arg-type]

    # --- checkout with a basket (M3) ----------------------------------------------------------

    def checkout(self, caller: Caller, business_id: str, body: MembershipCheckoutIn) -> tuple[str, CheckoutSession, list[str]]:
        email = caller.booker_email()
        self._business(business_id)
        membership = self.memberships.get(business_id, body.membership_id)
        if not membership.published:
            raise NotFoundError(f"Membership '{body.membership_id}' does not exist.")
        option = membership.option(body.option_id)
        if not option.active or not option.provider_price_id:
            raise RuleRefusedError("price_unavailable", "This price option can no longer be bought.")
        if any(self.lifecycle.access(r) for r in self.members.for_booker(business_id, email)
               if r.membership_id == membership.membership_id):
            raise ConflictError("You already hold this membership.", code="already_member")
        checkout_id = new_id()
        held = self._hold_basket(business_id, membership, email, checkout_id, body)
        lines = [CheckoutLine(f"{membership.title} — {option.title}", option.amount_minor, option.currency,
                              provider_price_id=option.provider_price_id)]
        lines += [CheckoutLine(title, amount, currency, quantity=seats) for title, amount, currency, seats in held[1] if amount > 0]
        booking_ids = [b.booking_id for b in held[0]]
        self.checkouts.create(business_id, checkout_id, membership.membership_id, option.option_id, email,
                              booking_ids, self.clock())
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
            session = self.payments().create_checkout(request)
        except Exception:
            self._release(held[0])  # no session: nothing will ever complete or expire these holds
            self.checkouts.close(business_id, checkout_id, "failed")
            raise
        self.checkouts.set_session(business_id, checkout_id, session.session_id)
        return checkout_id, session, booking_ids

    def _hold_basket(self, business_id: str, membership: Membership, email: str, checkout_id: str,
                     body: MembershipCheckoutIn) -> tuple[list[Booking], list[tuple[str, int, str, int]]]:
        """Hold a place for every basket ticket (status ``held``), all or none."""
        held: list[Booking] = []
        lines: list[tuple[str, int, str, int]] = []
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
                check_request(entry, ticket, participants, now)
                booking = Booking(business_id, new_id(), entry.entry_id, ticket.ticket_id, email, participants,
                                  Settlement(SettlementKind.CARD, CardPaymentRef(checkout_id), BookingStatus.HELD),
                                  BookingStatus.HELD, now, entry.starts_at,
                                  hold_expires_at=now + timedelta(seconds=CHECKOUT_HOLD_SECONDS))
                try:
                    self.bookings.create(booking, capacity=entry.capacity)
                except EntryFullError:
                    raise_full(entry.places_left)
                held.append(booking)
                lines.append((f"{entry.title} — {ticket.title}", ticket.price_minor, ticket.currency, booking.seats))
        except Exception:
            self._release(held)
            raise
        return held, lines

    def _release(self, bookings: list[Booking]) -> None:
        for b in bookings:
            try:
                self.bookings.cancel(b, self.clock(), give_back_use=False)
            except ConflictError:
                pass  # already cancelled

    def release_checkout(self, business_id: str, checkout_id: str) -> None:
        """The session expired or its async payment failed: give the held places back (once)."""
        checkout = self.checkouts.find(business_id, checkout_id)
        if checkout is None or not self.checkouts.close(business_id, checkout_id, "expired"):
            return
        held = [self.bookings.get(business_id, bid) for bid in checkout.booking_ids]
        self._release([b for b in held if b.status is BookingStatus.HELD])

    def release_expired_holds(self, now: datetime | None = None) -> int:
        """Safety net for a lost "expired" event: give back places held past expiry + grace.

        Reads only the sparse hold index. Each release is one conditional transaction (held ->
        cancelled, booked -= seats), so a payment confirming the place at the same moment wins or
        loses as a whole; a completion that arrives after the release re-takes the place
        (``_confirm``). Returns how many places were released.
        """
        now = now or self.clock()
        cutoff = now - HOLD_RELEASE_GRACE
        released = 0
        for day in days_to_scan(self.schedule_state.watermark(HOLDS_SCHEDULE), cutoff, HOLDS_FIRST_RUN_DAYS):
            for business_id, booking_id in self.bookings.holds_expiring_on(day, cutoff):
                booking = self.bookings.get(business_id, booking_id)
                checkout_id = booking.settlement.ref.checkout_id if isinstance(booking.settlement.ref, CardPaymentRef) else ""
                checkout = self.checkouts.find(business_id, checkout_id) if checkout_id else None
                if checkout is not None and checkout.state == "completed":
                    continue  # paid: its completion is confirming the places right now
                if checkout is not None:
                    self.checkouts.close(business_id, checkout_id, "expired")
                try:
                    self.bookings.cancel(booking, now, give_back_use=False, only_if=BookingStatus.HELD)
                    released += 1
                except ConflictError:
                    pass  # confirmed or released meanwhile
        self.schedule_state.advance(HOLDS_SCHEDULE, cutoff)
        return released

    def complete_checkout(self, done: CompletedCheckout) -> None:
        """``checkout_handlers["membership"]``: book the basket, make the member, send both emails (M4)."""
        checkout = self.checkouts.find(done.business_id, done.reference)
        if checkout is None:
            raise NotFoundError(f"checkout {done.reference} of session {done.session_id} is unknown")
        confirmed = [self._confirm(done, bid) for bid in checkout.booking_ids]
        self.checkouts.close(done.business_id, done.reference, "completed")
        if done.subscription_id:
            record = self.lifecycle.sync(done.subscription_id)
        else:
            record = self.lifecycle.apply_one_off(done.business_id, checkout.membership_id, checkout.email,
                                                  f"once_{done.session_id}", done.provider_customer_id)
        if record is None:
            raise NotFoundError(f"subscription {done.subscription_id} carries no membership metadata")
        self.customers.make_primary(done.business_id, checkout.email, self.clock())  # a buyer (C1)
        membership = self.memberships.get(done.business_id, checkout.membership_id)
        context = self.lifecycle.context(membership, record)
        option = membership.option(checkout.option_id)
        context.update(option_title=option.title, amount=money(option.amount_minor, option.currency))
        bookings = [b for b in confirmed if b is not None]
        if bookings:
            context["bookings"] = [self._booking_line(b) for b in bookings]
            self.mailer().send_once(done.session_id, "booking_confirmation", checkout.email, context)
        self._send_confirmation(done, record, context)

    def _send_confirmation(self, done: CompletedCheckout, record: MemberRecord, context: dict) -> None:
        payments = self.payments()
        attachments: tuple[Attachment, ...] = ()
        invoice_id = done.invoice_id
        if invoice_id is None and done.subscription_id:
            invoice_id = payments.retrieve_subscription(done.subscription_id).latest_invoice_id
        context.update(invoice_attached=False, invoice_url=None, portal_url=None)
        if invoice_id:
            invoice = payments.retrieve_invoice(invoice_id)
            pdf = payments.invoice_pdf(invoice)
            if pdf:
                attachments = (Attachment(f"invoice-{invoice.invoice_id}.pdf", "application/pdf", pdf),)
            context.update(invoice_attached=bool(pdf), invoice_url=invoice.hosted_invoice_url or invoice.invoice_pdf)
        if record.customer_id:
            context["portal_url"] = payments.portal_url(record.customer_id, self._return_url(record.business_id))
        self.mailer().send_once(record.subscription_id, "membership_confirmation", record.email, context, attachments)

    def _confirm(self, done: CompletedCheckout, booking_id: str) -> Booking | None:
        """Turn a held place into a booking; one released before the payment reached us is re-taken."""
        from pynamodb.exceptions import UpdateError

        booking = self.bookings.get(done.business_id, booking_id)
        if booking.status is BookingStatus.HELD:
            try:
                BookingModel(done.business_id, booking_id).update(
                    actions=[BookingModel.status.set(BookingStatus.CONFIRMED.value), *BookingModel.leave_hold_index()],
                    condition=BookingModel.status == BookingStatus.HELD.value,
                )
                return replace(booking, status=BookingStatus.CONFIRMED, hold_expires_at=None)
            except UpdateError:
                booking = self.bookings.get(done.business_id, booking_id)
        if booking.status is BookingStatus.CONFIRMED:
            return booking
        return self._retake_released(done, booking)

    def _retake_released(self, done: CompletedCheckout, booking: Booking) -> Booking | None:
        """The hold was given back before this paid completion arrived (a late event).

        The booker paid for the place, so it is theirs again if it is still free. If someone else
        took it meanwhile, the ticket's price is refunded (the membership itself stands): a business
        keeps no money for a place it cannot give, and never overbooks to honour a late payment.
        """
        entry = self.catalogue.get_entry(done.business_id, booking.entry_id)
        try:
            self.bookings.retake(booking, capacity=entry.capacity)
            return replace(booking, status=BookingStatus.CONFIRMED, cancelled_at=None, hold_expires_at=None)
        except EntryFullError:
            amount = entry.ticket(booking.ticket_id).price_minor * booking.seats
            logger.warning("paid after its held place was released and taken; refunding the ticket",
                           extra={"booking_id": booking.booking_id, "amount_minor": amount})
            if amount > 0:
                self.payments().refund_payment(done.payment_intent_id, done.invoice_id, amount,
                                               key=f"{done.session_id}:{booking.booking_id}")
            return None

    def _booking_line(self, b: Booking) -> dict:
        entry = self.catalogue.get_entry(b.business_id, b.entry_id)
        tz = self.businesses.get(b.business_id).tz
        return {"entry_title": entry.title, "starts_at": entry.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "ticket_title": entry.ticket(b.ticket_id).title, "seats": b.seats}

    def _return_url(self, business_id: str) -> str:
        return f"{self.public_base_url}/v1/businesses/{business_id}/memberships"

    # --- members: staff (M7) and bookers --------------------------------------------------------

    def members_of(self, caller: Caller, membership_id: str) -> list[MemberRecord]:
        business = self._staff(caller)
        self.memberships.get(business.business_id, membership_id)
        return self.members.for_membership(business.business_id, membership_id)

    def member(self, caller: Caller, subscription_id: str) -> MemberRecord:
        return self.members.get(self._staff(caller).business_id, subscription_id)

    def cancel_at_period_end(self, caller: Caller, subscription_id: str, cancel: bool = True) -> MemberRecord:
        record = self.member(caller, subscription_id)
        if record.status == ONE_OFF_STATUS:
            raise RuleRefusedError("one_off", "A one-off membership has no period to end; cancel it now instead.")
        if not self.lifecycle.access(record):
            raise ConflictError("This membership has already ended.", code="already_ended")
        read_ms = self.lifecycle.now_ms()
        snap = self.payments().set_cancel_at_period_end(subscription_id, cancel, key=str(record.synced_ms))
        return self.lifecycle.apply(snap, read_ms) or record

    def cancel_now(self, caller: Caller, subscription_id: str, refund: bool) -> MemberRecord:
        record = self.member(caller, subscription_id)
        if record.status in ("canceled", "incomplete_expired"):
            raise ConflictError("This membership has already ended.", code="already_ended")
        if record.status == ONE_OFF_STATUS:
            if refund:
                raise RuleRefusedError("refund_unavailable", "Refund one-off purchases on Stripe directly.")
            return self.lifecycle.end_one_off(record)
        read_ms = self.lifecycle.now_ms()
        snap = self.payments().cancel_now(subscription_id, refund, key=str(record.synced_ms))
        return self.lifecycle.apply(snap, read_ms) or record

    def reset_billing_cycle(self, caller: Caller, subscription_id: str) -> MemberRecord:
        record = self.member(caller, subscription_id)
        if record.status not in ("active", "trialing", "past_due"):
            raise RuleRefusedError("not_renewing", f"Only a running subscription can renew from today (it is {record.status}).")
        read_ms = self.lifecycle.now_ms()
        snap = self.payments().reset_billing_cycle(subscription_id, key=f"{record.synced_ms}:{self.clock().date()}")
        return self.lifecycle.apply(snap, read_ms) or record

    def mine(self, caller: Caller, business_id: str) -> list[MemberRecord]:
        self._business(business_id)
        return self.members.for_booker(business_id, caller.booker_email())

    def portal(self, caller: Caller, business_id: str, subscription_id: str) -> str:
        self._business(business_id)
        record = self.members.find(business_id, subscription_id)
        if record is None or record.email != caller.booker_email():
            raise NotFoundError(f"Membership subscription '{subscription_id}' does not exist.")
        if not record.customer_id:
            raise RuleRefusedError("no_portal", "This membership has no Stripe customer to manage.")
        return self.payments().portal_url(record.customer_id, self._return_url(business_id))
