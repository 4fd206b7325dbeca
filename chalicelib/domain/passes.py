"""Passes (P1–P7): products staff sell, passes bookers hold, and the rules for using them.

A sold pass is a *snapshot* of its product (uses, eligibility, expiry rule): editing the product
later never changes passes already sold. Expiry is computed, never stored as a timestamp, so an
override or the first use moves it without a second write. Dates are end of day in the business's
time zone: a pass "valid until 31 March" works until midnight there, wherever the server runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from .dates import LATEST_DAY, check_day
from .errors import ConflictError, InvalidInputError, RuleRefusedError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from zoneinfo import ZoneInfo

    from .catalogue import Entry, Ticket

MAX_DAYS = 3650
MAX_USES = 10_000


class ExpiryKind(str, Enum):
    FIXED_DATE = "fixed_date"
    DAYS_FROM_FIRST_USE = "days_from_first_use"
    DAYS_FROM_PURCHASE = "days_from_purchase"


class PassState(str, Enum):
    ACTIVE = "active"
    USED_UP = "used_up"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class ExpiryRule:
    kind: ExpiryKind
    fixed_date: date | None = None  # FIXED_DATE: last valid day (inclusive)
    days: int | None = None  # relative kinds: the whole timeframe in days

    def __post_init__(self) -> None:
        if self.kind is ExpiryKind.FIXED_DATE:
            if self.fixed_date is None or self.days is not None:
                raise InvalidInputError("A fixed-date expiry needs 'date' and no 'days'.", field="expiry.date")
            check_day(self.fixed_date, "expiry.date")
        else:
            if self.days is None or self.fixed_date is not None:
                raise InvalidInputError(f"A '{self.kind.value}' expiry needs 'days' and no 'date'.", field="expiry.days")
            if not 1 <= self.days <= MAX_DAYS:
                raise InvalidInputError(f"Expiry days must be between 1 and {MAX_DAYS}.", field="expiry.days")

    def as_dict(self) -> dict[str, Any]:
        """The rule as plain values, for history entries and responses."""
        return {
            "kind": self.kind.value,
            "date": self.fixed_date.isoformat() if self.fixed_date else None,
            "days": self.days,
        }


@dataclass(frozen=True)
class Eligibility:
    """What a pass can pay for: any listed ticket, any ticket on a listed entry or schedule page.

    Ticket ids are shared by every session of a series, so listing a series' ticket covers the
    whole series. Exclusive (members-only) tickets are never payable by a pass.
    """

    ticket_ids: tuple[str, ...] = ()
    entry_ids: tuple[str, ...] = ()
    page_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (self.ticket_ids or self.entry_ids or self.page_ids):
            raise InvalidInputError(
                "Name at least one ticket, entry or schedule page the pass can pay for.", field="eligible"
            )

    def covers(self, entry: Entry, ticket: Ticket) -> bool:
        if ticket.exclusive:
            return False
        return ticket.ticket_id in self.ticket_ids or entry.entry_id in self.entry_ids or entry.page_id in self.page_ids


@dataclass(frozen=True)
class PassProduct:
    business_id: str
    product_id: str
    title: str
    description: str
    price_minor: int
    currency: str
    uses: int
    eligibility: Eligibility
    expiry: ExpiryRule
    published: bool = True
    archived: bool = False
    created_at: datetime | None = None

    @property
    def on_sale(self) -> bool:
        return self.published and not self.archived

    @property
    def eligible(self) -> Eligibility:
        """The name the API uses."""
        return self.eligibility


@dataclass(frozen=True)
class HistoryEntry:
    """One staff override: who did it, when, which field, the value before and after."""

    who: str
    at: datetime
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Pass:
    business_id: str
    email: str
    pass_id: str  # sorts by purchase time (see ``pass_id_for``)
    product_id: str
    title: str
    uses_total: int
    uses_taken: int
    eligibility: Eligibility
    expiry: ExpiryRule  # the rule in force (the product's, or the last override)
    purchased_at: datetime
    first_used_at: datetime | None = None
    revoked: bool = False
    # Bumped by every override; a booking's write is conditioned on it, so a use never slips past
    # a concurrent revoke, expiry change or lowered total.
    revision: int = 0
    history: tuple[HistoryEntry, ...] = field(default_factory=tuple)
    purchase_ref: str | None = None  # payment provider's checkout session; None if issued by staff
    price_minor: int = 0
    currency: str = "EUR"

    @property
    def uses_left(self) -> int:
        return max(self.uses_total - self.uses_taken, 0)

    @property
    def eligible(self) -> Eligibility:
        """The name the API uses."""
        return self.eligibility

    @property
    def issued_by(self) -> str:
        return "purchase" if self.purchase_ref else "staff"


def pass_id_for(purchased_at: datetime, suffix: str) -> str:
    """A URL-safe id that sorts by purchase time, so the table's sort key orders passes by age."""
    return f"{purchased_at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{suffix}"


