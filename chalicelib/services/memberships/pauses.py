"""Pausing memberships (X1): staff pause or resume a member, members pause their own (if allowed),
staff pause every member of a membership for a closure (queued, a page per message).

A pause is ours first: it is stored on the member record (and copied to the group member, where it
refuses member tickets and shifts allowance periods). Stripe's side follows in ``step``: on the start
day the subscription is paused (Stripe's Pause endpoint: status ``paused``, no invoices), on the end
day it is resumed (billing cycle restarting that day, so billing dates move by the paused days). Each
call has an idempotency key per subscription and pause, each email a ledger key per pause: the
schedule, a redelivered message and a staff action may all run ``step``; each thing happens once.
The status Stripe reports is applied, as for every membership state, from the events (re-read).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ...domain.dates import iso_day_in_words
from ...domain.errors import ConflictError, NotFoundError, RuleRefusedError
from ...domain.memberships import HistoryItem, MemberRecord, StaleSnapshotError
from ...domain.paging import PageRequest
from ...domain.pauses import (
    REMINDER_DAYS,
    PausePolicy,
    PauseWindow,
    check_new_pause,
    next_action_day,
    pause_covering,
)
from ...logs import logger
from ...ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...domain.context import BookerContext, StaffContext
    from ...domain.tenancy import Business
    from ...ports.memberships import MembershipStore, MemberStore
    from ...ports.messaging import MailerPort
    from ...ports.payments import BusinessPayments
    from ...ports.queue import EventPublisher
    from ...ports.tenancy import BusinessStore
    from ..membership_lifecycle import MembershipLifecycle

    CancelBookings = Callable[[Business, str, str, PauseWindow], int]

ATTEMPTS = 5
BATCH_PAGE = 50
PAUSED_IN_STRIPE = frozenset({"active", "trialing"})  # Stripe's Pause takes these only


@dataclass(frozen=True)
class PauseRequest:
    starts_on: date
    resumes_on: date | None = None


def policy_of(business: Business) -> PausePolicy:
    return PausePolicy(business.members_may_pause, business.pause_max_days_per_year, business.pause_notice_days)


class MembershipPauses:
    def __init__(self, businesses: BusinessStore, memberships: MembershipStore, members: MemberStore,
                 lifecycle: MembershipLifecycle, payments: BusinessPayments, mailer: Callable[[], MailerPort],
                 cancel_bookings: CancelBookings, queue: Callable[[], EventPublisher], clock: Clock = utc_now) -> None:
        self.businesses = businesses
        self.memberships = memberships
        self.members = members
        self.lifecycle = lifecycle
        self.payments = payments
        self.mailer = mailer
        self.cancel_bookings = cancel_bookings
        self.queue = queue
        self.clock = clock

    def today(self, business: Business) -> date:
        return self.clock().astimezone(business.tz).date()

    # --- requests -------------------------------------------------------------------------------

    def pause(self, ctx: StaffContext, subscription_id: str, body: PauseRequest) -> MemberRecord:
        record = self.members.get(ctx.business_id, subscription_id)
        return self._add(ctx.business, record, PauseWindow(new_id(), body.starts_on, body.resumes_on))

    def pause_mine(self, ctx: BookerContext, subscription_id: str, body: PauseRequest) -> MemberRecord:
        record = self.members.find(ctx.business_id, subscription_id)
        if record is None or record.email != ctx.account_email:
            raise NotFoundError(f"Membership subscription '{subscription_id}' does not exist.")
        window = PauseWindow(new_id(), body.starts_on, body.resumes_on, by_member=True)
        return self._add(ctx.business, record, window)

    def resume(self, ctx: StaffContext, subscription_id: str) -> MemberRecord:
        """End the current pause today (or drop one not started yet); Stripe resumes in ``step``."""
        business = ctx.business
        today = self.today(business)
        record = self.members.get(ctx.business_id, subscription_id)
        current = pause_covering(record.pauses, today) or next(
            (p for p in record.pauses if p.starts_on > today), None)
        if current is None:
            raise ConflictError("This membership is not paused, and no pause is planned.", code="not_paused")
        if current.starts_on > today:
            pauses = tuple(p for p in record.pauses if p.pause_id != current.pause_id)
            what = f"planned pause from {current.starts_on} cancelled"
        else:
            pauses = tuple(replace(p, resumes_on=today) if p.pause_id == current.pause_id else p for p in record.pauses)
            what = f"pause from {current.starts_on} ended by staff on {today}"
        record = self._write(record, pauses, what, today)
        return self.step(business, record)

    def pause_all(self, ctx: StaffContext, membership_id: str, body: PauseRequest) -> dict[str, Any]:
        """A closure: every running member of the membership is paused, a page per queue message."""
        self.memberships.get(ctx.business_id, membership_id)
        probe = PauseWindow("probe", body.starts_on, body.resumes_on)
        check_new_pause(probe, (), "active", self.today(ctx.business), policy_of(ctx.business))
        batch_id = new_id()
        self.queue().send("membership_pause_batch", {
            "business_id": ctx.business_id, "membership_id": membership_id, "pause_id": batch_id,
            "starts_on": body.starts_on.isoformat(),
            "resumes_on": body.resumes_on.isoformat() if body.resumes_on else None, "cursor": None})
        return {"pause_id": batch_id, "membership_id": membership_id, "starts_on": body.starts_on,
                "resumes_on": body.resumes_on, "queued": True}

    # --- queue handlers ---------------------------------------------------------------------------

    def pause_batch(self, body: dict[str, Any]) -> None:
        """``queue_handlers["membership_pause_batch"]``: one page of members, the next page handed on first.
        The pause id is the batch's, so a redelivered page adds nothing twice."""
        business = self.businesses.get(str(body["business_id"]))
        page = self.members.membership_page(business.business_id, str(body["membership_id"]),
                                            PageRequest(BATCH_PAGE, body.get("cursor")))
        if page.next_key:
            self.queue().send("membership_pause_batch", {**body, "cursor": page.next_key})
        resumes = body.get("resumes_on")
        window = PauseWindow(str(body["pause_id"]), date.fromisoformat(str(body["starts_on"])),
                             date.fromisoformat(str(resumes)) if resumes else None)
        for record in page.items:
            if any(p.pause_id == window.pause_id for p in record.pauses) or not self.lifecycle.access(record):
                continue
            try:
                self._add(business, record, window)
            except (ConflictError, RuleRefusedError) as exc:  # already paused then, or no longer running
                logger.info("member left out of a bulk pause", extra={"subscription_id": record.subscription_id,
                                                                      "reason": str(exc)})

    def step_message(self, body: dict[str, Any]) -> None:
        """``queue_handlers["membership_pause_step"]``: what is due today for one member's pauses."""
        business = self.businesses.get(str(body["business_id"]))
        record = self.members.find(business.business_id, str(body["subscription_id"]))
        if record is not None:
            self.step(business, record)

    # --- the work -----------------------------------------------------------------------------------

    def _add(self, business: Business, record: MemberRecord, window: PauseWindow) -> MemberRecord:
        today = self.today(business)
        for _ in range(ATTEMPTS):
            check_new_pause(window, record.pauses, record.status, today, policy_of(business))
            until = window.resumes_on.isoformat() if window.resumes_on else "open-ended"
            try:
                record = self._write(record, record.pauses + (window,), f"pause {window.starts_on} to {until}", today)
                break
            except StaleSnapshotError:
                record = self.members.get(record.business_id, record.subscription_id)
        else:
            raise StaleSnapshotError(record.subscription_id)
        membership = self.memberships.get_recent(business.business_id, record.membership_id)
        cancelled = self.cancel_bookings(business, record.email, membership.group_id, window)
        logger.info("membership paused", extra={"subscription_id": record.subscription_id, "bookings_cancelled": cancelled})
        return self.step(business, record)

    def _write(self, record: MemberRecord, pauses: tuple[PauseWindow, ...], what: str, today: date) -> MemberRecord:
        new = replace(record, pauses=pauses, pause_rev=record.pause_rev + 1, group_synced=False,
                      pause_day=next_action_day(pauses, today),
                      history=record.history + (HistoryItem(self.clock(), what),))
        self.members.replace(record, new)
        return self.lifecycle.drain(new)  # the group member gets the pauses

    def step(self, business: Business, record: MemberRecord) -> MemberRecord:
        """Do what today calls for: pause or resume on Stripe, the emails; then move ``pause_day`` to
        the next day with something to do. Only our latest ended pause resumes Stripe (a subscription
        paused in the Stripe dashboard later is the business's own doing)."""
        today = self.today(business)
        sid = record.subscription_id
        unvisited_from = record.pause_day  # days from here on were never acted on (the schedule was down)
        ended = [p for p in record.pauses if p.resumes_on is not None and p.resumes_on <= today]
        latest = max(ended, key=lambda p: p.resumes_on or today, default=None)
        for p in record.pauses:
            started, over = p.starts_on <= today, p.resumes_on is not None and p.resumes_on <= today
            if not started or (p.from_stripe and not over):
                continue  # Stripe's own pause: Stripe paused it, no email of ours
            if not over:
                if record.status in PAUSED_IN_STRIPE:
                    record = self._stripe(business, record, "pause", p)
                self._email(business, record, "membership_paused", f"{sid}#paused#{p.pause_id}", p)
                ending = p.resumes_on is not None and p.resumes_on - timedelta(days=REMINDER_DAYS) <= today
                if ending:
                    self._email(business, record, "membership_pause_ending", f"{sid}#pause_ending#{p.pause_id}", p)
                continue
            if p is latest and record.status == "paused" and pause_covering(record.pauses, today) is None:
                record = self._stripe(business, record, "resume", p)
            # A pause over before any run saw it start (the schedule down throughout): Stripe is not paused
            # after the fact (that would restart the billing cycle today, for days already gone) and the
            # member gets one email, the resumed one, telling the whole pause and that billing ran on.
            missed = (not p.from_stripe and unvisited_from is not None and unvisited_from <= p.starts_on
                      and record.status != "paused")
            if missed:
                logger.warning("pause over before the schedule could start it: billing was not paused",
                               extra={"subscription_id": sid, "pause_id": p.pause_id})
            if not p.from_stripe and p.resumes_on is not None and p.resumes_on >= today - timedelta(days=REMINDER_DAYS):
                self._email(business, record, "membership_resumed", f"{sid}#resumed#{p.pause_id}", p,  # once: ledger
                            missed_start=missed)
        return self._move_pause_day(record, today + timedelta(days=1))

    def _stripe(self, business: Business, record: MemberRecord, action: str, p: PauseWindow) -> MemberRecord:
        port = self.payments.for_business(business.business_id)
        read_ms = self.lifecycle.now_ms()
        key = f"{record.subscription_id}:{p.pause_id}"
        snap = port.pause_subscription(record.subscription_id, key) if action == "pause" else \
            port.resume_subscription(record.subscription_id, key)
        return self.lifecycle.apply(business.business_id, snap, read_ms) or record

    def _move_pause_day(self, record: MemberRecord, after: date) -> MemberRecord:
        for _ in range(ATTEMPTS):
            day = next_action_day(record.pauses, after)
            if day == record.pause_day:
                return record
            moved = replace(record, pause_day=day, pause_rev=record.pause_rev + 1)
            try:
                self.members.replace(record, moved)
                return moved
            except StaleSnapshotError:
                record = self.members.get(record.business_id, record.subscription_id)
        return record  # contended: the schedule comes back to it on its current day

    def _email(self, business: Business, record: MemberRecord, template: str, key: str, p: PauseWindow,
               **extra: Any) -> None:
        membership = self.memberships.get_recent(business.business_id, record.membership_id)
        context = {**self.lifecycle.context(membership, record), **extra}
        context.update(starts_on=iso_day_in_words(p.starts_on.isoformat(), business.tz),
                       resumes_on=iso_day_in_words(p.resumes_on.isoformat(), business.tz) if p.resumes_on else None)
        self.mailer().send_once(key, template, record.email, context)
