"""Domain objects → response models (one function per resource, used by every route)."""
from __future__ import annotations

from collections.abc import Callable

from ..domain.bookings import Booking
from ..domain.catalogue import Entry, SchedulePage
from ..domain.customers import Customer
from ..domain.groups import ANCHOR as GROUP_USAGE_ANCHOR
from ..domain.groups import Allowance, Group, GroupMember, Offer, OfferTerms
from ..domain.memberships import MemberRecord, Membership
from ..domain.passes import Eligibility, ExpiryRule, PassProduct, PassView
from ..domain.tenancy import Business
from ..schemas.bookings import BookingOut
from ..schemas.business import BusinessOut
from ..schemas.catalogue import EntryOut, PageOut
from ..schemas.customers import CustomerOut
from ..schemas.groups import (
    AllowanceOut,
    AttendeesOut,
    GroupOut,
    MemberOut,
    MemberResult,
    MembersAddedOut,
    OfferOut,
    ScopeOut,
    TermsOut,
    UsageOut,
)
from ..schemas.memberships import HistoryOut as MemberHistoryOut
from ..schemas.memberships import MembershipOut, PriceOptionOut, SubscriberOut
from ..schemas.passes import EligibleOut, ExpiryOut, HistoryOut, PassOut, PassProductOut


def business_out(b: Business) -> BusinessOut:
    return BusinessOut.model_validate(b)


def page_out(p: SchedulePage) -> PageOut:
    return PageOut.model_validate(p)


def entry_out(e: Entry) -> EntryOut:
    return EntryOut.model_validate(e)  # same attribute names; tickets become TicketOut


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut.model_validate(c)

def booking_out(b: Booking) -> BookingOut:
    return BookingOut(
        booking_id=b.booking_id,
        entry_id=b.entry_id,
        ticket_id=b.ticket_id,
        booker_email=b.booker_email,
        participants=list(b.participants),
        seats=b.seats,
        status=b.status.value,
        paid_with=b.settlement.kind.value,
        payment=b.settlement.ref_fields(),
        created_at=b.created_at,
        entry_starts_at=b.entry_starts_at,
        cancelled_at=b.cancelled_at,
        use_returned=b.use_returned,
    )


def _eligible_out(e: Eligibility) -> EligibleOut:
    return EligibleOut(ticket_ids=list(e.ticket_ids), entry_ids=list(e.entry_ids), page_ids=list(e.page_ids))


def _expiry_out(r: ExpiryRule) -> ExpiryOut:
    return ExpiryOut(kind=r.kind.value, date=r.fixed_date, days=r.days)


def pass_product_out(p: PassProduct) -> PassProductOut:
    return PassProductOut(
        product_id=p.product_id,
        title=p.title,
        description=p.description,
        price_minor=p.price_minor,
        currency=p.currency,
        uses=p.uses,
        eligible=_eligible_out(p.eligibility),
        expiry=_expiry_out(p.expiry),
        published=p.published,
        archived=p.archived,
    )


def pass_out(v: PassView) -> PassOut:
    p = v.pass_
    return PassOut(
        pass_id=p.pass_id,
        product_id=p.product_id,
        title=p.title,
        email=p.email,
        state=v.state.value,
        uses_total=p.uses_total,
        uses_taken=p.uses_taken,
        uses_left=p.uses_left,
        purchased_at=p.purchased_at,
        first_used_at=p.first_used_at,
        expiry=_expiry_out(p.expiry),
        last_valid_day=v.last_valid_day,
        expires_at=v.expires_at,
        eligible=_eligible_out(p.eligibility),
        price_minor=p.price_minor,
        currency=p.currency,
        issued_by="purchase" if p.purchase_ref else "staff",
        history=[HistoryOut(who=h.who, at=h.at, field=h.field, old=h.old, new=h.new) for h in p.history],
    )