def _end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The instant a pass valid through ``day`` stops working: midnight after it, in the zone.

    Days are held to ``dates.LATEST_DAY``, so the day after and its UTC instant always exist.
    """
    return datetime.combine(min(day, LATEST_DAY) + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def last_valid_day(p: Pass, tz: ZoneInfo, first_use: datetime | None = None) -> date | None:
    """The last local day the pass works; None while a first-use timeframe has not started.

    ``first_use`` stands in for a first use that has not happened yet (a booking about to make it).
    """
    rule = p.expiry
    if rule.kind is ExpiryKind.FIXED_DATE:
        return rule.fixed_date
    assert rule.days is not None
    if rule.kind is ExpiryKind.DAYS_FROM_PURCHASE:
        start: datetime | None = p.purchased_at
    else:
        start = p.first_used_at or first_use
    if start is None:
        return None
    return min(start.astimezone(tz).date() + timedelta(days=rule.days), LATEST_DAY)


def expires_at(p: Pass, tz: ZoneInfo, first_use: datetime | None = None) -> datetime | None:
    day = last_valid_day(p, tz, first_use)
    return _end_of_day(day, tz) if day else None


def state(p: Pass, now: datetime, tz: ZoneInfo) -> PassState:
    if p.revoked:
        return PassState.REVOKED
    if p.uses_left <= 0:
        return PassState.USED_UP
    ends = expires_at(p, tz)
    if ends is not None and now >= ends:
        return PassState.EXPIRED
    return PassState.ACTIVE


def choose_pass(
    passes: Iterable[Pass], entry: Entry, ticket: Ticket, seats: int, now: datetime, tz: ZoneInfo
) -> Pass:
    """The customer's OLDEST pass (by purchase) that can pay for ``seats`` places on this entry.

    Deliberately not the one expiring soonest (P4). A pass must still be valid when the entry
    starts: a pass ending on Friday cannot book next Monday's class. When none fits, the refusal
    names the most useful reason: not enough uses beats expired beats revoked.
    """
    eligible = sorted((p for p in passes if p.eligibility.covers(entry, ticket)), key=lambda p: (p.purchased_at, p.pass_id))
    if not eligible:
        raise RuleRefusedError("no_eligible_pass", "None of your passes can be used for this ticket.")
    short: list[Pass] = []
    expired: list[Pass] = []
    for p in eligible:
        st = state(p, now, tz)
        if st is PassState.REVOKED:
            continue
        if st is PassState.EXPIRED:
            expired.append(p)
            continue
        ends = expires_at(p, tz, first_use=now)
        if ends is not None and entry.starts_at >= ends:
            expired.append(p)
            continue
        if p.uses_left < seats:
            short.append(p)
            continue
        return p
    if short:
        most = max(p.uses_left for p in short)
        raise RuleRefusedError(
            "pass_used_up",
            f"Your pass has {most} use(s) left; this booking needs {seats}.",
            uses_left=most,
            seats=seats,
        )
    if expired:
        raise RuleRefusedError("pass_expired", "Your pass for this ticket has expired (or expires before the entry starts).")
    raise RuleRefusedError("pass_revoked", "Your pass for this ticket has been revoked by the business.")


# Staff overrides (P5–P7). Each returns the changed pass with one history entry and revision + 1.


def _changed(p: Pass, who: str, at: datetime, field_name: str, old: Any, new: Any, **changes: Any) -> Pass:
    if p.revoked:
        raise ConflictError("This pass has been revoked and can no longer be changed.", code="pass_revoked")
    entry = HistoryEntry(who=who, at=at, field=field_name, old=old, new=new)
    return replace(p, revision=p.revision + 1, history=p.history + (entry,), **changes)


def set_fixed_expiry(p: Pass, last_day: date, who: str, at: datetime) -> Pass:
    """P5: the pass works through ``last_day`` (end of day, business time zone)."""
    rule = ExpiryRule(ExpiryKind.FIXED_DATE, fixed_date=last_day)
    return _changed(p, who, at, "expiry", p.expiry.as_dict(), rule.as_dict(), expiry=rule)


def set_relative_expiry(p: Pass, days: int, who: str, at: datetime, anchor: ExpiryKind | None = None) -> Pass:
    """P5: ``days`` is the WHOLE timeframe (original 30 + 14 extension = 44), not an extension.

    The anchor stays what the pass had (first use or purchase); a fixed-date pass moves to
    "from first use", as the spec describes the relative timeframe.
    """
    if anchor is None:
        anchor = p.expiry.kind if p.expiry.kind is not ExpiryKind.FIXED_DATE else ExpiryKind.DAYS_FROM_FIRST_USE
    if anchor is ExpiryKind.FIXED_DATE:
        raise InvalidInputError("A relative timeframe counts from first use or from purchase.", field="from")
    rule = ExpiryRule(anchor, days=days)
    return _changed(p, who, at, "expiry", p.expiry.as_dict(), rule.as_dict(), expiry=rule)


def set_uses_total(p: Pass, total: int, who: str, at: datetime) -> Pass:
    """P6: ``total`` is the new ORIGINAL total; uses taken stay taken (23, 5 used, set 22 → 17 left)."""
    if not 0 <= total <= MAX_USES:
        raise InvalidInputError(f"uses_total must be between 0 and {MAX_USES}.", field="uses_total")
    if total < p.uses_taken:
        raise ConflictError(
            f"uses_total {total} is below the {p.uses_taken} use(s) already taken; "
            f"the lowest allowed is {p.uses_taken}.",
            code="uses_below_taken",
            details={"field": "uses_total", "uses_taken": p.uses_taken},
        )
    return _changed(p, who, at, "uses_total", p.uses_total, total, uses_total=total)


def revoke(p: Pass, who: str, at: datetime) -> Pass:
    """P7: a revoked pass pays for nothing more, and its state says so."""
    return _changed(p, who, at, "revoked", False, True, revoked=True)


def validate_product_terms(uses: int, price_minor: int) -> None:
    if not 1 <= uses <= MAX_USES:
        raise InvalidInputError(f"uses must be between 1 and {MAX_USES}.", field="uses")
    if price_minor < 1:
        raise InvalidInputError(
            "A pass product needs a price of at least 1 (minor unit); give free passes by hand instead.",
            field="price_minor",
        )


@dataclass(frozen=True)
class PassView:
    """A pass with what depends on the clock and the business's zone, worked out once for display."""

    pass_: Pass
    state: PassState
    last_valid_day: date | None
    expires_at: datetime | None

    def __getattr__(self, name: str) -> Any:
        """Otherwise it reads as the pass itself (so a response model reads one flat object)."""
        if name == "pass_":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.pass_, name)


def view(p: Pass, now: datetime, tz: ZoneInfo) -> PassView:
    return PassView(pass_=p, state=state(p, now, tz), last_valid_day=last_valid_day(p, tz), expires_at=expires_at(p, tz))
