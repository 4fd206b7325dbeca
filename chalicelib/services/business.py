"""Business settings (staff): plan changes are an operator action, not a staff one."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..domain.tenancy import Business, validate_timezone
from .phones import phone_country

if TYPE_CHECKING:
    from ..domain.context import StaffContext
    from ..ports.tenancy import BusinessStore


@dataclass(frozen=True)
class SettingsChanges:
    name: str | None = None
    timezone: str | None = None
    return_use_on_cancel: bool | None = None
    refund_policy: str | None = None
    refund_hours_before: int | None = None
    max_places_per_booker: int | None = None
    members_may_pause: bool | None = None
    pause_max_days_per_year: int | None = None
    pause_notice_days: int | None = None
    country: str | None = None  # "" removes it


class BusinessService:
    def __init__(self, businesses: BusinessStore) -> None:
        self.businesses = businesses

    def get(self, ctx: StaffContext) -> Business:
        return ctx.business

    def update(self, ctx: StaffContext, patch: SettingsChanges) -> Business:
        if patch.timezone is not None:
            validate_timezone(patch.timezone)
        changes = {k: v for k, v in vars(patch).items() if v is not None}
        updated = replace(ctx.business, **changes)
        if patch.country is not None:
            updated = replace(updated, country=phone_country(patch.country) if patch.country.strip() else None)
        self.businesses.save(updated)
        return updated
