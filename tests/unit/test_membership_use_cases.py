"""Membership use cases on the in-memory fakes of their ports (no moto, no HTTP): milliseconds each."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.stripe_objects import parse_event
from chalicelib.domain.context import BookerContext, PublicContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.memberships import Checkout, Membership, PriceOption
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.membership_lifecycle import MembershipLifecycle
from chalicelib.services.memberships.catalogue import MembershipCatalogue, NewMembership, NewPriceOption
from chalicelib.services.memberships.checkout import BasketCheckout, MembershipPurchase
from chalicelib.services.memberships.completion import CheckoutCompletion
from chalicelib.services.memberships.members import MemberActions
from chalicelib.services.stripe_events import StripeEventConsumer
from tests.fakes.memberships import (
    FakeBusinesses,
    FakeCustomers,
    FakeGroups,
    FakeMailer,
    FakeQueue,
    InMemoryCheckouts,
    InMemoryMembers,
    InMemoryMemberships,
    InMemoryProcessedEvents,
)
from tests.fakes.payments import FakeConnect, FakePayments, OneAccount

NOW = datetime(2030, 1, 10, 12, tzinfo=UTC)
END = int(datetime(2030, 2, 10, tzinfo=UTC).timestamp())
BIZ = Business("biz", "Studio", Plan("standard"), "Europe/Berlin")
BOOKER = "ann@example.com"


class NoBookings:
    """The basket is empty in these cases: no booking or catalogue call may happen."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"unexpected call: {name}")


class World:
    def __init__(self, currency: str = "EUR", amount: int = 3000) -> None:
        self.payments = FakePayments()
        self.memberships = InMemoryMemberships(Membership(
            "biz", "m1", "Gold", "", True, (), "g1", "prod_1",
            (PriceOption("o1", "Monthly", amount, currency, "month", 1, "price_1"),
             PriceOption("o2", "Once", amount, currency, None, 1, "price_2"))))
        self.members = InMemoryMembers()
        self.checkouts = InMemoryCheckouts()
        self.groups = FakeGroups()
        self.mailer = FakeMailer()
        self.queue = FakeQueue()
        self.customers = FakeCustomers()
        self.ticks = 0

        def clock() -> datetime:
            """Moves a millisecond per reading: each provider read is later than the one before."""
            self.ticks += 1
            return NOW + timedelta(milliseconds=self.ticks)
        self.lifecycle = MembershipLifecycle(FakeBusinesses(), self.memberships, self.members, lambda: self.groups,
                                             OneAccount(self.payments), lambda: self.mailer, clock)
        self.completion = CheckoutCompletion(self.checkouts, NoBookings(), NoBookings(), NoBookings(),  # type: ignore[arg-type]
                                             self.lifecycle, self.customers, OneAccount(self.payments),  # type: ignore[arg-type]
                                             lambda: self.mailer, "https://api.example", clock)
        self.consumer = StripeEventConsumer(InMemoryProcessedEvents(), self.lifecycle, lambda b, c: None, self.memberships,
                                            self.members, {"membership": self.completion.complete}, OneAccount(self.payments),
                                            lambda: self.mailer, lambda: self.queue, parse=parse_event,
                                            connect=lambda: FakeConnect(acct_biz="biz"), livemode=False, clock=clock)  # type: ignore[arg-type,return-value]
        self.actions = MemberActions(self.memberships, self.members, self.lifecycle, OneAccount(self.payments),
                                     "https://api.example")

    def subscribe(self, sid: str = "sub_1", email: str = BOOKER) -> None:
        self.payments.add_subscription(sid, latest_invoice="in_1", current_period_end=END,
                                       metadata={"business_id": "biz", "membership_id": "m1", "customer_email": email})
        self.payments.subs[sid]["items"]["data"][0]["current_period_end"] = END
        self.payments.add_invoice("in_1", amount_paid=3000)

    def session_event(self, event_id: str, subscription: str | None, reference: str = "co1") -> dict[str, object]:
        md = {"business_id": "biz", "purpose": "membership", "reference": reference, "customer_email": BOOKER}
        return {"account": "acct_biz", "id": event_id, "type": "checkout.session.completed", "created": 1, "data": {"object": {
            "id": f"cs_{reference}", "payment_status": "paid", "metadata": md, "customer": "cus_1",
            "subscription": subscription, "invoice": None if subscription else "in_1", "amount_total": 3000,
            "currency": "eur"}}}


