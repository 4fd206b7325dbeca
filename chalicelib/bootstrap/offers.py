"""The composition root's pieces for customer groups, offers and passes (see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .pieces import Pieces

if TYPE_CHECKING:
    from ..adapters.dynamodb.schedule_state import ScheduleState
    from ..ports.groups import GroupMemberStore, GroupStore
    from ..ports.passes import PassStore
    from ..services.groups import GroupService
    from ..services.passes import PassService
    from ..services.usage_periods import UsagePeriodService


class OfferPieces(Pieces):
    @cached_property
    def group_store(self) -> GroupStore:
        from ..adapters.dynamodb.groups import GroupRepository

        return GroupRepository()

    @cached_property
    def group_members(self) -> GroupMemberStore:
        from ..adapters.dynamodb.group_members import GroupMemberRepository

        return GroupMemberRepository()

    @cached_property
    def groups(self) -> GroupService:
        from ..services.groups import GroupService

        return GroupService(self.businesses, self.group_store, self.group_members, self.catalogue_store)

    @cached_property
    def schedule_state(self) -> ScheduleState:
        from ..adapters.dynamodb.schedule_state import ScheduleState

        return ScheduleState()

    @cached_property
    def usage_periods(self) -> UsagePeriodService:
        from ..services.usage_periods import UsagePeriodService

        return UsagePeriodService(self.group_members, self.schedule_state)

    @cached_property
    def pass_store(self) -> PassStore:
        from ..adapters.dynamodb.passes import PassRepository

        return PassRepository()

    @cached_property
    def passes(self) -> PassService:
        from ..adapters.dynamodb.passes import PassProductRepository
        from ..services.passes import PassService

        return PassService(PassProductRepository(), self.pass_store, self.customer_store, payments=self.stripe_connect)
