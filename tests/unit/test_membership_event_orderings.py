"""M9: Stripe events late, twice or out of order end in the same member state as in-order delivery.

A subscription lives a random life (created, updated — cancel at period end or undo —, invoice paid,
payment failed, final failure, deleted). Its events are delivered with random delays, in random
order, some twice, while the life goes on; the outcome is compared with processing each event once,
right when it happened. The consumer, lifecycle and transition code are the real ones; Stripe,
the tables, the groups and the mailer are in-memory stand-ins with the same conditional semantics.
"""
from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.stripe_objects import parse_event, subscription_snapshot
from chalicelib.domain.memberships import Membership, PriceOption
from chalicelib.ports.payments import InvoiceSnapshot, SubscriptionSnapshot
from chalicelib.services.membership_lifecycle import MembershipLifecycle
from chalicelib.services.stripe_events import StripeEventConsumer
from tests.fakes.memberships import (
    FakeBusinesses,
    FakeGroups,
    FakeMailer,
    FakeQueue,
    InMemoryMembers,
    InMemoryMemberships,
    InMemoryProcessedEvents,
)
from tests.fakes.payments import FakeConnect, OneAccount
from tests.stripe_support import event, resource

DAY = 86400
T0 = 1_900_000_000
STEPS = ["cancel_at_period_end", "undo_cancel", "renew", "payment_failed", "recover", "final_failure", "deleted"]


class FakeStripe:
    def __init__(self) -> None:
        self.subs: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}

    def retrieve_subscription(self, sid: str) -> SubscriptionSnapshot:
        return subscription_snapshot(copy.deepcopy(self.subs[sid]))

    def retrieve_invoice(self, iid: str) -> InvoiceSnapshot:
        inv = self.invoices[iid]
        return InvoiceSnapshot(iid, inv["status"], None, inv["amount_paid"], inv["amount_due"], "eur", inv["billing_reason"],
                               inv["attempt_count"], None, None)


def memberships() -> InMemoryMemberships:
    return InMemoryMemberships(Membership("biz", "m1", "Gold", "", True, (), "g1", "prod_1",
                                          (PriceOption("o1", "Monthly", 3000, "EUR", "month", 1, "price_1"),)))


class World:
    """One in-memory system; ``now`` is Stripe's and our clock (seconds)."""

    def __init__(self) -> None:
        self.now = T0
        self.stripe = FakeStripe()
        self.members = InMemoryMembers()
        self.groups = FakeGroups()
        self.mailer = FakeMailer()
        clock = lambda: datetime.fromtimestamp(self.now, UTC)  # noqa: E731
        self.lifecycle = MembershipLifecycle(FakeBusinesses(), memberships(), self.members, lambda: self.groups,
                                             OneAccount(lambda: self.stripe), lambda: self.mailer, clock)  # type: ignore[arg-type,return-value]
        self.consumer = StripeEventConsumer(InMemoryProcessedEvents(), self.lifecycle, lambda b, c: None, memberships(),
                                            self.members, {}, OneAccount(lambda: self.stripe), lambda: self.mailer,  # type: ignore[arg-type,return-value]
                                            FakeQueue, parse=parse_event, connect=lambda: FakeConnect(acct_biz="biz"),  # type: ignore[arg-type,return-value]
                                            livemode=False, clock=clock)

    def deliver(self, evt: dict[str, Any]) -> None:
        self.now += 1
        self.consumer.handle(copy.deepcopy(evt))


