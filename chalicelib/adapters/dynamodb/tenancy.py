"""Businesses table, with a short per-container cache: every request needs its business."""
from __future__ import annotations

import time

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from ...domain.errors import NotFoundError
from ...domain.tenancy import Business, Plan
from .base import find, register, table_meta

CACHE_SECONDS = 30.0


@register
class BusinessModel(Model):
    Meta = table_meta("businesses")
    business_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    plan = UnicodeAttribute()
    timezone = UnicodeAttribute()
    return_use_on_cancel = BooleanAttribute(default=True)
    refund_policy = UnicodeAttribute(default="full")
    refund_hours_before = NumberAttribute(default=24)
    max_places_per_booker = NumberAttribute(default=10)


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
        business = Business(
            business_id=m.business_id,
            name=m.name,
            plan=Plan(m.plan),
            timezone=m.timezone,
            return_use_on_cancel=m.return_use_on_cancel,
            refund_policy=m.refund_policy or "full",
            refund_hours_before=int(m.refund_hours_before if m.refund_hours_before is not None else 24),
            max_places_per_booker=int(m.max_places_per_booker if m.max_places_per_booker is not None else 10),
        )
        self._cache[business_id] = (time.monotonic() + CACHE_SECONDS, business)
        return business

    def save(self, business: Business) -> None:
        BusinessModel(
            business.business_id,
            name=business.name,
            plan=business.plan.value,
            timezone=business.timezone,
            return_use_on_cancel=business.return_use_on_cancel,
            refund_policy=business.refund_policy,
            refund_hours_before=business.refund_hours_before,
            max_places_per_booker=business.max_places_per_booker,
        ).save()
        self._cache.pop(business.business_id, None)
