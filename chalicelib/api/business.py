"""Staff: their business's settings."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import StaffContext
    from ..domain.tenancy import Business
    from ..schemas.business import BusinessSettingsIn

api = ApiBlueprint(__name__, tag="business", schemas="chalicelib.schemas.business")


@api.op("GET", "/v1/manage/business", summary="My business", role=STAFF, response="BusinessOut")
def get_business(ctx: StaffContext) -> Business:
    return container().business.get(ctx)


@api.op("PATCH", "/v1/manage/business", summary="Change name, time zone or settings", role=STAFF,
        body="BusinessSettingsIn", response="BusinessOut")
def update_business(ctx: StaffContext, body: BusinessSettingsIn) -> Business:
    from ..services.business import SettingsChanges

    return container().business.update(ctx, command(SettingsChanges, body))