def life(stripe: FakeStripe, sid: str, steps: list[str], tick: Any) -> list[list[dict[str, Any]]]:
    """Play the steps on Stripe's side; returns the events each step emitted (step 0: creation)."""
    sub = resource("subscription", id=sid, customer="cus_1", status="active", cancel_at_period_end=False,
                   canceled_at=None, cancel_at=None, ended_at=None, start_date=T0, billing_cycle_anchor=T0,
                   latest_invoice=None, metadata={"business_id": "biz", "membership_id": "m1", "customer_email": "a@x.org"})
    sub["items"]["data"][0].update(current_period_start=T0, current_period_end=T0 + 30 * DAY, price=resource("price", id="price_1"))
    stripe.subs[sid] = sub
    emitted: list[list[dict[str, Any]]] = []
    n = 0

    def emit(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        nonlocal n
        n += 1
        return event(kind, copy.deepcopy(obj), event_id=f"evt_{sid}_{n}", created=tick(), account="acct_biz")

    def invoice(status: str, reason: str) -> dict[str, Any]:
        iid = f"in_{sid}_{len(stripe.invoices)}"
        inv = resource("invoice", id=iid, status=status, billing_reason=reason, attempt_count=1, amount_due=3000,
                       amount_paid=3000 if status == "paid" else 0,
                       parent={"type": "subscription_details", "subscription_details": {"subscription": sid, "metadata": {}}})
        stripe.invoices[iid] = inv
        return inv

    emitted.append([emit("customer.subscription.created", sub), emit("invoice.paid", invoice("paid", "subscription_create"))])
    for step in steps:
        out: list[dict[str, Any]] = []
        item = sub["items"]["data"][0]
        if sub["status"] == "canceled":
            emitted.append(out)
            continue
        if step == "cancel_at_period_end" and not sub["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=True, canceled_at=tick(), cancel_at=item["current_period_end"])
            out.append(emit("customer.subscription.updated", sub))
        elif step == "undo_cancel" and sub["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=False, canceled_at=None, cancel_at=None)
            out.append(emit("customer.subscription.updated", sub))
        elif step == "renew" and sub["status"] in ("active", "past_due"):
            item.update(current_period_start=item["current_period_end"], current_period_end=item["current_period_end"] + 30 * DAY)
            sub["status"] = "active"
            out += [emit("invoice.paid", invoice("paid", "subscription_cycle")), emit("customer.subscription.updated", sub)]
        elif step == "payment_failed" and sub["status"] == "active":
            sub["status"] = "past_due"
            out += [emit("invoice.payment_failed", invoice("open", "subscription_cycle")), emit("customer.subscription.updated", sub)]
        elif step == "recover" and sub["status"] == "past_due":
            sub["status"] = "active"
            out.append(emit("customer.subscription.updated", sub))
        elif step == "final_failure" and sub["status"] == "past_due":
            sub["status"] = "unpaid"
            out.append(emit("customer.subscription.updated", sub))
        elif step == "deleted":
            sub.update(status="canceled", ended_at=tick(), canceled_at=sub["canceled_at"] or tick(), cancel_at_period_end=False)
            out.append(emit("customer.subscription.deleted", sub))
        emitted.append(out)
    return emitted


def outcome(world: World, sid: str) -> tuple:
    r = world.members.get("biz", sid)
    ended = sorted(k.split("#")[-2] for k in world.mailer.sent if "membership_ended" in k)
    return (r.status, r.cancel_at_period_end, r.current_period_end, r.in_group, r.group_synced, r.outbox,
            ("a@x.org", sid) in world.groups.members, ended)


def replay(steps: list[str]) -> tuple[FakeStripe, list[list[dict[str, Any]]]]:
    """Stripe after ``steps`` (the same clock every time, so prefixes agree), and the events of each step."""
    stripe = FakeStripe()
    clock = iter(range(T0 + 1, T0 + 10_000, 10))
    return stripe, life(stripe, "sub_x", steps, lambda: next(clock))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=7),
    delays=st.lists(st.integers(min_value=0, max_value=8), min_size=40, max_size=40),
    duplicates=st.lists(st.booleans(), min_size=40, max_size=40),
    order=st.randoms(use_true_random=False),
)
def test_any_delivery_order_with_duplicates_ends_like_in_order(steps, delays, duplicates, order):
    states = [replay(steps[:i])[0] for i in range(len(steps) + 1)]  # Stripe's state after each step
    emitted = replay(steps)[1]

    # In order: each event processed once, right after its step, while Stripe is in that step's state.
    ordered = World()
    for step_no, batch in enumerate(emitted):
        ordered.stripe = states[step_no]
        for evt in batch:
            ordered.deliver(evt)
        ordered.now += 10

    # Shuffled: each event arrives 0..8 steps late, maybe twice, in random order, while the life goes on.
    shuffled = World()
    deliveries: dict[int, list[dict[str, Any]]] = {}
    k = 0
    for step_no, batch in enumerate(emitted):
        for evt in batch:
            for copy_no in range(2 if duplicates[k % 40] else 1):
                deliveries.setdefault(step_no + delays[(k + 7 * copy_no) % 40], []).append(evt)
            k += 1
    for t in range(max(deliveries) + 1):
        shuffled.stripe = states[min(t, len(steps))]
        batch = deliveries.get(t, [])
        order.shuffle(batch)
        for evt in batch:
            shuffled.deliver(evt)
        shuffled.now += 10

    assert outcome(shuffled, "sub_x") == outcome(ordered, "sub_x")
    assert len([key for key in shuffled.mailer.sent if "membership_ended" in key]) <= 1
