"""In-memory groups and group members: the ``ports.groups`` shapes, for use-case tests without a table."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.groups import Group, GroupMember, MemberUsage, Roll, UsageCounter
from chalicelib.domain.paging import Page, PageRequest
from tests.fakes.core import page_of


class InMemoryGroups:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Group] = {}

    def get(self, business_id: str, group_id: str) -> Group:
        try:
            return self.items[business_id, group_id]
        except KeyError:
            raise NotFoundError(f"Group '{group_id}' does not exist.") from None

    def exists(self, business_id: str, group_id: str) -> bool:
        return (business_id, group_id) in self.items

    def get_many(self, business_id: str, group_ids: list[str]) -> dict[str, Group]:
        return {g: self.items[business_id, g] for g in group_ids if (business_id, g) in self.items}

    def create(self, group: Group) -> bool:
        if self.exists(group.business_id, group.group_id):
            return False
        self.items[group.business_id, group.group_id] = group
        return True

    def save(self, group: Group) -> Group:
        if self.get(group.business_id, group.group_id).revision != group.revision:
            raise ConflictError("The group was changed at the same time; reload and retry.", code="concurrent_change")
        saved = replace(group, revision=group.revision + 1)
        self.items[group.business_id, group.group_id] = saved
        return saved

    def set_owner(self, business_id: str, group_id: str, membership_id: str | None) -> None:
        self.items[business_id, group_id] = replace(self.get(business_id, group_id), membership_id=membership_id)

    def delete(self, business_id: str, group_id: str) -> None:
        self.get(business_id, group_id).check_deletable()
        self.items.pop((business_id, group_id), None)

    def list(self, business_id: str) -> list[Group]:
        return sorted((g for (b, _), g in self.items.items() if b == business_id), key=lambda g: g.name.lower())

    def list_page(self, business_id: str, page: PageRequest) -> Page[Group]:
        return page_of(sorted((g for (b, _), g in self.items.items() if b == business_id), key=lambda g: g.group_id), page)


class InMemoryGroupMembers:
    """Members with their raw usage counters (offer_id -> period, used, ends_at, unit, tz), as stored."""

    def __init__(self, groups: InMemoryGroups) -> None:
        self.groups = groups
        self.members: dict[tuple[str, str], GroupMember] = {}
        self.usage: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def get(self, group_id: str, email: str) -> tuple[GroupMember, dict[str, UsageCounter]] | None:
        member = self.members.get((group_id, email))
        return (member, self._counters(group_id, email)) if member else None

    def group_and_member(
        self, business_id: str, group_id: str, email: str
    ) -> tuple[Group | None, tuple[GroupMember, dict[str, UsageCounter]] | None]:
        group = self.groups.items.get((business_id, group_id))
        return group, (self.get(group_id, email) if group else None)

    def for_email(self, business_id: str, email: str) -> list[tuple[GroupMember, dict[str, UsageCounter]]]:
        return [(m, self._counters(g, e)) for (g, e), m in self.members.items() if e == email and m.business_id == business_id]

    def add_manual(self, business_id: str, group_id: str, email: str, joined_at: datetime, anchor: date) -> bool:
        member = self.members.get((group_id, email))
        if member and member.manual:
            return False
        self.members[group_id, email] = replace(member, manual=True) if member else GroupMember(
            group_id, email, business_id, joined_at, anchor, manual=True)
        self.usage.setdefault((group_id, email), {})
        return True

    def join_via(self, business_id: str, group_id: str, email: str, subscription_id: str, joined_at: datetime,
                 anchor: date, replace_anchor: bool) -> None:
        member = self.members.get((group_id, email)) or GroupMember(group_id, email, business_id, joined_at, anchor)
        self.members[group_id, email] = replace(member, subscription_ids=member.subscription_ids | {subscription_id},
                                                anchor=anchor if replace_anchor else member.anchor)
        self.usage.setdefault((group_id, email), {})

    def set_pauses(self, group_id: str, email: str, pauses: list[dict[str, Any]]) -> None:
        from chalicelib.adapters.dynamodb.pauses import pauses_from

        member = self.members.get((group_id, email))
        if member is not None:
            self.members[group_id, email] = replace(member, pauses=pauses_from(pauses))

    def leave_via(self, group_id: str, email: str, subscription_id: str) -> None:
        member = self.members.get((group_id, email))
        if member is None:
            return
        member = replace(member, subscription_ids=member.subscription_ids - {subscription_id})
        self.members[group_id, email] = member
        if not member.subscription_ids and not member.manual:
            self._drop(group_id, email)

    def remove_manual(self, group_id: str, email: str) -> None:
        member = self.members.get((group_id, email))
        if member is None:
            raise NotFoundError(f"'{email}' is not a member of this group.")
        if member.subscription_ids:
            raise ConflictError(f"'{email}' is in this group through a membership.", code="member_via_membership")
        self._drop(group_id, email)

    def delete_all(self, group_id: str) -> None:
        for key in [k for k in self.members if k[0] == group_id]:
            self._drop(*key)

    def due(self, day: str, until: datetime) -> Iterable[MemberUsage]:
        for (group_id, email), member in list(self.members.items()):
            ends = [datetime.fromisoformat(c["ends_at"]) for c in self.usage[group_id, email].values() if c.get("ends_at")]
            if ends and min(ends).date().isoformat() == day and min(ends) <= until:
                yield MemberUsage(group_id, email, member.anchor, self._raw(group_id, email))

    def roll(self, member: MemberUsage, roll: Roll) -> bool:
        stored = self.usage.get((member.group_id, member.email))
        if stored is None or any(stored.get(o, {}).get("period") != p for o, p in roll.old_periods.items()):
            return False
        stored.update({o: dict(c) for o, c in roll.restarted.items()})
        return True

    def reload(self, member: MemberUsage) -> MemberUsage | None:
        found = self.members.get((member.group_id, member.email))
        return MemberUsage(member.group_id, member.email, found.anchor, self._raw(member.group_id, member.email)) if found else None

    def list(self, group_id: str) -> list[GroupMember]:
        return [m for (g, _), m in self.members.items() if g == group_id]

    def list_page(self, group_id: str, page: PageRequest) -> Page[GroupMember]:
        return page_of(sorted(self.list(group_id), key=lambda m: m.email), page)

    def for_email_page(self, business_id: str, email: str,
                       page: PageRequest) -> Page[tuple[GroupMember, dict[str, UsageCounter]]]:
        return page_of(sorted(self.for_email(business_id, email), key=lambda found: found[0].group_id), page)

    def _drop(self, group_id: str, email: str) -> None:
        self.members.pop((group_id, email), None)
        self.usage.pop((group_id, email), None)

    def _raw(self, group_id: str, email: str) -> dict[str, dict[str, Any]]:
        return {o: dict(c) for o, c in self.usage.get((group_id, email), {}).items()}

    def _counters(self, group_id: str, email: str) -> dict[str, UsageCounter]:
        return {
            o: UsageCounter(o, str(c["period"]), int(c["used"]), datetime.fromisoformat(c["ends_at"]) if c.get("ends_at") else None)
            for o, c in self.usage.get((group_id, email), {}).items()
        }
