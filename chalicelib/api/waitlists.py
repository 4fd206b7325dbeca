"""Waitlists (X2): bookers join a full entry, see their place and leave; staff see, move and remove waiters."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import BOOKER, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..domain.waitlists import Waiter
    from ..schemas.waitlists import WaiterMoveIn, WaiterRemoveIn, WaitlistJoinIn

api = ApiBlueprint(__name__, tag="waitlists", schemas="chalicelib.schemas.waitlists")
MINE = "/v1/businesses/{business_id}/me/waitlist"
STAFF_LIST = "/v1/manage/entries/{entry_id}/waitlist"


@api.op("POST", MINE, summary="Join a full entry's waitlist", role=BOOKER, body="WaitlistJoinIn", response="WaiterOut",
        status=201)
def join(ctx: BookerContext, body: WaitlistJoinIn) -> Waiter:
    from ..services.waitlists import JoinWaitlist

    return container().waitlists.join(ctx, command(JoinWaitlist, body))


@api.op("GET", MINE, summary="My waitlist sign-ups, with my place in each", role=BOOKER, response="WaiterOut",
        paginated=True)
def mine(ctx: BookerContext, page: PageRequest) -> Page[Waiter]:
    return container().waitlists.mine(ctx, page)


@api.op("GET", f"{MINE}/{{entry_id}}", summary="My place on an entry's waitlist", role=BOOKER, response="WaiterOut")
def my_place(ctx: BookerContext, entry_id: str) -> Waiter:
    return container().waitlists.my_place(ctx, entry_id)


@api.op("POST", f"{MINE}/{{entry_id}}/leave", summary="Leave an entry's waitlist", role=BOOKER, response="WaiterOut")
def leave(ctx: BookerContext, entry_id: str) -> Waiter:
    return container().waitlists.leave(ctx, entry_id)


@api.op("GET", STAFF_LIST, summary="An entry's waitlist, next in line first", role=STAFF, response="WaiterOut",
        paginated=True)
def for_entry(ctx: StaffContext, entry_id: str, page: PageRequest) -> Page[Waiter]:
    return container().waitlists.for_entry(ctx, entry_id, page)


@api.op("POST", f"{STAFF_LIST}/move", summary="Move a waiter to a place in line", role=STAFF, body="WaiterMoveIn",
        response="WaiterOut")
def move(ctx: StaffContext, entry_id: str, body: WaiterMoveIn) -> Waiter:
    from ..services.waitlists import MoveWaiter

    return container().waitlists.move(ctx, entry_id, command(MoveWaiter, body))


@api.op("POST", f"{STAFF_LIST}/remove", summary="Take a waiter off the list", role=STAFF, body="WaiterRemoveIn",
        response="WaiterOut")
def remove(ctx: StaffContext, entry_id: str, body: WaiterRemoveIn) -> Waiter:
    from ..services.waitlists import RemoveWaiter

    return container().waitlists.remove(ctx, entry_id, command(RemoveWaiter, body))
