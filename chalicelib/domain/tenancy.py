"""Businesses (tenants), their plan tiers, and who is calling."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInputError, PlanRequiredError, StripeNotConnectedError


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


# The platform's application fee on a business's payments, in basis points of each charge (T4).
# Free businesses pay a little more per payment, premium none; 0 sends no fee to Stripe at all.
APPLICATION_FEE_BPS: dict[Plan, int] = {Plan.FREE: 200, Plan.STANDARD: 100, Plan.PREMIUM: 0}


class StripeConnection(str, Enum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # the business revoked our access (account.application.deauthorized)


CONNECT_STEP = "Connect a Stripe account in Settings → Payments (POST /v1/manage/stripe-connection)."


@dataclass(frozen=True)
class Business:
    business_id: str
    name: str
    plan: Plan
    timezone: str
    currency: str = "EUR"  # ISO 4217, chosen at sign-up (T1)
    # When a booking paid by an offer use or a pass use is cancelled, is the use given back?
    return_use_on_cancel: bool = True
    # B3: what a cancelled card booking gets back: "full", "none", or "full_until" N hours before the start.
    refund_policy: str = "full"
    refund_hours_before: int = 24
    # B8: places one booker may hold and book on one entry, all their bookings together.
    max_places_per_booker: int = 10
    # Stripe Connect (T4): the business's own Standard account; every Stripe object of the business lives there.
    stripe_account_id: str | None = None
    stripe_connection: StripeConnection = StripeConnection.NOT_CONNECTED
    stripe_livemode: bool = False
    stripe_charges_enabled: bool = False
    stripe_account_email: str | None = None  # told when the account disconnects
    # X1: may members pause their own membership, how many days a year, with how many days' notice.
    members_may_pause: bool = False
    pause_max_days_per_year: int = 30
    pause_notice_days: int = 7
    # C4: ISO 3166-1 alpha-2; a customer's phone number given without "+" is read as a number of this country.
    country: str | None = None

    @property
    def application_fee_bps(self) -> int:
        return APPLICATION_FEE_BPS[self.plan]

    def stripe_account(self) -> str:
        """The connected account every Stripe call of this business is made on (T6: else a 409 naming the step)."""
        if self.stripe_connection is StripeConnection.CONNECTED and self.stripe_account_id:
            return self.stripe_account_id
        state = "was disconnected" if self.stripe_connection is StripeConnection.DISCONNECTED else "is not connected"
        raise StripeNotConnectedError(f"This business's Stripe account {state}, so it cannot take payments. {CONNECT_STEP}",
                                      details={"stripe_connection": self.stripe_connection.value})

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


@dataclass(frozen=True)
class Caller:
    """Who the verified token says the person is; nothing about what they may do.

    Which business a person is staff of comes from the staff records (``services/access.py``);
    booker routes need ``email`` (set only when the token's email is a bare, verified address).
    """

    subject: str
    email: str | None = None  # verified and normalised, else None
