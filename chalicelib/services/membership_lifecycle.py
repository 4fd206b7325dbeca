"""Applies the provider's subscription state to a member: record, group access, lifecycle emails.

``sync`` re-reads the subscription from the provider (the source of truth) and applies it; the
record write is conditional on the stored snapshot being older, so events handled late, twice or
in any order end in the state of the newest read (M9). What a transition decided (group access,
emails) is stored with the record and carried out by ``drain`` — again on the next touch if this
attempt dies half-way — with the email ledger making each email go out once.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..domain.dates import iso_day_in_words
from ..domain.errors import NotFoundError
from ..domain.memberships import (
    ONE_OFF_STATUS,
    HistoryItem,
    MemberRecord,
    Membership,
    Snapshot,
    StaleSnapshotError,
    from_unix,
    has_access,
    transition,
)
from ..domain.money import format_money
from ..domain.pauses import follow_stripe
from ..logs import logger
from ..ports.clock import Clock, utc_now

DATE_KEYS = ("renews", "access_ends")  # dates a lifecycle email carries: shown in words, business zone

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..ports.memberships import MembershipGroups, MembershipStore, MemberStore
    from ..ports.messaging import MailerPort
    from ..ports.payments import BusinessPayments, SubscriptionSnapshot
    from ..ports.tenancy import BusinessStore

ATTEMPTS = 5


def snapshot_of(s: SubscriptionSnapshot) -> Snapshot:
    return Snapshot(
        subscription_id=s.subscription_id,
        status=s.status,
        cancel_at_period_end=s.cancel_at_period_end,
        current_period_end=from_unix(s.current_period_end),
        price_id=s.price_id,
        customer_id=s.customer_id,
        canceled_at=s.canceled_at,
        started_at=from_unix(s.start_date),
        anchor=from_unix(s.billing_cycle_anchor),
    )


class MembershipLifecycle:
    def __init__(
        self,
        businesses: BusinessStore,
        memberships: MembershipStore,
        members: MemberStore,
        groups: Callable[[], MembershipGroups],
        payments: BusinessPayments,
        mailer: Callable[[], MailerPort],
        clock: Clock = utc_now,
    ) -> None:
        self.businesses = businesses
        self.memberships = memberships
        self.members = members
        self.groups = groups
        self.payments = payments
        self.mailer = mailer
        self.clock = clock

    def now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    def sync(self, business_id: str, subscription_id: str, likely_new: bool = False) -> MemberRecord | None:
        """Re-read the subscription from the business's Stripe account and apply it (None: not one of ours).

        ``likely_new`` (a "created" event): first try writing the record as new, unread; only when
        one exists already is it read, so the usual case saves a read."""
        return self.sync_snapshot(business_id, subscription_id, likely_new)[0]

    def sync_snapshot(self, business_id: str, subscription_id: str,
                      likely_new: bool = False) -> tuple[MemberRecord | None, SubscriptionSnapshot]:
        """``sync``, also giving the snapshot read (its latest invoice saves the caller a second read)."""
        read_ms = self.now_ms()
        sub = self.payments.for_business(business_id).retrieve_subscription(subscription_id)
        return self.apply(business_id, sub, read_ms, likely_new), sub

    def apply(self, business_id: str, sub: SubscriptionSnapshot, read_ms: int,
              likely_new: bool = False) -> MemberRecord | None:
        """Apply a subscription read from ``business_id``'s account; metadata naming another business is ignored."""
        md = sub.metadata
        membership_id, email = md.get("membership_id"), md.get("customer_email")
        if not (membership_id and email):
            logger.info("subscription is not a membership of ours; ignored", extra={"subscription_id": sub.subscription_id})
            return None
        if md.get("business_id") != business_id:
            logger.warning("subscription metadata names another business than its account's; ignored",
                           extra={"subscription_id": sub.subscription_id, "business_id": business_id})
            return None
        return self._apply(business_id, membership_id, email, snapshot_of(sub), read_ms, likely_new=likely_new)

    def apply_one_off(self, business_id: str, membership_id: str, email: str, purchase_id: str,
                      customer_id: str | None) -> MemberRecord:
        """A one-off price: access from now on, until staff cancel it."""
        now = self.clock()
        snap = Snapshot(purchase_id, ONE_OFF_STATUS, False, None, None, customer_id, started_at=now, anchor=now)
        return self._apply(business_id, membership_id, email, snap, self.now_ms())

    def expire(self, business_id: str, subscription_id: str) -> MemberRecord | None:
        """Safety net at period end: re-read; if the provider cannot answer, end access on our own record."""
        record = self.members.find(business_id, subscription_id)
        if record is None or not record.in_group:
            return record
        try:
            return self.sync(business_id, subscription_id)
        except Exception:  # the provider is down: the paid period is over all the same
            logger.exception("provider unreachable at period end; ending access from our record")
            own = Snapshot(subscription_id, record.status, record.cancel_at_period_end, record.current_period_end,
                           record.price_id, record.customer_id, record.canceled_at)
            return self._apply(business_id, record.membership_id, record.email, own, record.synced_ms, same_read=True)

    def end_one_off(self, record: MemberRecord) -> MemberRecord:
        snap = Snapshot(record.subscription_id, "canceled", False, None, None, record.customer_id, canceled_at=int(self.clock().timestamp()))
        return self._apply(record.business_id, record.membership_id, record.email, snap, self.now_ms())

    def _apply(self, business_id: str, membership_id: str, email: str, snap: Snapshot, read_ms: int,
               same_read: bool = False, likely_new: bool = False) -> MemberRecord:
        record: MemberRecord | None = None
        for attempt in range(ATTEMPTS):
            old = None if likely_new and attempt == 0 else self.members.find(business_id, snap.subscription_id)
            base = old or MemberRecord(business_id, snap.subscription_id, membership_id, email, status="new")
            if old is not None and (old.synced_ms > read_ms or (old.synced_ms == read_ms and not same_read)):
                record = old  # a newer read is already applied: this one is history
                break
            new = self._follow_stripe_pause(transition(base, snap, read_ms, self.clock()).record)
            try:
                self.members.replace(old, new)
                record = new
                break
            except StaleSnapshotError:
                continue
        if record is None:
            raise StaleSnapshotError(snap.subscription_id)
        return self.drain(record)

    def _follow_stripe_pause(self, record: MemberRecord) -> MemberRecord:
        """X1: Stripe's ``paused`` with no pause of ours is an open-ended pause until Stripe resumes it."""
        if record.status != "paused" and not any(p.from_stripe and p.resumes_on is None for p in record.pauses):
            return record
        today = self.clock().astimezone(self._tz(record.business_id)).date()
        pauses = follow_stripe(record.pauses, record.status, today)
        if pauses == record.pauses:
            return record
        what = "paused on Stripe" if len(pauses) > len(record.pauses) else "resumed on Stripe"
        return replace(record, pauses=pauses, pause_rev=record.pause_rev + 1, group_synced=False,
                       history=record.history + (HistoryItem(self.clock(), what),))

    def drain(self, record: MemberRecord) -> MemberRecord:
        """Bring the group in line with the record and send its pending emails, then clear them."""
        for _ in range(ATTEMPTS):
            if record.group_synced and not record.outbox:
                return record
            membership = self.memberships.get_recent(record.business_id, record.membership_id)
            if not record.group_synced:
                self._sync_group(membership, record)
            for email in record.outbox:
                context = {**self.context(membership, record), **email.context}
                tz = self._tz(record.business_id)
                context.update({k: iso_day_in_words(v, tz) for k, v in email.context.items()
                                if k in DATE_KEYS and isinstance(v, str)})
                self.mailer().send_once(email.key, email.template, record.email, context)
            try:
                return self.members.mark_drained(record, len(record.outbox))
            except StaleSnapshotError:
                record = self.members.get(record.business_id, record.subscription_id)
        raise StaleSnapshotError(record.subscription_id)

    def _sync_group(self, membership: Membership, record: MemberRecord) -> None:
        groups = self.groups()
        if record.in_group:
            groups.join_via_membership(
                record.business_id, membership.group_id, record.email, record.subscription_id,
                joined_at=record.started_at or self.clock(),
                anchor=record.anchor.date() if record.anchor else None,
            )
            if record.pauses:
                groups.set_membership_pauses(record.business_id, membership.group_id, record.email, record.pauses)
        else:
            groups.leave_via_membership(record.business_id, membership.group_id, record.email, record.subscription_id)

    def context(self, membership: Membership, record: MemberRecord) -> dict[str, Any]:
        try:
            business = self.businesses.get(record.business_id)
            business_name, tz = business.name, business.tz
        except NotFoundError:
            business_name, tz = record.business_id, ZoneInfo("UTC")
        option = membership.option_by_price(record.price_id) if record.price_id else None
        return {
            "business_name": business_name,
            "membership_title": membership.title,
            "option_title": option.title if option else membership.title,
            "amount": format_money(option.amount_minor, option.currency) if option else "",
            "renews": iso_day_in_words(record.current_period_end.isoformat(), tz) if record.current_period_end else None,
            "email": record.email,
        }

    def _tz(self, business_id: str) -> ZoneInfo:
        try:
            return self.businesses.get(business_id).tz
        except NotFoundError:
            return ZoneInfo("UTC")

    def access(self, record: MemberRecord) -> bool:
        return has_access(record.status, record.cancel_at_period_end, record.current_period_end, self.clock())
