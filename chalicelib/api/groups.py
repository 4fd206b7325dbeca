"""Customer groups, their members and offers (staff); allowances (staff for a member, bookers for themselves)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.tenancy import Feature
from .framework import BOOKER, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, StaffContext
    from ..domain.groups import Allowance, Group, GroupMember, Offer
    from ..domain.paging import Page, PageRequest
    from ..schemas.groups import GroupIn, GroupPatch, MembersIn, OfferIn, OfferPatch
    from ..services.groups import MembersAdded

api = ApiBlueprint(__name__, tag="groups", schemas="chalicelib.schemas.groups")
GROUPS = "/v1/manage/groups"
GROUP = f"{GROUPS}/{{group_id}}"
OFFER = f"{GROUP}/offers/{{offer_id}}"
GATE = Feature.CUSTOMER_GROUPS


def allowance_out(a: Allowance) -> dict[str, Any]:
    """An allowance is group + offer + terms + member + period flattened into one row."""
    terms, period = a.terms, a.period
    return {
        "group_id": a.group.group_id, "group_name": a.group.name, "membership_id": a.group.membership_id,
        "offer_id": a.offer.offer_id, "offer_title": terms.title, "enabled": a.offer.enabled,
        "terms_version": terms.version, "personal_use_only": terms.personal_use_only,
        "max_additional": terms.max_additional_attendees, "usage_mode": terms.usage.mode.value,
        "period": terms.usage.period, "anchor": terms.usage.anchor, "anchor_date": a.member.anchor,
        "uses_allowed": terms.usage.uses, "uses_taken": a.used, "uses_left": a.uses_left,
        "period_started_at": period.starts_at if period else None, "resets_at": period.ends_at if period else None,
    }


@api.op("POST", GROUPS, summary="Create a customer group", role=STAFF, feature=GATE, body="GroupIn", response="GroupOut",
        status=201)
def create_group(ctx: StaffContext, body: GroupIn) -> Group:
    from ..services.groups import NewGroup

    return container().groups.create(ctx, command(NewGroup, body))


@api.op("GET", GROUPS, summary="List customer groups", role=STAFF, feature=GATE, response="GroupOut",
        paginated=True)
def list_groups(ctx: StaffContext, page: PageRequest) -> Page[Group]:
    return container().groups.list_groups(ctx, page)


@api.op("GET", GROUP, summary="A group with its offers", role=STAFF, feature=GATE, response="GroupOut")
def get_group(ctx: StaffContext, group_id: str) -> Group:
    return container().groups.get(ctx, group_id)


@api.op("PATCH", GROUP, summary="Rename or describe a group", role=STAFF, feature=GATE, body="GroupPatch",
        response="GroupOut")
def update_group(ctx: StaffContext, group_id: str, body: GroupPatch) -> Group:
    from ..services.groups import GroupChanges

    return container().groups.update(ctx, group_id, command(GroupChanges, body))


@api.op("DELETE", GROUP, summary="Delete a group (not while a membership owns it)", role=STAFF, feature=GATE, status=204)
def delete_group(ctx: StaffContext, group_id: str) -> None:
    container().groups.delete(ctx, group_id)


@api.op("POST", f"{GROUP}/members", summary="Add customers by pasted email addresses", role=STAFF, feature=GATE,
        body="MembersIn", response="MembersAddedOut")
def add_members(ctx: StaffContext, group_id: str, body: MembersIn) -> MembersAdded:
    from ..services.groups import NewMembers

    return container().groups.add_members(ctx, group_id, command(NewMembers, body))


@api.op("GET", f"{GROUP}/members", summary="A group's members", role=STAFF, feature=GATE, response="MemberOut",
        paginated=True)
def list_members(ctx: StaffContext, group_id: str, page: PageRequest) -> Page[GroupMember]:
    return container().groups.list_members(ctx, group_id, page)


@api.op("DELETE", f"{GROUP}/members/{{email}}", summary="Remove a manually added customer", role=STAFF, feature=GATE,
        status=204)
def remove_member(ctx: StaffContext, group_id: str, email: str) -> None:
    container().groups.remove_member(ctx, group_id, email)


@api.op("GET", f"{GROUP}/members/{{email}}/allowances", summary="A member's uses left and resets", role=STAFF,
        feature=GATE, response="AllowanceOut", paginated=True)
def member_allowances(ctx: StaffContext, group_id: str, email: str, page: PageRequest) -> Page[dict[str, Any]]:
    return container().groups.member_allowances(ctx, group_id, email, page).map(allowance_out)


@api.op("POST", f"{GROUP}/offers", summary="Add an exclusive-ticket offer", role=STAFF, feature=GATE, body="OfferIn",
        response="OfferOut", status=201)
def create_offer(ctx: StaffContext, group_id: str, body: OfferIn) -> Offer:
    from ..services.groups import NewOffer

    return container().groups.create_offer(ctx, group_id, command(NewOffer, body))


@api.op("PATCH", OFFER, summary="Change an offer's terms for new members", role=STAFF, feature=GATE, body="OfferPatch",
        response="OfferOut")
def update_offer(ctx: StaffContext, group_id: str, offer_id: str, body: OfferPatch) -> Offer:
    from ..services.groups import OfferChanges

    return container().groups.update_offer(ctx, group_id, offer_id, command(OfferChanges, body))


@api.op("POST", f"{OFFER}/enable", summary="Enable an offer", role=STAFF, feature=GATE, response="OfferOut")
def enable_offer(ctx: StaffContext, group_id: str, offer_id: str) -> Offer:
    return container().groups.set_offer_enabled(ctx, group_id, offer_id, True)


@api.op("POST", f"{OFFER}/disable", summary="Disable an offer", role=STAFF, feature=GATE, response="OfferOut")
def disable_offer(ctx: StaffContext, group_id: str, offer_id: str) -> Offer:
    return container().groups.set_offer_enabled(ctx, group_id, offer_id, False)


@api.op("GET", "/v1/businesses/{business_id}/me/allowances", summary="My uses left per group offer, and when they reset",
        role=BOOKER, feature=GATE, response="AllowanceOut", paginated=True)
def my_allowances(ctx: BookerContext, page: PageRequest) -> Page[dict[str, Any]]:
    return container().groups.my_allowances(ctx, page).map(allowance_out)
