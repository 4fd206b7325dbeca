"""Staff: their business's settings."""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.business import BusinessOut, BusinessSettingsIn
from .framework import STAFF, ApiBlueprint, container
from .presenters import business_out

api = ApiBlueprint(__name__, tag="business")


@api.op("GET", "/v1/manage/business", summary="My business", role=STAFF, response=BusinessOut)
def get_business(caller: Caller) -> BusinessOut:
    return business_out(container().business.get(caller))


@api.op("PATCH", "/v1/manage/business", summary="Change name, time zone or settings", role=STAFF, body=BusinessSettingsIn, response=BusinessOut)
def update_business(caller: Caller, body: BusinessSettingsIn) -> BusinessOut:
    return business_out(container().business.update(caller, body))
