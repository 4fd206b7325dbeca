"""Sign-up (any signed-in person), staff and invitations (owners), plans (platform operators)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import OPERATOR, PERSON, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import OperatorContext, PersonContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..domain.staff import Invitation, StaffMember
    from ..domain.tenancy import Business
    from ..schemas.staff import BusinessSignUpIn, InvitationIn, PlanChangeIn

api = ApiBlueprint(__name__, tag="staff", schemas="chalicelib.schemas.staff")


@api.op("POST", "/v1/businesses", summary="Create a business and become its owner (free plan)", role=PERSON,
        body="BusinessSignUpIn", response="CreatedBusinessOut", status=201)
def sign_up(ctx: PersonContext, body: BusinessSignUpIn) -> Business:
    from ..services.staff import NewBusiness

    return container().staff.sign_up(ctx, command(NewBusiness, body))


@api.op("GET", "/v1/me/businesses", summary="The businesses I am staff of (name one with X-Business-Id)",
        role=PERSON, response="StaffMemberOut", paginated=True)
def my_businesses(ctx: PersonContext, page: PageRequest) -> Page[StaffMember]:
    return container().staff.my_businesses(ctx, page)


@api.op("POST", "/v1/me/invitations/{business_id}/accept", summary="Accept an invitation sent to my verified email",
        role=PERSON, response="StaffMemberOut")
def accept_invitation(ctx: PersonContext, business_id: str) -> StaffMember:
    return container().staff.accept(ctx, business_id)


@api.op("POST", "/v1/manage/staff/invitations", summary="Invite staff by email (owners)", role=STAFF,
        body="InvitationIn", response="InvitationOut", status=201)
def invite(ctx: StaffContext, body: InvitationIn) -> Invitation:
    from ..services.staff import NewInvitation

    return container().staff.invite(ctx, command(NewInvitation, body))


@api.op("GET", "/v1/manage/staff/invitations", summary="Open invitations (owners)", role=STAFF,
        response="InvitationOut", paginated=True)
def invitations(ctx: StaffContext, page: PageRequest) -> Page[Invitation]:
    return container().staff.invitations(ctx, page)


@api.op("GET", "/v1/manage/staff", summary="Staff of my business, a page at a time (owners)", role=STAFF,
        response="StaffMemberOut", paginated=True)
def list_staff(ctx: StaffContext, page: PageRequest) -> Page[StaffMember]:
    return container().staff.list(ctx, page)


@api.op("DELETE", "/v1/manage/staff/{subject}", summary="Remove a staff member (owners); refused at once",
        role=STAFF)
def remove_staff(ctx: StaffContext, subject: str) -> None:
    container().staff.remove(ctx, subject)


@api.op("PATCH", "/v1/operator/businesses/{business_id}", summary="Change a business's plan (platform operators)",
        role=OPERATOR, body="PlanChangeIn", response="OperatorBusinessOut")
def change_plan(ctx: OperatorContext, business_id: str, body: PlanChangeIn) -> Business:
    from ..domain.tenancy import Plan

    return container().plans.change(ctx, business_id, Plan(body.plan))
