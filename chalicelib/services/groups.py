"""Customer groups and their offers (G1–G5, O1–O5, O7), and paying a booking with an offer use (O6).

``GroupService`` also carries the contract the memberships feature calls (create/release a
membership's group, join/leave through a subscription); every one of those is idempotent.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..domain.bookings import OfferUseRef, Settlement, SettlementKind
from ..domain.emails import normalise_email
from ..domain.errors import NotFoundError, RuleRefusedError
from ..domain.groups import (
    Allowance,
    Group,
    GroupMember,
    Offer,
    OfferTerms,
    allowances,
    choose_offer,
    make_attendees,
    make_scope,
    make_usage,
    parse_emails,
)
from ..domain.paging import Page, PageRequest, page_of_rows
from ..domain.periods import anchor_for
from ..domain.tenancy import Business, Feature
from ..ports.clock import Clock, new_id, utc_now
from .bookings import SettledAtOnce, offer_applies

if TYPE_CHECKING:
    from datetime import date, datetime

    from ..domain.catalogue import Entry, Ticket
    from ..domain.context import BookerContext, StaffContext
    from ..domain.pauses import PauseWindow
    from ..ports.catalogue import CatalogueStore
    from ..ports.groups import GroupMemberStore, GroupStore
    from ..ports.tenancy import BusinessStore


@dataclass(frozen=True)
class NewGroup:
    name: str
    description: str = ""


@dataclass(frozen=True)
class GroupChanges:
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NewMembers:
    emails: str | tuple[str, ...]  # pasted text or a list


@dataclass(frozen=True)
class AttendeesTerms:
    personal_use_only: bool = True
    max_additional: int | None = None


@dataclass(frozen=True)
class UsageTerms:
    mode: str = "unlimited"
    uses: int | None = None
    period: str | None = None


@dataclass(frozen=True)
class ScopeTerms:
    page_id: str | None = None
    ticket_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NewOffer:
    scope: ScopeTerms
    title: str = "Exclusive tickets"
    kind: str = "exclusive_tickets"
    enabled: bool = True
    attendees: AttendeesTerms = field(default_factory=AttendeesTerms)
    usage: UsageTerms = field(default_factory=UsageTerms)


@dataclass(frozen=True)
class OfferChanges:
    title: str | None = None
    attendees: AttendeesTerms | None = None
    usage: UsageTerms | None = None
    scope: ScopeTerms | None = None


@dataclass(frozen=True)
class MemberAddition:
    """The outcome for one pasted address."""

    input: str
    email: str | None
    status: str  # added | already_member | invalid | duplicate
    message: str | None = None


@dataclass(frozen=True)
class MembersAdded:
    results: Sequence[MemberAddition]

    @property
    def added(self) -> int:
        return sum(r.status == "added" for r in self.results)

    @property
    def already_members(self) -> int:
        return sum(r.status == "already_member" for r in self.results)

    @property
    def invalid(self) -> int:
        return sum(r.status == "invalid" for r in self.results)


class GroupService:
    def __init__(
        self,
        businesses: BusinessStore,
        groups: GroupStore,
        members: GroupMemberStore,
        catalogue: CatalogueStore,
        clock: Clock = utc_now,
    ) -> None:
        self.businesses = businesses
        self.groups = groups
        self.members = members
        self.catalogue = catalogue
        self.clock = clock

    # --- groups (G1) ---
    def create(self, ctx: StaffContext, body: NewGroup) -> Group:
        group = Group(ctx.business_id, new_id(), body.name, body.description, created_at=self.clock())
        self.groups.create(group)
        return group

    def list_groups(self, ctx: StaffContext, page: PageRequest) -> Page[Group]:
        return self.groups.list_page(ctx.business_id, page)

    def get(self, ctx: StaffContext, group_id: str) -> Group:
        return self.groups.get(ctx.business_id, group_id)

    def update(self, ctx: StaffContext, group_id: str, patch: GroupChanges) -> Group:
        group = self.get(ctx, group_id)
        return self.groups.save(replace(group, **{k: v for k, v in vars(patch).items() if v is not None}))

    def delete(self, ctx: StaffContext, group_id: str) -> None:
        group = self.get(ctx, group_id)
        group.check_deletable()
        self.groups.delete(group.business_id, group_id)
        self.members.delete_all(group_id)

    def group_exists(self, business_id: str, group_id: str) -> bool:
        """For the catalogue: an exclusive ticket must name a group of the same business."""
        return self.groups.exists(business_id, group_id)

    # --- members (G2, G4, G5) ---
    def add_members(self, ctx: StaffContext, group_id: str, body: NewMembers) -> MembersAdded:
        """Valid addresses are added even when others are invalid; each gets its own result.

        Members are keyed by normalised email, so an address without an account yet gets the access
        on its first sign-in with that verified email (G4).
        """
        business = ctx.business
        self.groups.get(business.business_id, group_id)
        now = self.clock()
        results = []
        emails = body.emails if isinstance(body.emails, str) else list(body.emails)
        for c in parse_emails(emails):
            if c.email is None:
                results.append(MemberAddition(c.given, None, "invalid", f"'{c.given}' is not an email address."))
            elif c.duplicate:
                results.append(MemberAddition(c.given, c.email, "duplicate", "Given more than once in this request."))
            elif self.members.add_manual(business.business_id, group_id, c.email, now, anchor_for(now, business.tz)):
                results.append(MemberAddition(c.given, c.email, "added"))
            else:
                results.append(MemberAddition(c.given, c.email, "already_member"))
        return MembersAdded(tuple(results))

    def list_members(self, ctx: StaffContext, group_id: str, page: PageRequest) -> Page[GroupMember]:
        self.get(ctx, group_id)
        return self.members.list_page(group_id, page)

    def remove_member(self, ctx: StaffContext, group_id: str, email: str) -> None:
        self.get(ctx, group_id)
        self.members.remove_manual(group_id, self._email(email))

    # --- offers (O1–O5) ---
    def create_offer(self, ctx: StaffContext, group_id: str, body: NewOffer) -> Offer:
        group = self.get(ctx, group_id)
        now = self.clock()
        offer = Offer(new_id(), body.enabled, now, (self._terms(group.business_id, 1, now, body),))
        self.groups.save(group.with_offer(offer))
        return offer

    def update_offer(self, ctx: StaffContext, group_id: str, offer_id: str, patch: OfferChanges) -> Offer:
        """Append a version: members who joined before keep theirs (O5)."""
        group = self.get(ctx, group_id)
        offer = group.offer(offer_id)
        latest = offer.latest
        merged = NewOffer(
            title=patch.title or latest.title,
            attendees=patch.attendees or AttendeesTerms(latest.personal_use_only, latest.max_additional_attendees or None),
            usage=patch.usage or UsageTerms(latest.usage.mode.value, latest.usage.uses, latest.usage.period),
            scope=patch.scope or ScopeTerms(latest.scope.page_id, latest.scope.ticket_ids or None),
        )
        now = max(self.clock(), latest.created_at)
        offer = replace(offer, versions=offer.versions + (self._terms(group.business_id, latest.version + 1, now, merged),))
        self.groups.save(group.with_offer(offer))
        return offer

    def set_offer_enabled(self, ctx: StaffContext, group_id: str, offer_id: str, enabled: bool) -> Offer:
        group = self.get(ctx, group_id)
        offer = replace(group.offer(offer_id), enabled=enabled)
        self.groups.save(group.with_offer(offer))
        return offer

    # --- allowances (O7) ---
    def my_allowances(self, ctx: BookerContext, page: PageRequest) -> Page[Allowance]:
        """A computed list (L1): rows are computed from one page of the booker's group-member items
        (one row per offer of each group). The position is that member page's start plus how many of
        its rows were already answered, so a page never exceeds ``limit`` and no row is skipped: when
        one member page yields more rows than ``limit``, the next call re-reads it and skips ahead."""
        business, business_id = ctx.business, ctx.business_id
        start = page.start or {}
        members_from, skip = start.get("members_from"), int(start.get("skip", 0))
        found = self.members.for_email_page(business_id, ctx.account_email, PageRequest(page.limit, members_from))
        groups = self.groups.get_many(business_id, [m.group_id for m, _ in found.items])
        now = self.clock()
        rows: list[Allowance] = []
        for member, counters in found.items:
            if member.group_id in groups:
                rows += allowances(groups[member.group_id], member, counters, business.tz, now)
        rows = rows[skip:]
        if len(rows) > page.limit:
            return Page(rows[:page.limit], {"members_from": members_from, "skip": skip + page.limit})
        return Page(rows, {"members_from": found.next_key, "skip": 0} if found.next_key else None)

    def member_allowances(self, ctx: StaffContext, group_id: str, email: str, page: PageRequest) -> Page[Allowance]:
        """A computed list from two items (L1): one row per offer of the group, and a group's offers
        live inside its one item, so all rows are computed and the page is cut from them by offset."""
        return page_of_rows(self._member_allowances(ctx, group_id, email), page)

    def _member_allowances(self, ctx: StaffContext, group_id: str, email: str) -> list[Allowance]:
        business = ctx.business
        group = self.groups.get(business.business_id, group_id)
        found = self.members.get(group_id, self._email(email))
        if found is None:
            raise NotFoundError(f"'{email}' is not a member of this group.")
        member, counters = found
        return allowances(group, member, counters, business.tz, self.clock())

    # --- the memberships feature's contract (G3); all idempotent ---
    def create_membership_group(self, business_id: str, membership_id: str, name: str, description: str) -> Group:
        """The group a membership owns; its id derives from the membership's, so a retry finds it."""
        group_id = f"ms-{membership_id}"[:64]
        group = Group(business_id, group_id, name, description, created_at=self.clock(), membership_id=membership_id)
        if self.groups.create(group):
            return group
        existing = self.groups.get(business_id, group_id)
        if existing.membership_id != membership_id:
            self.groups.set_owner(business_id, group_id, membership_id)
            existing = replace(existing, membership_id=membership_id)
        return existing

    def join_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str,
                            joined_at: datetime, anchor: date | None = None) -> None:
        """Add the subscription as a reason to be in the group. ``joined_at`` fixes the offer terms on
        the first join only; ``anchor`` (billing date) starts usage periods and may be moved later."""
        business = self.businesses.get(business_id)
        self.groups.get(business_id, group_id)
        self.members.join_via(
            business_id, group_id, self._email(email), subscription_id, joined_at,
            anchor or anchor_for(joined_at, business.tz), replace_anchor=anchor is not None,
        )

    def leave_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str) -> None:
        self.members.leave_via(group_id, self._email(email), subscription_id)

    def set_membership_pauses(self, business_id: str, group_id: str, email: str,
                              pauses: tuple[PauseWindow, ...]) -> None:
        """X1: the member's pauses, which refuse member tickets and shift allowance periods."""
        stored = [{"pause_id": p.pause_id, "starts_on": p.starts_on.isoformat(), "by_member": p.by_member,
                   "resumes_on": p.resumes_on.isoformat() if p.resumes_on else None} for p in pauses]
        self.members.set_pauses(group_id, self._email(email), stored)

    def release_membership_group(self, business_id: str, group_id: str) -> None:
        """The membership is gone: the group becomes an ordinary one staff may delete."""
        try:
            self.groups.set_owner(business_id, group_id, None)
        except NotFoundError:
            return

    # --- helpers ---
    def _terms(self, business_id: str, version: int, now: datetime, body: NewOffer) -> OfferTerms:
        terms = OfferTerms(
            version=version,
            created_at=now,
            title=body.title,
            max_additional_attendees=make_attendees(body.attendees.personal_use_only, body.attendees.max_additional),
            usage=make_usage(body.usage.mode, body.usage.uses, body.usage.period),
            scope=make_scope(body.scope.page_id, list(body.scope.ticket_ids) if body.scope.ticket_ids else None),
        )
        if terms.scope.page_id is not None:  # the body is valid; now the page must be this business's
            self.catalogue.get_page(business_id, terms.scope.page_id)
        return terms

    @staticmethod
    def _email(raw: str) -> str:
        email = normalise_email(raw)
        if not email:
            raise NotFoundError(f"'{raw}' is not a member of this group.")
        return email