def booker(email: str = BOOKER) -> BookerContext:
    return BookerContext(BIZ, "u1", email, Customer("biz", email))


def test_subscription_checkout_completion_makes_a_member_with_two_stripe_calls_and_one_welcome():
    w = World()
    w.subscribe()
    w.checkouts.create(Checkout("biz", "co1", "m1", "o1", BOOKER), NOW)
    evt = w.session_event("evt_1", "sub_1")
    w.consumer.handle(evt)
    w.consumer.handle(evt)  # redelivered: nothing more
    assert [c for c in w.payments.calls if c != "invoice_pdf"] == ["retrieve_subscription", "retrieve_invoice"]
    assert "portal_url" not in w.payments.calls  # a portal session is made when the booker asks, not per email
    assert w.groups.members == {(BOOKER, "sub_1")}
    [(template, to, context, attachments)] = w.mailer.outbox
    assert (template, to, context["amount"]) == ("membership_confirmation", BOOKER, "30.00 EUR")
    assert context["portal_url"].endswith("/v1/businesses/biz/me/memberships/sub_1/portal")
    assert attachments[0].filename == "invoice-in_1.pdf"
    assert w.checkouts.find("biz", "co1").state == "completed" and w.customers.primary == [("biz", BOOKER)]


def test_one_off_completion_asks_stripe_only_for_the_invoice_and_formats_yen_without_decimals():
    w = World(currency="JPY", amount=5000)
    w.payments.add_invoice("in_1", amount_paid=5000, currency="jpy")
    w.checkouts.create(Checkout("biz", "co1", "m1", "o2", BOOKER), NOW)
    w.completion.complete(CompletedCheckout("cs_co1", "biz", BOOKER, "membership", "co1", {}, 5000, "jpy",
                                            provider_customer_id="cus_1", invoice_id="in_1"))
    assert [c for c in w.payments.calls if c != "invoice_pdf"] == ["retrieve_invoice"]
    [record] = w.members.for_booker("biz", BOOKER)
    assert record.status == "paid_once" and record.in_group
    assert w.mailer.outbox[0][2]["amount"] == "5000 JPY"


def test_staff_cancel_at_period_end_keeps_access_and_mails_once():
    w = World()
    w.subscribe()
    w.consumer.handle({"account": "acct_biz", "id": "evt_c", "type": "customer.subscription.created", "created": 1,
                       "data": {"object": {"id": "sub_1"}}})
    staff = StaffContext(BIZ, "staff")
    view = w.actions.cancel_at_period_end(staff, "sub_1")
    assert view.cancel_at_period_end and view.has_access and view.renews_on is not None
    assert [t for t, *_ in w.mailer.outbox] == ["membership_cancelled"]
    assert w.groups.members == {(BOOKER, "sub_1")}


def test_subscription_deleted_ends_access_and_leaves_the_group():
    w = World()
    w.subscribe()
    w.lifecycle.sync("biz", "sub_1", likely_new=True)
    w.payments.subs["sub_1"].update(status="canceled", canceled_at=5)
    w.consumer.handle({"account": "acct_biz", "id": "evt_d", "type": "customer.subscription.deleted", "created": 2,
                       "data": {"object": {"id": "sub_1"}}})
    assert w.groups.members == set() and [t for t, *_ in w.mailer.outbox] == ["membership_ended"]


def test_portal_only_for_the_bookers_own_subscription():
    w = World()
    w.subscribe()
    w.lifecycle.sync("biz", "sub_1")
    with pytest.raises(NotFoundError):
        w.actions.portal(booker("eve@example.com"), "sub_1")
    assert w.actions.portal(booker(), "sub_1").endswith("/portal/cus_1")


