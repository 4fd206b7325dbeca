"""Business settings (staff) — plan changes are an operator action, not an API call."""
from __future__ import annotations

from dataclasses import replace

from ..adapters.dynamodb.tenancy import BusinessRepository
from ..domain.tenancy import Business, Caller, validate_timezone
from ..schemas.business import BusinessSettingsIn


class BusinessService:
    def __init__(self, businesses: BusinessRepository) -> None:
        self.businesses = businesses

    def get(self, caller: Caller) -> Business:
        return self.businesses.get(caller.staff_business())

    def update(self, caller: Caller, patch: BusinessSettingsIn) -> Business:
        business = self.businesses.get(caller.staff_business())
        changes = patch.model_dump(exclude_none=True)
        if "timezone" in changes:
            validate_timezone(changes["timezone"])
        updated = replace(business, **changes)
        self.businesses.save(updated)
        return updated
