"""Plan changes (T3): a platform operator's action, never a business's staff's."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..logs import logger

if TYPE_CHECKING:
    from ..domain.context import OperatorContext
    from ..domain.tenancy import Business, Plan
    from ..ports.tenancy import BusinessStore


class PlanService:
    def __init__(self, businesses: BusinessStore) -> None:
        self.businesses = businesses

    def change(self, ctx: OperatorContext, business_id: str, plan: Plan) -> Business:
        """A downgrade keeps every record; the gated routes answer 402 naming the plan from now on."""
        business = self.businesses.get(business_id)
        updated = replace(business, plan=plan)
        self.businesses.save(updated)
        logger.info("plan changed", extra={"business_id": business_id, "plan": plan.value, "by": ctx.subject,
                                           "was": business.plan.value})
        return updated
