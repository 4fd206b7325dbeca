"""Customer accounts: additional users invited by a primary customer, deletion, exports (C1, C3, C6)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import BOOKER, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, StaffContext
    from ..domain.customers import Customer
    from ..schemas.customer_accounts import AdditionalUserIn
    from ..services.customer_deletion import Deletion

api = ApiBlueprint(__name__, tag="customers", schemas="chalicelib.schemas.customer_accounts")
MANAGE = "/v1/manage/customers"
MINE = "/v1/businesses/{business_id}/me"


@api.op("POST", f"{MINE}/additional-users", summary="Invite an additional user to my account (not my payment method)",
        role=BOOKER, body="AdditionalUserIn", response="AdditionalUserOut", status=201)
def invite_additional_user(ctx: BookerContext, body: AdditionalUserIn) -> Customer:
    from ..services.customers import NewAdditionalUser

    return container().customers.invite_additional_user(ctx, command(NewAdditionalUser, body))


@api.op("DELETE", f"{MANAGE}/{{email}}", summary="Delete an app user or additional user (primary customers: 409)",
        role=STAFF, response="DeletionOut", status=202)
def delete(ctx: StaffContext, email: str) -> Deletion:
    return container().customer_deletion.delete(ctx, email)
