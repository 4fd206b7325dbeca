"""Customer groups (offers embedded) and their members (usage counters embedded)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..domain.groups import Group, GroupMember, MemberUsage, Roll, UsageCounter

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from ..domain.paging import Page, PageRequest

MemberWithCounters = tuple[GroupMember, dict[str, UsageCounter]]


class GroupStore(Protocol):
    def get(self, business_id: str, group_id: str) -> Group:
        """The group, or ``NotFoundError``."""
        ...

    def exists(self, business_id: str, group_id: str) -> bool: ...

    def get_many(self, business_id: str, group_ids: list[str]) -> dict[str, Group]: ...

    def create(self, group: Group) -> bool:
        """Insert unless the id exists; True when this call created it."""
        ...

    def save(self, group: Group) -> Group:
        """Write unless changed since read (``ConflictError``); the saved group with its new revision."""
        ...

    def set_owner(self, business_id: str, group_id: str, membership_id: str | None) -> None: ...

    def delete(self, business_id: str, group_id: str) -> None:
        """Delete unless a membership owns it (``ConflictError``), checked in the write itself."""
        ...

    def list(self, business_id: str) -> list[Group]: ...

    def list_page(self, business_id: str, page: PageRequest) -> Page[Group]: ...


class GroupMemberStore(Protocol):
    def get(self, group_id: str, email: str) -> MemberWithCounters | None: ...

    def group_and_member(self, business_id: str, group_id: str, email: str) -> tuple[Group | None, MemberWithCounters | None]:
        """Both in one read: all a booking needs besides the entry."""
        ...

    def for_email(self, business_id: str, email: str) -> list[MemberWithCounters]: ...

    def add_manual(self, business_id: str, group_id: str, email: str, joined_at: datetime, anchor: date) -> bool:
        """Mark as a manual member (creating it if new); False when already a manual member."""
        ...

    def join_via(self, business_id: str, group_id: str, email: str, subscription_id: str, joined_at: datetime,
                 anchor: date, replace_anchor: bool) -> None: ...

    def leave_via(self, group_id: str, email: str, subscription_id: str) -> None: ...

    def remove_manual(self, group_id: str, email: str) -> None:
        """``NotFoundError`` if not a member, ``ConflictError`` if in through a membership."""
        ...

    def delete_all(self, group_id: str) -> None: ...

    def set_pauses(self, group_id: str, email: str, pauses: list[dict[str, Any]]) -> None:
        """X1: store the membership's pauses on the member (stored shape: ``adapters.dynamodb.pauses``)."""
        ...

    def due(self, day: str, until: datetime) -> Iterable[MemberUsage]:
        """Members whose earliest stored period ends on UTC ``day``, no later than ``until``."""
        ...

    def roll(self, member: MemberUsage, roll: Roll) -> bool:
        """Write the rolled counters unless one moved since read; False when a booking got there first."""
        ...

    def reload(self, member: MemberUsage) -> MemberUsage | None:
        """The member's stored counters now (None when they left the group)."""
        ...

    def list(self, group_id: str) -> list[GroupMember]: ...

    def list_page(self, group_id: str, page: PageRequest) -> Page[GroupMember]: ...

    def for_email_page(self, business_id: str, email: str, page: PageRequest) -> Page[MemberWithCounters]: ...