def membership_out(m: Membership, dashboard: Callable[[str, str | None], str | None] | None = None) -> MembershipOut:
    """``dashboard`` (staff views only) gives the 'Open on Stripe' links."""
    link = dashboard or (lambda kind, object_id: None)
    return MembershipOut(
        membership_id=m.membership_id,
        title=m.title,
        description=m.description,
        published=m.published,
        page_ids=list(m.page_ids),
        group_id=m.group_id,
        stripe_product_id=m.provider_product_id if dashboard else None,
        stripe_dashboard_url=link("products", m.provider_product_id),
        price_options=[
            PriceOptionOut(
                option_id=o.option_id,
                title=o.title,
                amount_minor=o.amount_minor,
                currency=o.currency,
                interval=o.interval,
                interval_count=o.interval_count,
                active=o.active,
                stripe_price_id=o.provider_price_id if dashboard else None,
                stripe_dashboard_url=link("prices", o.provider_price_id),
            )
            for o in m.options
        ],
    )


def subscriber_out(r: MemberRecord, has_access: bool, dashboard: Callable[[str, str | None], str | None] | None = None) -> SubscriberOut:
    return SubscriberOut(
        subscription_id=r.subscription_id,
        membership_id=r.membership_id,
        email=r.email,
        status=r.status,
        has_access=has_access,
        cancel_at_period_end=r.cancel_at_period_end,
        renews_on=r.current_period_end,
        started_at=r.started_at,
        usage_anchor=r.anchor,
        history=[MemberHistoryOut(at=h.at, what=h.what) for h in r.history],
        stripe_dashboard_url=dashboard("subscriptions", r.subscription_id) if dashboard and r.customer_id else None,
    )


def terms_out(t: OfferTerms) -> TermsOut:
    return TermsOut(
        version=t.version,
        created_at=t.created_at,
        title=t.title,
        attendees=AttendeesOut(personal_use_only=t.personal_use_only, max_additional=t.max_additional_attendees),
        usage=UsageOut(
            mode=t.usage.mode.value,
            uses=t.usage.uses,
            period=t.usage.unit.value if t.usage.unit else None,
            anchor=GROUP_USAGE_ANCHOR,
        ),
        scope=ScopeOut(page_id=t.scope.page_id, ticket_ids=list(t.scope.ticket_ids)),
    )


def offer_out(o: Offer) -> OfferOut:
    return OfferOut(offer_id=o.offer_id, enabled=o.enabled, current=terms_out(o.latest), versions=[terms_out(v) for v in o.versions])


def group_out(g: Group) -> GroupOut:
    return GroupOut(
        group_id=g.group_id,
        name=g.name,
        description=g.description,
        membership_id=g.membership_id,
        created_at=g.created_at,
        offers=[offer_out(o) for o in g.offers],
    )


def member_out(m: GroupMember) -> MemberOut:
    return MemberOut(email=m.email, manual=m.manual, via_membership=m.via_membership, joined_at=m.joined_at, anchor=m.anchor)


def members_added_out(results: list) -> MembersAddedOut:  # list[services.groups.AddResult]
    return MembersAddedOut(
        added=sum(r.status == "added" for r in results),
        already_members=sum(r.status == "already_member" for r in results),
        invalid=sum(r.status == "invalid" for r in results),
        results=[MemberResult(input=r.given, email=r.email, status=r.status, message=r.message) for r in results],
    )


def allowance_out(a: Allowance) -> AllowanceOut:
    t = a.terms
    return AllowanceOut(
        group_id=a.group.group_id,
        group_name=a.group.name,
        membership_id=a.group.membership_id,
        offer_id=a.offer.offer_id,
        offer_title=t.title,
        enabled=a.offer.enabled,
        terms_version=t.version,
        personal_use_only=t.personal_use_only,
        max_additional=t.max_additional_attendees,
        usage_mode=t.usage.mode.value,
        period=t.usage.unit.value if t.usage.unit else None,
        anchor=GROUP_USAGE_ANCHOR,
        anchor_date=a.member.anchor,
        uses_allowed=t.usage.uses,
        uses_taken=a.used,
        uses_left=a.uses_left,
        period_started_at=a.period.starts_at if a.period else None,
        resets_at=a.period.ends_at if a.period else None,
    )