def test_failed_handling_releases_the_event_claim_for_the_retry():
    w = World()
    calls: list[str] = []

    def flaky(event: object, business: object) -> None:
        calls.append("x")
        if len(calls) == 1:
            raise RuntimeError("boom")

    w.consumer.dispatch["invoice.paid"] = flaky
    evt = {"account": "acct_biz", "id": "evt_f", "type": "invoice.paid", "created": 1, "data": {"object": {"id": "in_9"}}}
    with pytest.raises(RuntimeError):
        w.consumer.handle(evt)
    w.consumer.handle(evt)
    w.consumer.handle(evt)
    assert calls == ["x", "x"]


def test_price_change_is_saved_and_members_told_page_by_page():
    w = World()
    for i in range(3):
        w.subscribe(f"sub_{i}", f"m{i}@example.com")
        w.lifecycle.sync("biz", f"sub_{i}")
    w.consumer.handle({"account": "acct_biz", "id": "evt_p", "type": "price.updated", "created": 1, "data": {"object": {
        "id": "price_1", "product": "prod_1", "unit_amount": 3500, "currency": "eur", "nickname": "Monthly",
        "recurring": {"interval": "month", "interval_count": 1}, "active": True}}})
    assert w.memberships.get("biz", "m1").option("o1").amount_minor == 3500
    [(kind, body)] = w.queue.sent
    w.consumer.price_changed_batch(body)
    w.consumer.price_changed_batch(body)  # redelivered: each member told once
    assert sorted(to for t, to, *_ in w.mailer.outbox if t == "price_changed") == [f"m{i}@example.com" for i in range(3)]


def test_catalogue_creates_group_product_and_prices():
    w = World()
    catalogue = MembershipCatalogue(w.memberships, NoBookings(), lambda: w.groups, OneAccount(w.payments))  # type: ignore[arg-type]
    made = catalogue.create(StaffContext(BIZ, "staff"), NewMembership(
        "Silver", published=True, price_options=(NewPriceOption("Yearly", 10000, "EUR", "year"),)))
    assert made.group_id == f"g_{made.membership_id}" and made.provider_product_id == f"prod_{made.membership_id}"
    assert [o.provider_price_id for o in made.options] == [f"price_{made.options[0].option_id}"]
    assert made in catalogue.published(PublicContext(BIZ), PageRequest()).items


def test_checkout_refuses_a_current_member_and_opens_a_session_otherwise():
    w = World()
    start = BasketCheckout(w.memberships, w.members, w.checkouts, NoBookings(), NoBookings(),  # type: ignore[arg-type]
                           OneAccount(w.payments), "https://api.example", clock=lambda: NOW)
    started = start.start(booker(), MembershipPurchase("m1", "o1"))
    assert started.session_id == f"cs_{started.checkout_id}" and started.held_booking_ids == ()
    [request] = w.payments.checkouts
    assert request.mode == "subscription" and request.metadata["membership_id"] == "m1"
    w.subscribe()
    w.lifecycle.sync("biz", "sub_1")
    with pytest.raises(ConflictError):
        start.start(booker(), MembershipPurchase("m1", "o1"))


def test_an_additional_users_membership_checkout_goes_on_the_primarys_account():
    """C1: the checkout, its one-open-checkout claim and the Stripe customer are the primary's."""
    w = World()
    start = BasketCheckout(w.memberships, w.members, w.checkouts, NoBookings(), NoBookings(),  # type: ignore[arg-type]
                           OneAccount(w.payments), "https://api.example", clock=lambda: NOW)
    helper = BookerContext(BIZ, "u2", "hal@example.com", Customer("biz", "hal@example.com", primary_email=BOOKER),
                           account_email=BOOKER)
    started = start.start(helper, MembershipPurchase("m1", "o1"))
    [request] = w.payments.checkouts
    assert request.customer_email == BOOKER
    assert w.checkouts.find("biz", started.checkout_id).email == BOOKER  # type: ignore[union-attr]
    again = start.start(booker(), MembershipPurchase("m1", "o1"))  # the primary gets the same open checkout
    assert again.checkout_id == started.checkout_id and len(w.payments.checkouts) == 1
