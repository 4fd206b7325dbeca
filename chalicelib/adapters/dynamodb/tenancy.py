"""Businesses table, with a short per-container cache: every request needs its business."""
from __future__ import annotations

import time

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import NotFoundError
from ...domain.tenancy import Business, Plan, StripeConnection
from .base import find, register, table_meta

CACHE_SECONDS = 30.0


class BusinessesByStripeAccount(GlobalSecondaryIndex["BusinessModel"]):
    """Connect events name their account: this routes each one to its business with one query (T5)."""

    class Meta:
        index_name = "by_stripe_account"
        projection = AllProjection()

    stripe_account_id = UnicodeAttribute(hash_key=True)


@register
class BusinessModel(Model):
    Meta = table_meta("businesses")
    business_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    plan = UnicodeAttribute()
    timezone = UnicodeAttribute()
    currency = UnicodeAttribute(default="EUR")
    return_use_on_cancel = BooleanAttribute(default=True)
    stripe_account_id = UnicodeAttribute(null=True)
    stripe_connection = UnicodeAttribute(default=StripeConnection.NOT_CONNECTED.value)
    stripe_livemode = BooleanAttribute(default=False)
    stripe_charges_enabled = BooleanAttribute(default=False)
    stripe_account_email = UnicodeAttribute(null=True)
    by_stripe_account = BusinessesByStripeAccount()
    refund_policy = UnicodeAttribute(default="full")
    refund_hours_before = NumberAttribute(default=24)
    max_places_per_booker = NumberAttribute(default=10)
    members_may_pause = BooleanAttribute(null=True)
    pause_max_days_per_year = NumberAttribute(null=True)
    pause_notice_days = NumberAttribute(null=True)
    country = UnicodeAttribute(null=True)


def business_of(m: BusinessModel) -> Business:
    return Business(
        business_id=m.business_id,
        name=m.name,
        plan=Plan(m.plan),
        timezone=m.timezone,
        currency=m.currency or "EUR",
        return_use_on_cancel=m.return_use_on_cancel,
        stripe_account_id=m.stripe_account_id,
        stripe_connection=StripeConnection(m.stripe_connection or StripeConnection.NOT_CONNECTED.value),
        stripe_livemode=bool(m.stripe_livemode),
        stripe_charges_enabled=bool(m.stripe_charges_enabled),
        stripe_account_email=m.stripe_account_email,
        refund_policy=m.refund_policy or "full",
        refund_hours_before=int(m.refund_hours_before if m.refund_hours_before is not None else 24),
        max_places_per_booker=int(m.max_places_per_booker if m.max_places_per_booker is not None else 10),
        members_may_pause=bool(m.members_may_pause),
        pause_max_days_per_year=int(m.pause_max_days_per_year if m.pause_max_days_per_year is not None else 30),
        pause_notice_days=int(m.pause_notice_days if m.pause_notice_days is not None else 7),
        country=m.country or None,
    )


class BusinessRepository:
    """Plan, time zone and settings change rarely; a 30 s cache saves a read on every request."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, Business]] = {}

    def get(self, business_id: str) -> Business:
        business = self.find(business_id)
        if business is None:
            raise NotFoundError(f"Business '{business_id}' does not exist.")
        return business

    def find(self, business_id: str) -> Business | None:
        hit = self._cache.get(business_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        m = find(BusinessModel, business_id)
        if m is None:
            return None
        business = business_of(m)
        self._cache[business_id] = (time.monotonic() + CACHE_SECONDS, business)
        return business

    def save(self, business: Business) -> None:
        BusinessModel(
            business.business_id,
            name=business.name,
            plan=business.plan.value,
            timezone=business.timezone,
            currency=business.currency,
            return_use_on_cancel=business.return_use_on_cancel,
            stripe_account_id=business.stripe_account_id,
            stripe_connection=business.stripe_connection.value,
            stripe_livemode=business.stripe_livemode,
            stripe_charges_enabled=business.stripe_charges_enabled,
            stripe_account_email=business.stripe_account_email,
            refund_policy=business.refund_policy,
            refund_hours_before=business.refund_hours_before,
            max_places_per_booker=business.max_places_per_booker,
            members_may_pause=business.members_may_pause,
            pause_max_days_per_year=business.pause_max_days_per_year,
            pause_notice_days=business.pause_notice_days,
            country=business.country,
        ).save()
        self._cache.pop(business.business_id, None)

    def by_stripe_account(self, account_id: str) -> list[Business]:
        """Every business that ever connected this account (an index query; normally one)."""
        return [business_of(m) for m in BusinessModel.by_stripe_account.query(account_id)]

    def forget(self, business_id: str) -> None:
        """Drop the cached copy (the connection changed: the next request reads the table)."""
        self._cache.pop(business_id, None)
