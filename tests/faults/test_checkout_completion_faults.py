"""Faults on the checkout-completion path: the webhook's SQS send, and the consumer's DynamoDB and SES
calls. A failed delivery is redelivered (as SQS does after the visibility timeout) until it passes:
the member joins once, the held booking is confirmed once, each email is sent once."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.adapters.dynamodb.base import connection_of
from chalicelib.adapters.dynamodb.bookings import BookingModel
from chalicelib.bootstrap import container
from chalicelib.workers.events import process_record
from tests.conftest import booker_token
from tests.e2e import test_card_bookings as card
from tests.e2e import test_membership_purchase as purchase
from tests.e2e.test_membership_purchase import BOOKER, MINE, buy, group_members
from tests.faults.injection import TIMEOUT
from tests.stripe_support import post_webhook, sent_emails, signed

card_shop = card.shop  # a business selling a paid ticket by card
shop = purchase.shop  # a business selling a membership with a member ticket, local Stripe, moto SQS and SES


def redelivering_drain(url: str, rounds: int = 20) -> tuple[int, int]:
    """Run the consumer until the queue is empty; a failed message stays and comes back. (handled, failed)."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    handled = failed = 0
    for _ in range(rounds):
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        if not msgs:
            return handled, failed
        for m in msgs:
            try:
                process_record(m["Body"], m["MessageId"], container().queue_handlers)
            except Exception:
                failed += 1  # not deleted: SQS delivers it again
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            handled += 1
    raise AssertionError("the queue did not drain")


def post_events(shop) -> list[int]:
    statuses = [post_webhook(shop["api"], *signed(evt)).status_code for evt in shop["provider"].events[shop["seen"]:]]
    shop["seen"] = len(shop["provider"].events)
    return statuses


def completed_once(shop, booking_id: str) -> None:
    assert group_members(shop) == [BOOKER]
    booking = shop["api"].call("GET", f"{MINE}/bookings/{booking_id}", booker_token(BOOKER)).json
    assert booking["status"] == "confirmed"
    assert shop["api"].call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"] == 1
    assert sorted(m["subject"] for m in sent_emails()) == ["Welcome to Gold", "Your booking at Studio biz-m is confirmed"]


@pytest.mark.parametrize("fault", ["TooManyRequestsException", TIMEOUT])
def test_email_provider_throttled_through_every_retry_then_redelivery_sends_each_email_once(shop, faults, fault):
    checkout = buy(shop)
    shop["provider"].pay_checkout(checkout["session_id"])
    assert set(post_events(shop)) == {200}
    ses = container().mailer.sender.client  # type: ignore[attr-defined]
    faults.fail(ses, "SendEmail", 3 * 2, fault)  # two whole deliveries fail (3 attempts each)
    handled, failed = redelivering_drain(shop["queue"])
    assert failed >= 2 and faults.attempts["SendEmail"] >= 6
    assert all(0 <= s <= 20 for s in faults.sleeps)
    completed_once(shop, checkout["held_booking_ids"][0])


@pytest.mark.parametrize("operation", ["UpdateItem", "PutItem", "GetItem"])  # the calls completion makes
def test_database_throttled_mid_completion_then_redelivery_completes_exactly_once(shop, faults, operation):
    checkout = buy(shop)
    shop["provider"].pay_checkout(checkout["session_id"])
    assert set(post_events(shop)) == {200}
    faults.fail(connection_of(BookingModel).client, operation, 3, "ProvisionedThroughputExceededException")
    redelivering_drain(shop["queue"])
    assert faults.attempts[operation] >= 3  # the fault was reached and outlasted one delivery's retries
    completed_once(shop, checkout["held_booking_ids"][0])
    # Stripe sends it all again: nothing changes.
    shop["seen"] = shop["first"]
    post_events(shop)
    redelivering_drain(shop["queue"])
    completed_once(shop, checkout["held_booking_ids"][0])


def test_queue_throttled_at_the_webhook_is_503_and_stripes_retry_completes_once(shop, faults):
    checkout = buy(shop)
    shop["provider"].pay_checkout(checkout["session_id"])
    faults.fail(container().event_queue.client, "SendMessage", 3, "ThrottlingException")  # type: ignore[attr-defined]
    faults.fail(container().event_queue.client, "SendMessageBatch", 3, "ThrottlingException")  # type: ignore[attr-defined]
    first = shop["seen"]
    statuses = post_events(shop)
    assert 503 in statuses and not any(s >= 500 and s != 503 for s in statuses)
    shop["seen"] = first  # Stripe retries every event that was not answered 2xx (we resend all: duplicates are harmless)
    assert set(post_events(shop)) == {200}
    redelivering_drain(shop["queue"])
    completed_once(shop, checkout["held_booking_ids"][0])


def test_stripe_unreachable_mid_completion_then_redelivery_completes_exactly_once(shop, monkeypatch):
    """The consumer re-reads the subscription from Stripe; while Stripe fails (after stripe-python's own
    bounded retries) the message fails and comes back; the first delivery that reaches Stripe completes."""
    import stripe

    from chalicelib.adapters.stripe_payments import StripePayments

    checkout = buy(shop)
    shop["provider"].pay_checkout(checkout["session_id"])
    assert set(post_events(shop)) == {200}
    real, calls = StripePayments.retrieve_subscription, []

    def flaky(self: StripePayments, subscription_id: str):  # type: ignore[no-untyped-def]
        calls.append(subscription_id)
        if len(calls) <= 2:
            raise stripe.APIConnectionError("Stripe is unreachable")
        return real(self, subscription_id)

    monkeypatch.setattr(StripePayments, "retrieve_subscription", flaky)
    handled, failed = redelivering_drain(shop["queue"])
    assert failed >= 2 and len(calls) > 2
    completed_once(shop, checkout["held_booking_ids"][0])


def test_stripe_failing_to_open_a_card_checkout_leaves_no_held_place(card_shop, monkeypatch):
    """B1 under a Stripe fault: the held place is given back (nothing half-written) and the answer is a 503."""
    import stripe

    from chalicelib.adapters.stripe_payments import StripePayments

    def down(self: StripePayments, request):  # type: ignore[no-untyped-def]
        raise stripe.APIConnectionError("Stripe is unreachable")

    monkeypatch.setattr(StripePayments, "create_checkout", down)
    resp = card.book(card_shop)
    assert resp.status_code == 503, resp.body
    assert card.booked(card_shop) == 0
    monkeypatch.undo()
    assert card.book(card_shop).status_code == 201 and card.booked(card_shop) == 1
