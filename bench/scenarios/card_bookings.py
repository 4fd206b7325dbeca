"""Paying for a booking by card (B1): the booking request, then the worker confirming the paid checkout.

The payment provider and the mailer are stand-ins that count their calls (Stripe: one checkout per
paid booking, nothing at completion: the event carries what it needs); DynamoDB calls are counted.
"""
from __future__ import annotations

from typing import Any

from chalicelib import bootstrap
from chalicelib.config import settings
from chalicelib.ports.payments import ChargeRefunds, CheckoutRequest, CheckoutSession, CompletedCheckout, RefundMade

from . import World, scenario


class CountingProvider:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def for_account(self, account_id: str, application_fee_bps: int = 0) -> CountingProvider:
        """Connect: the bench's businesses are connected; every call lands on this one counter."""
        return self

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.calls.append("create_checkout")
        return CheckoutSession(f"cs_{request.reference}", f"https://pay.example/cs_{request.reference}", 1_900_000_000)

    def charge_refunds(self, charge_id: str) -> ChargeRefunds:
        """What the adapter's 3 Stripe calls (charge, its refunds, the invoice it paid) come back with."""
        self.calls.append("charge_refunds")
        return ChargeRefunds(charge_id, "pi_bench", None, (RefundMade("re_bench", 500, "EUR", "pi_bench"),))


class SilentMailer:
    def send_once(self, occurrence: str, template: str, to: str, context: dict[str, Any], attachments: Any = ()) -> bool:
        return True


def card_world(world: World) -> CountingProvider:
    provider = CountingProvider()
    bootstrap.install(bootstrap.build(settings(), payments=provider, mailer=SilentMailer()))
    world.call("GET", f"{world.mine}/bookings", world.booker)  # warm again: a new container
    return provider


@scenario("book a paid ticket by card, pay_with auto (booker)")
def book_by_card(world: World) -> None:
    provider = card_world(world)
    entry = world.entry(price_minor=1500)
    with world.counted():
        booking = world.booking(entry)
    assert booking["status"] == "held" and provider.calls == ["create_checkout"]


@scenario("confirm a paid ticket checkout (events worker)")
def confirm_card_booking(world: World) -> None:
    card_world(world)
    booking = world.booking(world.entry(price_minor=1500))
    checkout_id = booking["payment"]["checkout_id"]
    done = CompletedCheckout(f"cs_{checkout_id}", world.business_id, "booker@example.com", "booking", checkout_id, {},
                             1500, "eur", payment_intent_id="pi_1")
    with world.counted():
        bootstrap.container().card_booking_completion.complete(done)


def paid_checkout_event(world: World) -> tuple[Any, dict[str, Any]]:
    """A card booking made, and the ``checkout.session.completed`` (Stripe's fixture) that pays it."""
    from tests.stripe_support import event, resource

    provider = card_world(world)
    booking = world.booking(world.entry(price_minor=1500))
    checkout_id = booking["payment"]["checkout_id"]
    session = resource("checkout.session", id=f"cs_{checkout_id}", mode="payment", status="complete",
                       payment_status="paid", amount_total=1500, currency="eur", payment_intent="pi_bench",
                       invoice=None, subscription=None, customer=None, client_reference_id=checkout_id,
                       metadata={"business_id": world.business_id, "purpose": "booking", "reference": checkout_id,
                                 "customer_email": "booker@example.com", "booking_id": booking["booking_id"]})
    return provider, event("checkout.session.completed", session, account=f"acct_{world.business_id}")


@scenario("confirm a paid ticket through the Stripe consumer: dedupe, route, payments record (events worker)")
def confirm_card_booking_through_the_consumer(world: World) -> None:
    """What one ``checkout.session.completed`` costs end to end in the worker, the payments record (B6) included."""
    provider, paid = paid_checkout_event(world)
    with world.counted():
        bootstrap.container().stripe_events.handle(paid)
    assert provider.calls == ["create_checkout"]  # nothing asked of Stripe at completion


@scenario("record a dashboard refund from charge.refunded through the Stripe consumer (events worker)")
def dashboard_refund_through_the_consumer(world: World) -> None:
    """B6: one ``charge.refunded`` of a refund made in the Stripe dashboard, re-read and recorded once."""
    from tests.stripe_support import event, resource

    provider, paid = paid_checkout_event(world)
    bootstrap.container().stripe_events.handle(paid)
    charge = resource("charge", id="ch_bench", payment_intent="pi_bench", amount=1500, amount_refunded=500, refunded=False)
    with world.counted():
        bootstrap.container().stripe_events.handle(event("charge.refunded", charge, account=f"acct_{world.business_id}"))
    assert provider.calls == ["create_checkout", "charge_refunds"]
