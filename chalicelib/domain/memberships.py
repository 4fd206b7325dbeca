"""Memberships: the catalogue (a membership and its price options) and the member lifecycle rules.

The payment provider (Stripe) is the source of truth for a subscription. The consumer re-reads the
subscription on every event and hands the snapshot to ``transition``, which compares it with what
we stored and says what follows: join or leave the group, which emails go out (each with its own
occurrence key, so a redelivered event never sends twice). Snapshots are applied only if they were
read later than the stored one, so events processed in any order converge to the same state.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from .courses import CourseTerms
from .errors import InvalidInputError
from .pauses import PauseWindow

Interval = Literal["week", "month", "year"]
# Stripe limits a billing period to at most one year.
MAX_INTERVAL_COUNT: dict[str, int] = {"week": 52, "month": 12, "year": 1}

# Stripe statuses in which the member keeps access. past_due: Stripe is still retrying (M6).
# paused (X1): Stripe's paused subscription; the member stays in the group, booking nothing until resumed.
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due", "paused"})
ONE_OFF_STATUS = "paid_once"  # a one-off price: no subscription, access until staff cancel it


@dataclass(frozen=True)
class PriceOption:
    option_id: str
    title: str
    amount_minor: int
    currency: str
    interval: Interval | None  # None: one-off payment
    interval_count: int = 1
    provider_price_id: str | None = None
    active: bool = True

    @property
    def recurring(self) -> bool:
        return self.interval is not None


@dataclass(frozen=True)
class Membership:
    business_id: str
    membership_id: str
    title: str
    description: str
    published: bool
    page_ids: tuple[str, ...]
    group_id: str
    provider_product_id: str | None = None
    options: tuple[PriceOption, ...] = ()
    course: CourseTerms | None = None  # S1: a course product (sold only through booking, enrols into a series)

    def option(self, option_id: str) -> PriceOption:
        from .errors import NotFoundError

        for o in self.options:
            if o.option_id == option_id:
                return o
        raise NotFoundError(f"Price option '{option_id}' does not exist on membership '{self.membership_id}'.")

    def option_by_price(self, price_id: str) -> PriceOption | None:
        return next((o for o in self.options if o.provider_price_id == price_id), None)


def check_billing_period(interval: str | None, interval_count: int) -> None:
    if interval is None:
        if interval_count != 1:
            raise InvalidInputError("A one-off price has no interval_count.", field="interval_count")
        return
    limit = MAX_INTERVAL_COUNT.get(interval)
    if limit is None:
        raise InvalidInputError("interval must be 'week', 'month', 'year' or null (one-off).", field="interval")
    if not 1 <= interval_count <= limit:
        raise InvalidInputError(
            f"Every {interval_count} {interval}(s) is not allowed: a billing period is at most one year "
            f"(1 to {limit} for '{interval}').",
            field="interval_count",
        )


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    what: str


@dataclass(frozen=True)
class PendingEmail:
    """An email a transition decided on; ``key`` names the occurrence (sent once per key)."""

    template: str
    key: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberRecord:
    """Our copy of one subscription (or one-off purchase) of a membership by one booker."""

    business_id: str
    subscription_id: str
    membership_id: str
    email: str
    status: str
    price_id: str | None = None
    customer_id: str | None = None
    cancel_at_period_end: bool = False
    current_period_end: datetime | None = None
    canceled_at: int | None = None
    started_at: datetime | None = None
    anchor: datetime | None = None
    in_group: bool = False  # the access we decided on (the group is brought in line by ``group_synced``)
    group_synced: bool = True
    synced_ms: int = 0  # when the snapshot we stored was read: older reads are never applied
    outbox: tuple[PendingEmail, ...] = ()
    history: tuple[HistoryItem, ...] = ()
    pauses: tuple[PauseWindow, ...] = ()  # X1: ours (Stripe knows only paused or not); copied to the group member
    pause_rev: int = 0  # X1: bumped by each change of ``pauses``; every record write is conditional on it too
    pause_day: date | None = None  # X1: the next day the pause schedule acts on this member (an index key)


@dataclass(frozen=True)
class Snapshot:
    """The provider's state as the lifecycle needs it (times as UTC datetimes)."""

    subscription_id: str
    status: str
    cancel_at_period_end: bool
    current_period_end: datetime | None
    price_id: str | None
    customer_id: str | None
    canceled_at: int | None = None
    started_at: datetime | None = None
    anchor: datetime | None = None