class OfferUse(SettledAtOnce):
    """Pays an exclusive ticket with a use of the booker's group offer (O6).

    Reads group + member in one BatchGet, applies the rules in order, and describes in the
    settlement ref the single conditional write ``OfferUseWriter`` adds to the booking transaction.
    The period is computed from the member's anchor each time: no dependency on the scheduler.
    """

    def __init__(self, members: GroupMemberStore, clock: Clock = utc_now) -> None:
        self.members = members
        self.clock = clock

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return offer_applies(ticket, pay_with)

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        if not email:
            raise RuleRefusedError("not_signed_in", "Exclusive tickets need a signed-in booker with a verified email.")
        business.require(Feature.CUSTOMER_GROUPS)
        assert ticket.exclusive_group_id is not None
        group, found = self.members.group_and_member(business.business_id, ticket.exclusive_group_id, email)
        member, counters = found if found else (None, {})
        now = self.clock()
        choice = choose_offer(group, member, counters, entry.page_id, ticket, seats, business.tz, now, entry.starts_at)
        assert group is not None
        ref = OfferUseRef(group.group_id, choice.offer.offer_id, choice.terms.version)
        period = choice.period
        if period is not None:
            ref = replace(ref, period=period.key, uses_limit=choice.terms.usage.uses, starts_period=choice.starts_period,
                          tz=business.timezone)
            if period.ends_at is not None:
                assert choice.terms.usage.unit is not None
                others = [c.ends_at for k, c in counters.items() if k != choice.offer.offer_id and c.ends_at]
                ref = replace(ref, period_ends_at=period.ends_at.isoformat(), unit=choice.terms.usage.unit.value,
                              next_reset_at=min(others + [period.ends_at]).isoformat())
        return Settlement(SettlementKind.OFFER, ref)
