"""Customer groups, their exclusive-ticket offers, and the rules for spending an offer use.

An offer keeps every version of its terms (who may attend, how often, which tickets). A member is
held to the version in force when they joined (O5): editing an offer appends a version, it never
rewrites one, so existing members' terms cannot change under them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from .emails import normalise_email, split_email_list
from .errors import ConflictError, InvalidInputError, RuleRefusedError
from .pauses import PauseWindow, check_not_paused, paused_days_before
from .periods import Period, PeriodUnit, one_time_period, period_at
from .usage_rolls import Roll as Roll  # the scheduler's rules, re-exported
from .usage_rolls import roll_forward as roll_forward

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .catalogue import Ticket

MAX_ADDITIONAL_ATTENDEES = 19  # a booking holds at most 20 people (domain.bookings)
MAX_EMAILS_PER_CALL = 500
MAX_SCOPE_TICKETS = 200
ANCHOR = "member_start_date"  # what periods are counted from (for memberships: the billing date)


class UsageMode(str, Enum):
    UNLIMITED = "unlimited"
    ONE_TIME_TOTAL = "one_time_total"
    PER_PERIOD = "per_period"


@dataclass(frozen=True)
class UsageRule:
    mode: UsageMode
    uses: int | None = None
    unit: PeriodUnit | None = None

    @property
    def limited(self) -> bool:
        return self.mode is not UsageMode.UNLIMITED

    @property
    def period(self) -> str | None:
        return self.unit.value if self.unit else None

    @property
    def anchor(self) -> str:
        return ANCHOR


@dataclass(frozen=True)
class Scope:
    """All exclusive tickets of one schedule page, or a chosen list of tickets."""

    page_id: str | None = None
    ticket_ids: tuple[str, ...] = ()

    def covers(self, page_id: str, ticket_id: str) -> bool:
        if self.page_id is not None:
            return self.page_id == page_id
        return ticket_id in self.ticket_ids


@dataclass(frozen=True)
class Attendees:
    personal_use_only: bool
    max_additional: int


@dataclass(frozen=True)
class OfferTerms:
    version: int
    created_at: datetime
    title: str
    max_additional_attendees: int  # 0 = personal use only
    usage: UsageRule
    scope: Scope

    @property
    def personal_use_only(self) -> bool:
        return self.max_additional_attendees == 0

    @property
    def attendees(self) -> Attendees:
        return Attendees(self.personal_use_only, self.max_additional_attendees)


@dataclass(frozen=True)
class Offer:
    offer_id: str
    enabled: bool
    created_at: datetime
    versions: tuple[OfferTerms, ...]

    @property
    def latest(self) -> OfferTerms:
        return self.versions[-1]

    @property
    def current(self) -> OfferTerms:
        """The terms new members get."""
        return self.latest

    def terms_for(self, joined_at: datetime) -> OfferTerms:
        """The version in force when the member joined; the first one if the offer came later."""
        held = [v for v in self.versions if v.created_at <= joined_at]
        return held[-1] if held else self.versions[0]


@dataclass(frozen=True)
class Group:
    business_id: str
    group_id: str
    name: str
    description: str
    created_at: datetime
    membership_id: str | None = None  # set while a membership owns the group (G3)
    offers: tuple[Offer, ...] = ()
    revision: int = 0  # optimistic lock for read-modify-write of the embedded offers

    def offer(self, offer_id: str) -> Offer:
        for o in self.offers:
            if o.offer_id == offer_id:
                return o
        from .errors import NotFoundError

        raise NotFoundError(f"Offer '{offer_id}' does not exist in group '{self.group_id}'.")

    def with_offer(self, offer: Offer) -> Group:
        others = tuple(o for o in self.offers if o.offer_id != offer.offer_id)
        ordered = sorted(others + (offer,), key=lambda o: o.created_at)
        return replace(self, offers=tuple(ordered))

    def check_deletable(self) -> None:
        if self.membership_id:
            raise ConflictError(
                "This group belongs to a membership; delete the membership first.", code="group_owned_by_membership"
            )


@dataclass(frozen=True)
class GroupMember:
    group_id: str
    email: str
    business_id: str
    joined_at: datetime  # fixes the offer terms (O5)
    anchor: date  # start of usage periods: join day, or the membership's billing date
    manual: bool = False
    subscription_ids: frozenset[str] = field(default_factory=frozenset)
    pauses: tuple[PauseWindow, ...] = ()  # X1: its membership's pauses (no member tickets; periods shifted)

    @property
    def via_membership(self) -> bool:
        return bool(self.subscription_ids)


@dataclass(frozen=True)
class UsageCounter:
    """Uses taken in the stored period of one member's offer (a period the stored key names)."""

    offer_id: str
    period: str
    used: int
    ends_at: datetime | None = None  # when the stored period ends (None: never resets)


