"""Stripe events per second through the real consumer on DynamoDB Local, against the floor.

    python -m bench.memberships [subscriptions]      (or: make bench)

Each subscription lives four events (created, invoice.paid for a renewal, invoice.payment_failed,
deleted); the consumer, lifecycle, groups, email ledger and templates are the real ones; Stripe is
an in-memory stand-in and SES a null sender, so what is measured is our code and its DynamoDB calls.
The floor replays exactly the DynamoDB calls one run made (captured at botocore), directly with
boto3, one after the other: the rate nothing could beat without making fewer calls. It prints the
ratio (target >= 0.5) and the DynamoDB calls per event type.
"""
from __future__ import annotations

import copy
import os
import sys
import time
from collections import Counter, defaultdict
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1", TABLE_PREFIX="bench-",
    STRIPE_WEBHOOK_SECRET="whsec_bench", PAYMENT_PROVIDER="local", POWERTOOLS_LOG_LEVEL="ERROR",
)

from local import dynamodb_local  # noqa: E402

EVENTS = ["customer.subscription.created", "invoice.paid", "invoice.payment_failed", "customer.subscription.deleted"]


class NullSender:
    def send(self, message: Any) -> str:
        return "bench"


class FakeStripe:
    def __init__(self) -> None:
        self.subs: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, Any] = {}

    def for_account(self, account_id: str, application_fee_bps: int = 0) -> FakeStripe:
        return self  # the platform bound to the bench business's account: one in-memory account

    def retrieve_subscription(self, sid: str) -> Any:
        from chalicelib.adapters.stripe_objects import subscription_snapshot

        return subscription_snapshot(self.subs[sid])

    def retrieve_invoice(self, iid: str) -> Any:
        from chalicelib.adapters.stripe_objects import invoice_snapshot

        return invoice_snapshot(self.invoices[iid])


def life(fx: dict[str, Any], stripe: FakeStripe, sid: str) -> list[tuple[dict[str, Any], Any]]:
    """(event, state change to apply on Stripe before delivering it) for one subscription."""
    now = int(time.time())
    sub = copy.deepcopy(fx["subscription"])
    sub.update(id=sid, status="active", cancel_at_period_end=False, canceled_at=None, ended_at=None, start_date=now,
               billing_cycle_anchor=now, latest_invoice=None,
               metadata={"business_id": "biz-bench", "membership_id": "m-bench", "customer_email": f"{sid}@example.com"})
    sub["items"]["data"][0].update(current_period_start=now, current_period_end=now + 30 * 86400, price={"id": "price_bench"})

    def invoice(iid: str, status: str) -> dict[str, Any]:
        inv = copy.deepcopy(fx["invoice"])
        inv.update(id=iid, status=status, billing_reason="subscription_cycle", amount_paid=3000, amount_due=3000,
                   parent={"type": "subscription_details", "subscription_details": {"subscription": sid}})
        stripe.invoices[iid] = inv
        return inv

    def evt(kind: str, obj: dict[str, Any], n: int) -> dict[str, Any]:
        e = copy.deepcopy(fx["event"])
        e.update(id=f"evt_{sid}_{n}", type=kind, created=now + n, data={"object": obj}, account="acct_bench", livemode=False)
        return e

    def set_status(status: str) -> Any:
        return lambda: stripe.subs.__setitem__(sid, {**stripe.subs[sid], "status": status})

    return [
        (evt(EVENTS[0], sub, 0), lambda: stripe.subs.__setitem__(sid, copy.deepcopy(sub))),
        (evt(EVENTS[1], invoice(f"in_{sid}_1", "paid"), 1), set_status("active")),
        (evt(EVENTS[2], invoice(f"in_{sid}_2", "open"), 2), set_status("past_due")),
        (evt(EVENTS[3], sub, 3), set_status("canceled")),
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    proc, endpoint = dynamodb_local.start()
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    try:
        run(n, endpoint)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(n: int, endpoint: str) -> None:
    import boto3
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from chalicelib import bootstrap
    from chalicelib.adapters.dynamodb import base
    from chalicelib.adapters.dynamodb.emails import EmailLedger
    from chalicelib.adapters.dynamodb.memberships import MembershipRepository
    from chalicelib.adapters.dynamodb.tenancy import BusinessModel
    from chalicelib.adapters.ses_email import JinjaRenderer
    from chalicelib.domain.memberships import Membership, PriceOption
    from chalicelib.services.emails import Mailer
    from local.payment_provider import fixtures

    base.point_at(endpoint)
    base.create_missing_tables(wait=True)
    from chalicelib.config import settings

    bootstrap.reset()
    stripe = FakeStripe()
    c = bootstrap.install(bootstrap.build(settings(), payments=stripe,
                                          mailer=Mailer(NullSender(), JinjaRenderer(), EmailLedger())))
    BusinessModel("biz-bench", name="Bench studio", plan="standard", timezone="Europe/Berlin",
                  stripe_account_id="acct_bench", stripe_connection="connected").save()
    group = c.groups.create_membership_group("biz-bench", "m-bench", "Bench", "")
    MembershipRepository().save(Membership("biz-bench", "m-bench", "Bench", "", True, (), group.group_id, "prod_bench",
                                           (PriceOption("o1", "Monthly", 3000, "EUR", "month", 1, "price_bench"),)))
    fx = fixtures()
    consumer = c.stripe_events

    def play(prefix: str, count: int) -> float:
        lives = [life(fx, stripe, f"sub_{prefix}{i}") for i in range(count)]
        started = time.perf_counter()
        for step in range(len(EVENTS)):
            for events in lives:
                evt, change = events[step]
                change()
                consumer.handle(evt)
        return time.perf_counter() - started

    play("warm", 5)

    # Capture one run's DynamoDB calls (not timed: the copying would be).
    captured: list[tuple[str, dict[str, Any]]] = []
    per_type: dict[str, Counter[str]] = defaultdict(Counter)
    current = {"type": ""}
    original = BaseClient._make_api_call

    def spy(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            captured.append((operation, copy.deepcopy(params)))
            per_type[current["type"]][operation] += 1
        return original(self, operation, params)

    handle = consumer.handle

    def handle_typed(body: dict[str, Any]) -> None:
        current["type"] = body["type"]
        handle(body)

    BaseClient._make_api_call = spy  # type: ignore[method-assign]
    consumer.handle = handle_typed  # type: ignore[method-assign]
    try:
        play("capture", n)
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
        consumer.handle = handle  # type: ignore[method-assign]

    elapsed = play("timed", n)
    events = n * len(EVENTS)

    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
    started = time.perf_counter()
    for operation, params in captured:
        try:
            client._make_api_call(operation, params)
        except ClientError:
            pass  # a replayed conditional write is refused, at the same cost
    floor = time.perf_counter() - started

    rate, floor_rate = events / elapsed, events / floor
    print(f"memberships consumer on DynamoDB Local: {events} events ({n} subscriptions x {len(EVENTS)})")
    print(f"  consumer: {rate:8.1f} events/s   floor (same {len(captured)} DynamoDB calls, direct): {floor_rate:8.1f} events/s")
    print(f"  ratio {rate / floor_rate:.2f} (target >= 0.50)")
    print("DynamoDB calls per event (average):")
    for kind in EVENTS:
        total = sum(per_type[kind].values()) / n
        detail = ", ".join(f"{op} {cnt / n:.1f}" for op, cnt in sorted(per_type[kind].items()))
        print(f"  {kind:34s} {total:4.1f}  ({detail})")
    print(f"  {'all events':34s} {len(captured) / events:4.1f}")


if __name__ == "__main__":
    main()
