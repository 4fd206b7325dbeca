"""X1: Stripe's pause and resume events (customer.subscription.paused / resumed, with the updated and
invoice events around them) delivered late, twice or shuffled end like in-order delivery: the member
stays in the group while paused, the status is the newest read, and our own pauses on the record
survive every event. Same in-memory world as ``test_membership_event_orderings``."""
from __future__ import annotations

import copy
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.memberships import MemberRecord
from chalicelib.domain.pauses import PauseWindow
from tests.stripe_support import event, resource
from tests.unit.test_membership_event_orderings import DAY, T0, FakeStripe, World, outcome

STEPS = ["pause", "resume", "renew", "cancel_at_period_end", "undo_cancel", "deleted"]
OURS = (PauseWindow("p1", date(2030, 3, 1), date(2030, 3, 11)),)


def life(stripe: FakeStripe, sid: str, steps: list[str], tick: Any) -> list[list[dict[str, Any]]]:
    sub = resource("subscription", id=sid, customer="cus_1", status="active", cancel_at_period_end=False,
                   canceled_at=None, cancel_at=None, ended_at=None, start_date=T0, billing_cycle_anchor=T0,
                   latest_invoice=None, metadata={"business_id": "biz", "membership_id": "m1", "customer_email": "a@x.org"})
    sub["items"]["data"][0].update(current_period_start=T0, current_period_end=T0 + 30 * DAY, price=resource("price", id="price_1"))
    stripe.subs[sid] = sub
    n = 0

    def emit(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        nonlocal n
        n += 1
        return event(kind, copy.deepcopy(obj), event_id=f"evt_{sid}_{n}", created=tick(), account="acct_biz")

    def paid_invoice(reason: str) -> dict[str, Any]:
        iid = f"in_{sid}_{len(stripe.invoices)}"
        stripe.invoices[iid] = resource("invoice", id=iid, status="paid", billing_reason=reason, attempt_count=1,
                                        amount_due=3000, amount_paid=3000, parent={
                                            "type": "subscription_details",
                                            "subscription_details": {"subscription": sid, "metadata": {}}})
        return stripe.invoices[iid]

    emitted = [[emit("customer.subscription.created", sub), emit("invoice.paid", paid_invoice("subscription_create"))]]
    for step in steps:
        out: list[dict[str, Any]] = []
        item, status = sub["items"]["data"][0], sub["status"]
        if step == "pause" and status == "active":
            sub["status"] = "paused"
            out += [emit("customer.subscription.paused", sub), emit("customer.subscription.updated", sub)]
        elif step == "resume" and status == "paused":
            now = tick()
            item.update(current_period_start=now, current_period_end=now + 30 * DAY)
            sub.update(status="active", billing_cycle_anchor=now)
            out += [emit("invoice.paid", paid_invoice("subscription_update")), emit("customer.subscription.resumed", sub),
                    emit("customer.subscription.updated", sub)]
        elif step == "renew" and status == "active":
            item.update(current_period_start=item["current_period_end"], current_period_end=item["current_period_end"] + 30 * DAY)
            out += [emit("invoice.paid", paid_invoice("subscription_cycle")), emit("customer.subscription.updated", sub)]
        elif step == "cancel_at_period_end" and status in ("active", "paused") and not sub["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=True, canceled_at=tick(), cancel_at=item["current_period_end"])
            out.append(emit("customer.subscription.updated", sub))
        elif step == "undo_cancel" and status != "canceled" and sub["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=False, canceled_at=None, cancel_at=None)
            out.append(emit("customer.subscription.updated", sub))
        elif step == "deleted" and status != "canceled":
            sub.update(status="canceled", ended_at=tick(), canceled_at=sub["canceled_at"] or tick(), cancel_at_period_end=False)
            out.append(emit("customer.subscription.deleted", sub))
        emitted.append(out)
    return emitted


def replay(steps: list[str]) -> tuple[FakeStripe, list[list[dict[str, Any]]]]:
    stripe = FakeStripe()
    clock = iter(range(T0 + 1, T0 + 10_000, 10))
    return stripe, life(stripe, "sub_x", steps, lambda: next(clock))


def world_with_our_pause() -> World:
    world = World()
    world.members.replace(None, MemberRecord("biz", "sub_x", "m1", "a@x.org", "new", pauses=OURS, pause_rev=1))
    return world


def ours(pauses: tuple[PauseWindow, ...] | None) -> tuple[PauseWindow, ...] | None:
    return None if pauses is None else tuple(p for p in pauses if not p.from_stripe)


def pause_outcome(world: World) -> tuple:
    """Our pauses, and whether a pause stands for Stripe's own (how many came and went depends on which
    states the re-reads happened to see; only the last one matters)."""
    r = world.members.get("biz", "sub_x")
    group = world.groups.pauses.get("a@x.org") if r.in_group else None
    stripe_open = any(p.from_stripe and p.resumes_on is None for p in r.pauses)
    return outcome(world, "sub_x") + (stripe_open, ours(r.pauses), ours(group))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=7),
    delays=st.lists(st.integers(min_value=0, max_value=8), min_size=40, max_size=40),
    duplicates=st.lists(st.booleans(), min_size=40, max_size=40),
    order=st.randoms(use_true_random=False),
)
def test_pause_and_resume_events_in_any_order_with_duplicates_end_like_in_order(steps, delays, duplicates, order):
    states = [replay(steps[:i])[0] for i in range(len(steps) + 1)]
    emitted = replay(steps)[1]

    ordered = world_with_our_pause()
    for step_no, batch in enumerate(emitted):
        ordered.stripe = states[step_no]
        for evt in batch:
            ordered.deliver(evt)
        ordered.now += 10

    shuffled = world_with_our_pause()
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

    final = pause_outcome(shuffled)
    assert final == pause_outcome(ordered)
    status, in_group, stripe_open, pauses = final[0], final[3], final[-3], final[-2]
    assert pauses == OURS  # no event drops the pauses we stored
    # OURS ended before this world's today: a paused subscription is Stripe's own pause, open until it resumes
    assert stripe_open == (status == "paused")
    if status == "paused":
        assert in_group and final[-1] == OURS  # paused: still in the group, the group member knows the pause
        group = world_pauses(shuffled)
        assert any(p.from_stripe and p.resumes_on is None for p in group)  # so member tickets are refused


def world_pauses(world: World) -> tuple[PauseWindow, ...]:
    return world.groups.pauses.get("a@x.org") or ()