@dataclass(frozen=True)
class MemberUsage:
    """A member's stored counters as the scheduler reads them (offer_id -> period, used, ends_at, unit, tz)."""

    group_id: str
    email: str
    anchor: date
    usage: dict[str, dict[str, Any]]
    pauses: tuple[PauseWindow, ...] = ()


# --- terms from requests -------------------------------------------------------------------


def make_usage(mode: str, uses: int | None, period: str | None) -> UsageRule:
    usage_mode = UsageMode(mode)
    if usage_mode is UsageMode.UNLIMITED:
        if uses is not None or period is not None:
            raise InvalidInputError("An unlimited offer takes neither 'uses' nor 'period'.", field="usage")
        return UsageRule(usage_mode)
    if uses is None or uses < 1:
        raise InvalidInputError("'uses' (1 or more) is required unless the offer is unlimited.", field="usage.uses")
    if usage_mode is UsageMode.ONE_TIME_TOTAL:
        if period is not None:
            raise InvalidInputError("A one-time total does not reset: leave 'period' out.", field="usage.period")
        return UsageRule(usage_mode, uses)
    if period is None:
        raise InvalidInputError("An ongoing allowance needs 'period' (day, week, month or year).", field="usage.period")
    return UsageRule(usage_mode, uses, PeriodUnit(period))


def make_attendees(personal_use_only: bool, max_additional: int | None) -> int:
    if personal_use_only:
        if max_additional:
            raise InvalidInputError(
                "Personal use only allows no additional attendees.", field="attendees.max_additional"
            )
        return 0
    if max_additional is None or not 1 <= max_additional <= MAX_ADDITIONAL_ATTENDEES:
        raise InvalidInputError(
            f"Allowing additional attendees needs 'max_additional' between 1 and {MAX_ADDITIONAL_ATTENDEES}.",
            field="attendees.max_additional",
        )
    return max_additional


def make_scope(page_id: str | None, ticket_ids: list[str] | None) -> Scope:
    if (page_id is None) == (not ticket_ids):
        raise InvalidInputError("Give either 'page_id' or a non-empty 'ticket_ids', not both.", field="scope")
    if ticket_ids and len(ticket_ids) > MAX_SCOPE_TICKETS:
        raise InvalidInputError(f"At most {MAX_SCOPE_TICKETS} tickets.", field="scope.ticket_ids")
    return Scope(page_id=page_id, ticket_ids=tuple(dict.fromkeys(ticket_ids or ())))


# --- adding members by email ----------------------------------------------------------------


@dataclass(frozen=True)
class EmailCandidate:
    given: str
    email: str | None  # None: not an address
    duplicate: bool = False


def parse_emails(raw: str | list[str]) -> list[EmailCandidate]:
    """Pasted text (any separators) or a list, one candidate per address, in the order given."""
    given = split_email_list(raw) if isinstance(raw, str) else [r for r in raw if r.strip()]
    if not given:
        raise InvalidInputError("No email addresses given.", field="emails")
    if len(given) > MAX_EMAILS_PER_CALL:
        raise InvalidInputError(f"At most {MAX_EMAILS_PER_CALL} addresses per call.", field="emails")
    seen: set[str] = set()
    out = []
    for text in given:
        email = normalise_email(text)
        out.append(EmailCandidate(text, email, duplicate=email in seen))
        if email:
            seen.add(email)
    return out


# --- spending a use (O6) --------------------------------------------------------------------


@dataclass(frozen=True)
class OfferChoice:
    """The offer that pays, its member's terms, and how the counter must be written."""

    offer: Offer
    terms: OfferTerms
    period: Period | None  # None: unlimited, nothing is counted
    starts_period: bool  # the stored counter is for an older period (or absent): reset it


def current_period(terms: OfferTerms, anchor: date, tz: ZoneInfo, now: datetime,
                   pauses: tuple[PauseWindow, ...] = ()) -> Period | None:
    usage = terms.usage
    if usage.mode is UsageMode.UNLIMITED:
        return None
    if usage.mode is UsageMode.ONE_TIME_TOTAL:
        return one_time_period(anchor, tz)
    assert usage.unit is not None
    return period_at(anchor, usage.unit, now, tz, paused_days_before(pauses, anchor, now.astimezone(tz).date()))


