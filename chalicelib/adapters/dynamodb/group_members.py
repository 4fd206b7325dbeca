"""Group members: who is in a group (by hand, through memberships) and their usage counters.

See ``groups.py`` for the table's shape; every write here is one conditional update or delete.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DeleteError, UpdateError

from ...domain.errors import ConflictError, NotFoundError
from .base import batch_get, find, is_condition_failure, query_page
from .groups import GroupMemberModel, GroupModel, due_day, group_from, member_from, member_usage_from

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date, datetime

    from ...domain.groups import Group, GroupMember, MemberUsage, Roll, UsageCounter
    from ...domain.paging import Page, PageRequest


class GroupMemberRepository:
    def get(self, group_id: str, email: str) -> tuple[GroupMember, dict[str, UsageCounter]] | None:
        item = find(GroupMemberModel, group_id, email, consistent_read=True)
        return member_from(item) if item else None

    def group_and_member(
        self, business_id: str, group_id: str, email: str
    ) -> tuple[Group | None, tuple[GroupMember, dict[str, UsageCounter]] | None]:
        """Both in ONE BatchGetItem: all a booking needs besides the entry."""
        group_m, member_m = batch_get([(GroupModel, business_id, group_id), (GroupMemberModel, group_id, email)])
        group = group_from(group_m) if isinstance(group_m, GroupModel) else None
        member = member_from(member_m) if isinstance(member_m, GroupMemberModel) and group is not None else None
        return group, member

    def for_email(self, business_id: str, email: str) -> list[tuple[GroupMember, dict[str, UsageCounter]]]:
        return [member_from(m) for m in GroupMemberModel.by_email.query(f"{business_id}#{email}")]

    def add_manual(self, business_id: str, group_id: str, email: str, joined_at: datetime, anchor: date) -> bool:
        """Mark as a manual member, creating the member if new; False if already a manual member.

        Terms and anchor are set only on first join (``if_not_exists``): re-adding is harmless.
        """
        M = GroupMemberModel
        try:
            M(group_id, email).update(
                actions=self._joining(business_id, email, joined_at) + [M.anchor.set(M.anchor | anchor.isoformat()), M.manual.set(True)],
                condition=M.email.does_not_exist() | (M.manual == False),  # noqa: E712 (a DynamoDB condition)
            )
            return True
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def join_via(self, business_id: str, group_id: str, email: str, subscription_id: str, joined_at: datetime,
                 anchor: date, replace_anchor: bool) -> None:
        """Add a membership as a source. Terms stay those of the first join; a billing anchor may move (M7)."""
        M = GroupMemberModel
        anchor_action = M.anchor.set(anchor.isoformat()) if replace_anchor else M.anchor.set(M.anchor | anchor.isoformat())
        M(group_id, email).update(
            actions=self._joining(business_id, email, joined_at)
            + [anchor_action, M.subscription_ids.add({subscription_id}), M.manual.set(M.manual | False)]
        )

    def leave_via(self, group_id: str, email: str, subscription_id: str) -> None:
        """Drop one membership source; the member leaves when no source (and no manual add) is left."""
        M = GroupMemberModel
        try:
            M(group_id, email).update(actions=[M.subscription_ids.delete({subscription_id})], condition=M.email.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                return
            raise
        try:
            M(group_id, email).delete(condition=M.subscription_ids.does_not_exist() & (M.manual == False))  # noqa: E712
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise

    def remove_manual(self, group_id: str, email: str) -> None:
        M = GroupMemberModel
        try:
            M(group_id, email).delete(condition=M.email.exists() & M.subscription_ids.does_not_exist())
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise
            if self.get(group_id, email) is None:
                raise NotFoundError(f"'{email}' is not a member of this group.")
            raise ConflictError(
                f"'{email}' is in this group through a membership: cancel the membership to remove them.",
                code="member_via_membership",
            )

    def set_pauses(self, group_id: str, email: str, pauses: list[dict[str, Any]]) -> None:
        """X1: the membership's pauses on the member (a member who left meanwhile is left alone)."""
        M = GroupMemberModel
        try:
            M(group_id, email).update(actions=[M.pauses.set(pauses)], condition=M.email.exists())
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def delete_all(self, group_id: str) -> None:
        with GroupMemberModel.batch_write() as batch:
            for m in GroupMemberModel.query(group_id, attributes_to_get=["group_id", "email"]):
                batch.delete(m)

    def due(self, day: str, until: datetime) -> Iterator[MemberUsage]:
        for m in GroupMemberModel.by_due_day.query(day, GroupMemberModel.next_reset_at <= until):
            yield member_usage_from(m)

    def roll(self, m: MemberUsage, roll: Roll) -> bool:
        """Write rolled counters if none of them moved since read; False if a booking got there first."""
        M = GroupMemberModel
        next_reset_at, old_periods = roll.next_reset_at, roll.old_periods
        actions: list[Any] = [M.usage[offer_id].set(counter) for offer_id, counter in roll.restarted.items()]
        if next_reset_at is None:
            actions += [M.next_reset_at.remove(), M.due_day.remove()]
        else:
            actions += [M.next_reset_at.set(next_reset_at), M.due_day.set(due_day(next_reset_at))]
        condition: Any = M.email.exists()
        for offer_id, period in old_periods.items():
            condition = condition & (M.usage[offer_id]["period"] == period)
        try:
            M(m.group_id, m.email).update(actions=actions, condition=condition)
            return True
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def reload(self, m: MemberUsage) -> MemberUsage | None:
        item = find(GroupMemberModel, m.group_id, m.email, consistent_read=True)
        return member_usage_from(item) if item else None

    @staticmethod
    def _joining(business_id: str, email: str, joined_at: datetime) -> list[Any]:
        M = GroupMemberModel
        return [
            M.business_id.set(business_id),
            M.member_key.set(f"{business_id}#{email}"),
            M.joined_at.set(M.joined_at | joined_at),
            M.usage.set(M.usage | {}),
        ]

    def list(self, group_id: str) -> list[GroupMember]:
        return [member_from(m)[0] for m in GroupMemberModel.query(group_id)]

    def list_page(self, group_id: str, page: PageRequest) -> Page[GroupMember]:
        return query_page(GroupMemberModel, group_id, lambda m: member_from(m)[0], page)

    def for_email_page(self, business_id: str, email: str, page: PageRequest) -> Page[tuple[GroupMember, dict[str, UsageCounter]]]:
        """One page of the groups a customer is in (the by-email index)."""
        return query_page(GroupMemberModel.by_email, f"{business_id}#{email}", member_from, page)
