"""Customer groups, their members and offers (staff); allowances (staff for a member, bookers for themselves)."""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.groups import (
    AllowanceOut,
    GroupIn,
    GroupOut,
    GroupPatch,
    MemberOut,
    MembersAddedOut,
    MembersIn,
    OfferIn,
    OfferOut,
    OfferPatch,
)
from .framework import BOOKER, STAFF, ApiBlueprint, container
from .presenters import allowance_out, group_out, member_out, members_added_out, offer_out

api = ApiBlueprint(__name__, tag="groups")
GROUPS = "/v1/manage/groups"
GROUP = f"{GROUPS}/{{group_id}}"
OFFER = f"{GROUP}/offers/{{offer_id}}"


@api.op("POST", GROUPS, summary="Create a customer group", role=STAFF, body=GroupIn, response=GroupOut, status=201)
def create_group(caller: Caller, body: GroupIn) -> GroupOut:
    return group_out(container().groups.create(caller, body))


@api.op("GET", GROUPS, summary="List customer groups", role=STAFF, response=list[GroupOut])
def list_groups(caller: Caller) -> list[GroupOut]:
    return [group_out(g) for g in container().groups.list(caller)]


@api.op("GET", GROUP, summary="A group with its offers", role=STAFF, response=GroupOut)
def get_group(caller: Caller, group_id: str) -> GroupOut:
    return group_out(container().groups.get(caller, group_id))


@api.op("PATCH", GROUP, summary="Rename or describe a group", role=STAFF, body=GroupPatch, response=GroupOut)
def update_group(caller: Caller, group_id: str, body: GroupPatch) -> GroupOut:
    return group_out(container().groups.update(caller, group_id, body))


@api.op("DELETE", GROUP, summary="Delete a group (not while a membership owns it)", role=STAFF, status=204)
def delete_group(caller: Caller, group_id: str) -> None:
    container().groups.delete(caller, group_id)


@api.op("POST", f"{GROUP}/members", summary="Add customers by pasted email addresses", role=STAFF, body=MembersIn, response=MembersAddedOut)
def add_members(caller: Caller, group_id: str, body: MembersIn) -> MembersAddedOut:
    return members_added_out(container().groups.add_members(caller, group_id, body))


@api.op("GET", f"{GROUP}/members", summary="A group's members", role=STAFF, response=list[MemberOut])
def list_members(caller: Caller, group_id: str) -> list[MemberOut]:
    return [member_out(m) for m in container().groups.list_members(caller, group_id)]


@api.op("DELETE", f"{GROUP}/members/{{email}}", summary="Remove a manually added customer", role=STAFF, status=204)
def remove_member(caller: Caller, group_id: str, email: str) -> None:
    container().groups.remove_member(caller, group_id, email)


@api.op("GET", f"{GROUP}/members/{{email}}/allowances", summary="A member's uses left and resets", role=STAFF, response=list[AllowanceOut])
def member_allowances(caller: Caller, group_id: str, email: str) -> list[AllowanceOut]:
    return [allowance_out(a) for a in container().groups.member_allowances(caller, group_id, email)]


@api.op("POST", f"{GROUP}/offers", summary="Add an exclusive-ticket offer", role=STAFF, body=OfferIn, response=OfferOut, status=201)
def create_offer(caller: Caller, group_id: str, body: OfferIn) -> OfferOut:
    _, offer = container().groups.create_offer(caller, group_id, body)
    return offer_out(offer)


@api.op("PATCH", OFFER, summary="Change an offer's terms for new members", role=STAFF, body=OfferPatch, response=OfferOut)
def update_offer(caller: Caller, group_id: str, offer_id: str, body: OfferPatch) -> OfferOut:
    _, offer = container().groups.update_offer(caller, group_id, offer_id, body)
    return offer_out(offer)


@api.op("POST", f"{OFFER}/enable", summary="Enable an offer", role=STAFF, response=OfferOut)
def enable_offer(caller: Caller, group_id: str, offer_id: str) -> OfferOut:
    return offer_out(container().groups.set_offer_enabled(caller, group_id, offer_id, True)[1])


@api.op("POST", f"{OFFER}/disable", summary="Disable an offer", role=STAFF, response=OfferOut)
def disable_offer(caller: Caller, group_id: str, offer_id: str) -> OfferOut:
    return offer_out(container().groups.set_offer_enabled(caller, group_id, offer_id, False)[1])


@api.op("GET", "/v1/businesses/{business_id}/me/allowances", summary="My uses left per group offer, and when they reset", role=BOOKER, response=list[AllowanceOut])
def my_allowances(caller: Caller, business_id: str) -> list[AllowanceOut]:
    container().businesses.get(business_id)
    container().customers.link_booker(business_id, caller)
    return [allowance_out(a) for a in container().groups.my_allowances(caller, business_id)]