def used_in(period: Period | None, counter: UsageCounter | None) -> int:
    if period is None or counter is None or counter.period != period.key:
        return 0
    return counter.used


def choose_offer(
    group: Group | None,
    member: GroupMember | None,
    counters: dict[str, UsageCounter],
    page_id: str,
    ticket: Ticket,
    seats: int,
    tz: ZoneInfo,
    now: datetime,
    starts_at: datetime | None = None,
) -> OfferChoice:
    """Check O6's rules in order; refuse with the first rule that fails, naming it."""
    if group is None or member is None:
        raise RuleRefusedError("not_a_member", "This ticket is for members of a customer group you are not in.")
    check_not_paused(member.pauses, tz, now, starts_at)
    enabled = [o for o in group.offers if o.enabled]
    if not enabled:
        raise RuleRefusedError("offer_disabled", "The group's offer for this ticket is not enabled.")
    held = [(o, o.terms_for(member.joined_at)) for o in enabled]
    in_scope = [(o, t) for o, t in held if t.scope.covers(page_id, ticket.ticket_id)]
    if not in_scope:
        raise RuleRefusedError("ticket_not_in_scope", "Your group's offers do not include this ticket.")
    fits = [(o, t) for o, t in in_scope if seats - 1 <= t.max_additional_attendees]
    if not fits:
        allowed = max(t.max_additional_attendees for _, t in in_scope)
        message = (
            "This offer is for personal use only: book for yourself alone."
            if allowed == 0
            else f"This offer allows at most {allowed} additional attendees per booking."
        )
        raise RuleRefusedError("too_many_attendees", message, max_additional_attendees=allowed)
    # Unlimited offers first (they spend nothing), then in the order the offers were created.
    fits.sort(key=lambda ot: ot[1].usage.limited)
    best_left = 0
    for offer, terms in fits:
        period = current_period(terms, member.anchor, tz, now, member.pauses)
        if period is None:
            return OfferChoice(offer, terms, None, starts_period=False)
        counter = counters.get(offer.offer_id)
        left = (terms.usage.uses or 0) - used_in(period, counter)
        if seats <= left:
            starts_period = counter is None or counter.period != period.key
            return OfferChoice(offer, terms, period, starts_period)
        best_left = max(best_left, left)
    resets = [current_period(t, member.anchor, tz, now, member.pauses) for _, t in fits]
    resets_at = min((p.ends_at for p in resets if p and p.ends_at), default=None)
    raise RuleRefusedError(
        "no_uses_left",
        f"Not enough uses left in this period ({best_left} left, {seats} needed).",
        uses_left=best_left,
        resets_at=resets_at.isoformat() if resets_at else None,
    )


def check_new_member_attendees(group: Group, page_id: str, ticket: Ticket, seats: int, joins_at: datetime) -> None:
    """B8: a member ticket held in a membership basket obeys the attendee rule of the offer the buyer
    will hold once a member (the terms of ``joins_at``), as a member's own booking would (O6)."""
    terms = [o.terms_for(joins_at) for o in group.offers if o.enabled]
    in_scope = [t for t in terms if t.scope.covers(page_id, ticket.ticket_id)]
    if in_scope and not any(seats - 1 <= t.max_additional_attendees for t in in_scope):
        allowed = max(t.max_additional_attendees for t in in_scope)
        raise RuleRefusedError("too_many_attendees", f"This offer allows at most {allowed} additional attendees "
                               "per booking.", max_additional_attendees=allowed)


# --- allowance view (O7) --------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    group: Group
    offer: Offer
    terms: OfferTerms
    member: GroupMember
    period: Period | None
    used: int

    @property
    def uses_left(self) -> int | None:
        if self.terms.usage.uses is None:
            return None
        return max(self.terms.usage.uses - self.used, 0)


def allowances(group: Group, member: GroupMember, counters: dict[str, UsageCounter], tz: ZoneInfo, now: datetime) -> list[Allowance]:
    out = []
    for offer in group.offers:
        terms = offer.terms_for(member.joined_at)
        period = current_period(terms, member.anchor, tz, now, member.pauses)
        out.append(Allowance(group, offer, terms, member, period, used_in(period, counters.get(offer.offer_id))))
    return out
