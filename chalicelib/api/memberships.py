"""Memberships: staff catalogue and member actions, booker checkout and portal, public list (M1–M3, M7)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.memberships import MemberRecord, Membership
from ..domain.tenancy import Caller
from ..schemas.memberships import (
    CancelNowIn,
    CheckoutOut,
    MembershipCheckoutIn,
    MembershipIn,
    MembershipOut,
    MembershipPatch,
    PortalOut,
    PriceOptionIn,
    PriceOptionPatch,
    SubscriberOut,
)
from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, container
from .presenters import membership_out, subscriber_out

if TYPE_CHECKING:
    from ..services.memberships import MembershipService

api = ApiBlueprint(__name__, tag="memberships")
MANAGE = "/v1/manage/memberships"
SUBS = "/v1/manage/subscriptions"
MINE = "/v1/businesses/{business_id}/me"


def svc() -> MembershipService:
    service = container().memberships
    assert service is not None
    return service


def staff_view(m: Membership) -> MembershipOut:
    return membership_out(m, svc().dashboard_url)


def member_view(r: MemberRecord) -> SubscriberOut:
    return subscriber_out(r, svc().lifecycle.access(r), svc().dashboard_url)


@api.op("POST", MANAGE, summary="Create a membership (its customer group and Stripe product)", role=STAFF,
        body=MembershipIn, response=MembershipOut, status=201)
def create(caller: Caller, body: MembershipIn) -> MembershipOut:
    return staff_view(svc().create(caller, body))


@api.op("GET", MANAGE, summary="List memberships", role=STAFF, response=list[MembershipOut])
def list_all(caller: Caller) -> list[MembershipOut]:
    return [staff_view(m) for m in svc().list(caller)]


@api.op("GET", f"{MANAGE}/{{membership_id}}", summary="A membership with its prices and Stripe links", role=STAFF,
        response=MembershipOut)
def get(caller: Caller, membership_id: str) -> MembershipOut:
    return staff_view(svc().get(caller, membership_id))


@api.op("PATCH", f"{MANAGE}/{{membership_id}}", summary="Edit title, description, published, pages", role=STAFF,
        body=MembershipPatch, response=MembershipOut)
def update(caller: Caller, membership_id: str, body: MembershipPatch) -> MembershipOut:
    return staff_view(svc().update(caller, membership_id, body))


@api.op("POST", f"{MANAGE}/{{membership_id}}/prices", summary="Add a price option (a Stripe Price)", role=STAFF,
        body=PriceOptionIn, response=MembershipOut, status=201)
def add_price(caller: Caller, membership_id: str, body: PriceOptionIn) -> MembershipOut:
    return staff_view(svc().add_option(caller, membership_id, body))


@api.op("PATCH", f"{MANAGE}/{{membership_id}}/prices/{{option_id}}", summary="Rename a price option", role=STAFF,
        body=PriceOptionPatch, response=MembershipOut)
def rename_price(caller: Caller, membership_id: str, option_id: str, body: PriceOptionPatch) -> MembershipOut:
    return staff_view(svc().rename_option(caller, membership_id, option_id, body.title))


@api.op("GET", f"{MANAGE}/{{membership_id}}/members", summary="Members with status and renewal date", role=STAFF,
        response=list[SubscriberOut])
def members(caller: Caller, membership_id: str) -> list[SubscriberOut]:
    return [member_view(r) for r in svc().members_of(caller, membership_id)]


@api.op("GET", f"{SUBS}/{{subscription_id}}", summary="A member's status, renewal date and history", role=STAFF,
        response=SubscriberOut)
def member(caller: Caller, subscription_id: str) -> SubscriberOut:
    return member_view(svc().member(caller, subscription_id))


@api.op("POST", f"{SUBS}/{{subscription_id}}/cancel", summary="Cancel at the end of the paid period", role=STAFF,
        response=SubscriberOut)
def cancel(caller: Caller, subscription_id: str) -> SubscriberOut:
    return member_view(svc().cancel_at_period_end(caller, subscription_id, cancel=True))


@api.op("POST", f"{SUBS}/{{subscription_id}}/restore", summary="Undo a cancellation at period end", role=STAFF,
        response=SubscriberOut)
def restore(caller: Caller, subscription_id: str) -> SubscriberOut:
    return member_view(svc().cancel_at_period_end(caller, subscription_id, cancel=False))


@api.op("POST", f"{SUBS}/{{subscription_id}}/cancel-now", summary="Cancel immediately, optionally refunding",
        role=STAFF, body=CancelNowIn, response=SubscriberOut)
def cancel_now(caller: Caller, subscription_id: str, body: CancelNowIn) -> SubscriberOut:
    return member_view(svc().cancel_now(caller, subscription_id, body.refund))


@api.op("POST", f"{SUBS}/{{subscription_id}}/reset-billing-cycle", summary="Renew from today (billing cycle anchor reset)",
        role=STAFF, response=SubscriberOut)
def reset_billing_cycle(caller: Caller, subscription_id: str) -> SubscriberOut:
    return member_view(svc().reset_billing_cycle(caller, subscription_id))


@api.op("POST", f"{MINE}/membership-checkouts", summary="Buy a membership, optionally with member tickets (basket)",
        role=BOOKER, body=MembershipCheckoutIn, response=CheckoutOut, status=201)
def checkout(caller: Caller, business_id: str, body: MembershipCheckoutIn) -> CheckoutOut:
    container().customers.link_booker(business_id, caller)
    checkout_id, session, held = svc().checkout(caller, business_id, body)
    return CheckoutOut(checkout_id=checkout_id, session_id=session.session_id, url=session.url,
                       expires_at=session.expires_at, held_booking_ids=held)


@api.op("GET", f"{MINE}/memberships", summary="My memberships", role=BOOKER, response=list[SubscriberOut])
def mine(caller: Caller, business_id: str) -> list[SubscriberOut]:
    return [subscriber_out(r, svc().lifecycle.access(r)) for r in svc().mine(caller, business_id)]


@api.op("POST", f"{MINE}/memberships/{{subscription_id}}/portal",
        summary="A Stripe customer portal link: view, cancel, update the card", role=BOOKER, response=PortalOut)
def portal(caller: Caller, business_id: str, subscription_id: str) -> PortalOut:
    return PortalOut(url=svc().portal(caller, business_id, subscription_id))


@api.op("GET", "/v1/businesses/{business_id}/memberships", summary="Published memberships of a business", role=PUBLIC,
        response=list[MembershipOut])
def published(caller: Caller | None, business_id: str) -> list[MembershipOut]:
    return [membership_out(m) for m in svc().published(business_id)]
