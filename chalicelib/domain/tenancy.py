"""Businesses (tenants), their plan tiers, and who is calling."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInputError, PlanRequiredError


class Plan(str, Enum):
    FREE = "free"
    STANDARD = "standard"
    PREMIUM = "premium"

    @property
    def rank(self) -> int:
        return [Plan.FREE, Plan.STANDARD, Plan.PREMIUM].index(self)


class Feature(str, Enum):
    """Features gated by plan. Catalogue and bookings are in every plan."""

    CUSTOMER_GROUPS = "customer_groups"
    MEMBERSHIPS = "memberships"
    PASSES = "passes"


FEATURE_MIN_PLAN: dict[Feature, Plan] = {
    Feature.CUSTOMER_GROUPS: Plan.STANDARD,
    Feature.MEMBERSHIPS: Plan.STANDARD,
    Feature.PASSES: Plan.STANDARD,
}


@dataclass(frozen=True)
class Business:
    business_id: str
    name: str
    plan: Plan
    timezone: str
    # When a booking paid by an offer use or a pass use is cancelled, is the use given back?
    return_use_on_cancel: bool = True
    # B3: what a cancelled card booking gets back: "full", "none", or "full_until" N hours before the start.
    refund_policy: str = "full"
    refund_hours_before: int = 24
    # B8: places one booker may hold and book on one entry, all their bookings together.
    max_places_per_booker: int = 10

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require(self, feature: Feature) -> None:
        needed = FEATURE_MIN_PLAN.get(feature, Plan.FREE)
        if self.plan.rank < needed.rank:
            raise PlanRequiredError(
                f"{feature.value.replace('_', ' ').capitalize()} need the '{needed.value}' plan or above; "
                f"this business is on '{self.plan.value}'.",
                details={"feature": feature.value, "required_plan": needed.value, "current_plan": self.plan.value},
            )


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"'{name}' is not an IANA time zone (e.g. 'Europe/Berlin').", field="timezone")
    return name


class Role(str, Enum):
    STAFF = "staff"
    BOOKER = "booker"


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request, built from the JWT claims by the authorizer."""

    subject: str
    role: Role
    email: str | None = None  # bookers: their verified, normalised email
    business_id: str | None = None  # staff: the business named by the token (resolved by services/access.py)
