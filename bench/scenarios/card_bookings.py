"""Paying for a booking by card (B1): the booking request, then the worker confirming the paid checkout.

The payment provider and the mailer are stand-ins that count their calls (Stripe: one checkout per
paid booking, nothing at completion: the event carries what it needs); DynamoDB calls are counted.
"""
from __future__ import annotations

from typing import Any

from chalicelib import bootstrap
from chalicelib.config import settings
from chalicelib.ports.payments import CheckoutRequest, CheckoutSession, CompletedCheckout

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