def from_unix(ts: int | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts else None


def has_access(status: str, cancel_at_period_end: bool, period_end: datetime | None, now: datetime) -> bool:
    """Access while paid or while Stripe retries; a cancellation at period end counts from the period end.

    The period-end check is the safety net: access ends when the paid period does, even if Stripe's
    ``customer.subscription.deleted`` never reached us.
    """
    if status == ONE_OFF_STATUS:
        return True
    if status not in ACCESS_STATUSES:
        return False
    return not (cancel_at_period_end and period_end is not None and now >= period_end)


@dataclass(frozen=True)
class Transition:
    record: MemberRecord
    emails: tuple[PendingEmail, ...]


def transition(old: MemberRecord, snap: Snapshot, read_ms: int, now: datetime) -> Transition:
    """Apply a snapshot read at ``read_ms`` to the stored record: the new record and the emails it causes."""
    access = has_access(snap.status, snap.cancel_at_period_end, snap.current_period_end, now)
    emails: list[PendingEmail] = []
    history: list[HistoryItem] = []
    sid = snap.subscription_id
    ends = snap.current_period_end.isoformat() if snap.current_period_end else None
    if snap.status != old.status:
        history.append(HistoryItem(now, f"status {old.status} -> {snap.status}"))
    if access and snap.cancel_at_period_end and not old.cancel_at_period_end:
        history.append(HistoryItem(now, f"cancelled; access until {ends}"))
        emails.append(PendingEmail("membership_cancelled", f"{sid}#cancelled#{snap.canceled_at or ends}", {"access_ends": ends}))
    if access and old.cancel_at_period_end and not snap.cancel_at_period_end and old.in_group:
        history.append(HistoryItem(now, "cancellation undone"))
        emails.append(PendingEmail("membership_restored", f"{sid}#restored#{old.canceled_at or 'period'}", {"renews": ends}))
    # First heard of only once it was over (its earlier events still on the way): it ended all the same.
    first_seen_over = old.status == "new" and snap.status in ("canceled", "unpaid")
    if (old.in_group or first_seen_over) and not access:
        history.append(HistoryItem(now, "access ended"))
        emails.append(PendingEmail("membership_ended", f"{sid}#ended#{snap.canceled_at or snap.status}", {}))
    if access and not old.in_group:
        history.append(HistoryItem(now, "joined the group"))
    record = replace(
        old,
        status=snap.status,
        price_id=snap.price_id or old.price_id,
        customer_id=snap.customer_id or old.customer_id,
        cancel_at_period_end=snap.cancel_at_period_end,
        current_period_end=snap.current_period_end,
        canceled_at=snap.canceled_at if snap.cancel_at_period_end or snap.status == "canceled" else None,
        started_at=old.started_at or snap.started_at,
        anchor=snap.anchor or old.anchor,
        in_group=access,
        group_synced=old.group_synced and access == old.in_group,
        synced_ms=read_ms,
        outbox=old.outbox + tuple(emails),
        history=old.history + tuple(history),
    )
    return Transition(record, tuple(emails))


CheckoutState = Literal["open", "completed", "expired", "failed"]


@dataclass(frozen=True)
class Checkout:
    """A membership checkout (with its basket of held places) between the session and its outcome."""

    business_id: str
    checkout_id: str
    membership_id: str
    option_id: str
    email: str
    booking_ids: tuple[str, ...] = ()
    state: str = "open"
    session_id: str | None = None
    # What paid it (recorded on completion): a cancelled card booking is refunded against it (B3).
    payment_intent_id: str | None = None
    invoice_id: str | None = None
    url: str | None = None  # the session's payment page, handed back to a repeated request (B4)
    expires_at: int | None = None


class StaleSnapshotError(Exception):
    """The stored member record changed since it was read: re-read and apply again."""
