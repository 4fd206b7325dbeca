"""Pausing memberships (X1): staff pause or resume a member, pause a whole membership (a closure);
members pause their own when the business allows it. See README "Pausing a membership"."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.tenancy import Feature
from .framework import BOOKER, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, StaffContext
    from ..schemas.pauses import PauseIn
    from ..services.memberships.members import MemberView

api = ApiBlueprint(__name__, tag="memberships", schemas="chalicelib.schemas.pauses")
SUBS = "/v1/manage/subscriptions"
MEMBER = "chalicelib.schemas.memberships:SubscriberOut"
GATE = Feature.MEMBERSHIPS


@api.op("POST", f"{SUBS}/{{subscription_id}}/pause", summary="Pause a member from a day, to a day or open-ended",
        role=STAFF, feature=GATE, body="PauseIn", response=MEMBER)
def pause(ctx: StaffContext, subscription_id: str, body: PauseIn) -> MemberView:
    from ..services.memberships.pauses import PauseRequest

    record = container().membership_pauses.pause(ctx, subscription_id, command(PauseRequest, body))
    return container().member_actions.staff_view(record)


@api.op("POST", f"{SUBS}/{{subscription_id}}/resume", summary="End a member's pause today (or drop a planned one)",
        role=STAFF, feature=GATE, response=MEMBER)
def resume(ctx: StaffContext, subscription_id: str) -> MemberView:
    record = container().membership_pauses.resume(ctx, subscription_id)
    return container().member_actions.staff_view(record)


@api.op("POST", "/v1/manage/memberships/{membership_id}/pause", summary="Pause every running member (a closure)",
        role=STAFF, feature=GATE, body="PauseIn", response="BulkPauseOut", status=202)
def pause_all(ctx: StaffContext, membership_id: str, body: PauseIn) -> dict[str, Any]:
    from ..services.memberships.pauses import PauseRequest

    return container().membership_pauses.pause_all(ctx, membership_id, command(PauseRequest, body))


@api.op("POST", "/v1/businesses/{business_id}/me/memberships/{subscription_id}/pause",
        summary="Pause my membership (if the business allows it: notice, end date, days a year)", role=BOOKER,
        feature=GATE, body="PauseIn", response=MEMBER)
def pause_mine(ctx: BookerContext, subscription_id: str, body: PauseIn) -> MemberView:
    from ..services.memberships.members import MemberView
    from ..services.memberships.pauses import PauseRequest

    record = container().membership_pauses.pause_mine(ctx, subscription_id, command(PauseRequest, body))
    return MemberView(record, container().lifecycle.access(record))
