"""Memberships: staff catalogue and member actions, booker checkout and portal, public list (M1–M3, M7)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ..domain.tenancy import Feature
from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, Redirect, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, PublicContext, StaffContext
    from ..domain.memberships import Membership
    from ..domain.paging import Page, PageRequest
    from ..schemas.memberships import (
        CancelNowIn,
        MembershipCheckoutIn,
        MembershipIn,
        MembershipPatch,
        PriceOptionIn,
        PriceOptionPatch,
    )
    from ..services.memberships.checkout import CheckoutStarted
    from ..services.memberships.members import MemberView

api = ApiBlueprint(__name__, tag="memberships", schemas="chalicelib.schemas.memberships")
MANAGE = "/v1/manage/memberships"
SUBS = "/v1/manage/subscriptions"
MINE = "/v1/businesses/{business_id}/me"
GATE = Feature.MEMBERSHIPS


def membership_view(m: Membership, staff: bool) -> dict[str, Any]:
    """The Stripe ids and 'Open on Stripe' links are for staff only (the one shape that differs)."""
    def link(kind: Literal["products", "prices"], object_id: str | None) -> str | None:
        return container().membership_catalogue.dashboard_url(m.business_id, kind, object_id) if staff else None

    return {
        **vars(m),
        "stripe_product_id": m.provider_product_id if staff else None,
        "stripe_dashboard_url": link("products", m.provider_product_id),
        "price_options": [{**vars(o), "stripe_price_id": o.provider_price_id if staff else None,
                           "stripe_dashboard_url": link("prices", o.provider_price_id)} for o in m.options],
    }


@api.op("POST", MANAGE, summary="Create a membership (its customer group and Stripe product)", role=STAFF, feature=GATE,
        body="MembershipIn", response="MembershipOut", status=201)
def create(ctx: StaffContext, body: MembershipIn) -> dict[str, Any]:
    from ..services.memberships.catalogue import NewMembership

    return membership_view(container().membership_catalogue.create(ctx, command(NewMembership, body)), staff=True)


@api.op("GET", MANAGE, summary="List memberships", role=STAFF, feature=GATE, response="MembershipOut",
        paginated=True)
def list_all(ctx: StaffContext, page: PageRequest) -> Page[dict[str, Any]]:
    return container().membership_catalogue.list_for(ctx, page).map(lambda m: membership_view(m, staff=True))


@api.op("GET", f"{MANAGE}/{{membership_id}}", summary="A membership with its prices and Stripe links", role=STAFF,
        feature=GATE, response="MembershipOut")
def get(ctx: StaffContext, membership_id: str) -> dict[str, Any]:
    return membership_view(container().membership_catalogue.get(ctx, membership_id), staff=True)


@api.op("PATCH", f"{MANAGE}/{{membership_id}}", summary="Edit title, description, published, pages", role=STAFF,
        feature=GATE, body="MembershipPatch", response="MembershipOut")
def update(ctx: StaffContext, membership_id: str, body: MembershipPatch) -> dict[str, Any]:
    from ..services.memberships.catalogue import MembershipChanges

    changed = container().membership_catalogue.update(ctx, membership_id, command(MembershipChanges, body))
    return membership_view(changed, staff=True)


@api.op("POST", f"{MANAGE}/{{membership_id}}/prices", summary="Add a price option (a Stripe Price)", role=STAFF,
        feature=GATE, body="PriceOptionIn", response="MembershipOut", status=201)
def add_price(ctx: StaffContext, membership_id: str, body: PriceOptionIn) -> dict[str, Any]:
    from ..services.memberships.catalogue import NewPriceOption

    added = container().membership_catalogue.add_option(ctx, membership_id, command(NewPriceOption, body))
    return membership_view(added, staff=True)


@api.op("PATCH", f"{MANAGE}/{{membership_id}}/prices/{{option_id}}", summary="Rename a price option", role=STAFF,
        feature=GATE, body="PriceOptionPatch", response="MembershipOut")
def rename_price(ctx: StaffContext, membership_id: str, option_id: str, body: PriceOptionPatch) -> dict[str, Any]:
    renamed = container().membership_catalogue.rename_option(ctx, membership_id, option_id, body.title)
    return membership_view(renamed, staff=True)


@api.op("GET", f"{MANAGE}/{{membership_id}}/members", summary="Members with status and renewal date", role=STAFF,
        feature=GATE, response="SubscriberOut", paginated=True)
def members(ctx: StaffContext, membership_id: str, page: PageRequest) -> Page[MemberView]:
    return container().member_actions.of_membership(ctx, membership_id, page)


@api.op("GET", f"{SUBS}/{{subscription_id}}", summary="A member's status, renewal date and history", role=STAFF,
        feature=GATE, response="SubscriberOut")
def member(ctx: StaffContext, subscription_id: str) -> MemberView:
    return container().member_actions.get(ctx, subscription_id)


@api.op("POST", f"{SUBS}/{{subscription_id}}/cancel", summary="Cancel at the end of the paid period", role=STAFF,
        feature=GATE, response="SubscriberOut")
def cancel(ctx: StaffContext, subscription_id: str) -> MemberView:
    return container().member_actions.cancel_at_period_end(ctx, subscription_id, cancel=True)


@api.op("POST", f"{SUBS}/{{subscription_id}}/restore", summary="Undo a cancellation at period end", role=STAFF,
        feature=GATE, response="SubscriberOut")
def restore(ctx: StaffContext, subscription_id: str) -> MemberView:
    return container().member_actions.cancel_at_period_end(ctx, subscription_id, cancel=False)


@api.op("POST", f"{SUBS}/{{subscription_id}}/cancel-now", summary="Cancel immediately, optionally refunding",
        role=STAFF, feature=GATE, body="CancelNowIn", response="SubscriberOut")
def cancel_now(ctx: StaffContext, subscription_id: str, body: CancelNowIn) -> MemberView:
    return container().member_actions.cancel_now(ctx, subscription_id, body.refund)


@api.op("POST", f"{SUBS}/{{subscription_id}}/reset-billing-cycle", summary="Renew from today (billing cycle anchor reset)",
        role=STAFF, feature=GATE, response="SubscriberOut")
def reset_billing_cycle(ctx: StaffContext, subscription_id: str) -> MemberView:
    return container().member_actions.reset_billing_cycle(ctx, subscription_id)


@api.op("POST", f"{MINE}/membership-checkouts", summary="Buy a membership, optionally with member tickets (basket)",
        role=BOOKER, feature=GATE, body="MembershipCheckoutIn", response="CheckoutOut", status=201)
def checkout(ctx: BookerContext, body: MembershipCheckoutIn) -> CheckoutStarted:
    from ..services.memberships.checkout import MembershipPurchase

    return container().membership_checkout.start(ctx, command(MembershipPurchase, body))


@api.op("GET", f"{MINE}/memberships", summary="My memberships", role=BOOKER, feature=GATE, response="SubscriberOut",
        paginated=True)
def mine(ctx: BookerContext, page: PageRequest) -> Page[MemberView]:
    return container().member_actions.mine(ctx, page)


@api.op("POST", f"{MINE}/memberships/{{subscription_id}}/portal",
        summary="A Stripe customer portal link: view, cancel, update the card", role=BOOKER, feature=GATE,
        response="PortalOut")
def portal(ctx: BookerContext, subscription_id: str) -> dict[str, str]:
    return {"url": container().member_actions.portal(ctx, subscription_id)}


@api.op("GET", "/v1/businesses/{business_id}/portal-links/{link}", role=PUBLIC, feature=GATE,
        summary="Follow an email's portal link: a fresh Stripe portal session, then a 302 to it")
def follow_portal_link(ctx: PublicContext, link: str) -> Redirect:
    return Redirect(container().portal_links.open(ctx, link))


@api.op("GET", "/v1/businesses/{business_id}/memberships", summary="Published memberships of a business", role=PUBLIC,
        feature=GATE, response="MembershipOut", paginated=True)
def published(ctx: PublicContext, page: PageRequest) -> Page[dict[str, Any]]:
    return container().membership_catalogue.published(ctx, page).map(lambda m: membership_view(m, staff=False))
