"""Customer groups (offers embedded with all their versions) and group members (usage counters embedded).

- ``groups``: one item per group; its offers and every version of their terms live inside it, so a
  booking reads the whole rule set in one key lookup and old versions are never lost (O5).
- ``group-members``: one item per (group, normalised email). The member's usage counters live in
  ``usage`` (offer_id -> {period, used, ends_at, unit, tz}), so a booking reads group + member in one
  BatchGet and spends a use with ONE conditional update inside the booking transaction.
  ``next_reset_at`` (earliest end of a stored period) and ``due_day`` (its UTC day) feed a sparse
  GSI the scheduler queries, so its cost follows the members due now, not all members.

The member repository is ``group_members.py``; the booking transaction's offer-use write is
``offer_uses.py``.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import ConflictError, NotFoundError
from ...domain.groups import Group, GroupMember, MemberUsage, Offer, OfferTerms, Scope, UsageCounter, UsageMode, UsageRule
from ...domain.periods import PeriodUnit
from .base import batch_get, from_model, is_condition_failure, load, query_page, register, table_meta, to_model
from .pauses import pauses_from

if TYPE_CHECKING:
    from ...domain.paging import Page, PageRequest


class TermsMap(MapAttribute[str, Any]):
    version = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    title = UnicodeAttribute()
    max_additional_attendees = NumberAttribute(default=0)
    usage_mode = UnicodeAttribute()
    uses = NumberAttribute(null=True)
    period_unit = UnicodeAttribute(null=True)
    scope_page_id = UnicodeAttribute(null=True)
    scope_ticket_ids = ListAttribute(of=UnicodeAttribute, default=list)


class OfferMap(MapAttribute[str, Any]):
    offer_id = UnicodeAttribute()
    kind = UnicodeAttribute(default="exclusive_tickets")
    enabled = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    versions = ListAttribute(of=TermsMap, default=list)


@register
class GroupModel(Model):
    Meta = table_meta("groups")
    business_id = UnicodeAttribute(hash_key=True)
    group_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    membership_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)
    offers = ListAttribute(of=OfferMap, default=list)


class MembersByEmail(GlobalSecondaryIndex["GroupMemberModel"]):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    member_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    group_id = UnicodeAttribute(range_key=True)


class MembersByDueDay(GlobalSecondaryIndex["GroupMemberModel"]):
    """Sparse: only members with a resetting counter. Range-queried up to "now" within a UTC day."""

    class Meta:
        index_name = "by_due_day"
        projection = AllProjection()

    due_day = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD" (UTC) of next_reset_at
    next_reset_at = UTCDateTimeAttribute(range_key=True)


@register
class GroupMemberModel(Model):
    Meta = table_meta("group-members")
    group_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    business_id = UnicodeAttribute()
    member_key = UnicodeAttribute()
    manual = BooleanAttribute(default=False)
    subscription_ids = UnicodeSetAttribute(null=True)
    joined_at = UTCDateTimeAttribute()
    anchor = UnicodeAttribute()  # ISO date, the member's start date in the business's zone
    usage: MapAttribute[str, Any] = MapAttribute(default=dict)
    next_reset_at = UTCDateTimeAttribute(null=True)
    due_day = UnicodeAttribute(null=True)
    pauses = JSONAttribute(null=True)  # X1: the membership's pauses, as in the member record
    by_email = MembersByEmail()
    by_due_day = MembersByDueDay()


# --- mapping ----------------------------------------------------------------------------------


def terms_from(t: TermsMap) -> OfferTerms:
    unit = PeriodUnit(t.period_unit) if t.period_unit else None
    usage = UsageRule(UsageMode(t.usage_mode), int(t.uses) if t.uses is not None else None, unit)
    scope = Scope(page_id=t.scope_page_id, ticket_ids=tuple(str(i) for i in t.scope_ticket_ids or ()))
    return from_model(OfferTerms, t, version=int(t.version), max_additional_attendees=int(t.max_additional_attendees or 0),
                      usage=usage, scope=scope)


def terms_map(t: OfferTerms) -> TermsMap:
    return to_model(TermsMap, t, usage_mode=t.usage.mode.value, uses=t.usage.uses, period_unit=t.usage.period,
                    scope_page_id=t.scope.page_id, scope_ticket_ids=list(t.scope.ticket_ids))


def offer_from(o: OfferMap) -> Offer:
    return from_model(Offer, o, enabled=bool(o.enabled), versions=tuple(terms_from(v) for v in o.versions))


def offer_map(o: Offer) -> OfferMap:
    return to_model(OfferMap, o, versions=[terms_map(v) for v in o.versions])


def group_from(m: GroupModel) -> Group:
    return from_model(Group, m, revision=int(m.revision or 0), offers=tuple(offer_from(o) for o in m.offers or ()))


def group_model(g: Group, revision: int) -> GroupModel:
    return to_model(GroupModel, g, revision=revision, offers=[offer_map(o) for o in g.offers])


def raw_usage(m: GroupMemberModel) -> dict[str, dict[str, Any]]:
    usage = m.usage
    data = usage.as_dict() if isinstance(usage, MapAttribute) else dict(usage or {})
    return {k: dict(v) for k, v in data.items()}


def member_from(m: GroupMemberModel) -> tuple[GroupMember, dict[str, UsageCounter]]:
    member = from_model(GroupMember, m, anchor=date.fromisoformat(m.anchor), manual=bool(m.manual),
                        subscription_ids=frozenset(m.subscription_ids or ()), pauses=pauses_from(m.pauses))
    counters = {
        k: UsageCounter(k, str(v["period"]), int(v["used"]), datetime.fromisoformat(v["ends_at"]) if v.get("ends_at") else None)
        for k, v in raw_usage(m).items()
    }
    return member, counters


def member_usage_from(m: GroupMemberModel) -> MemberUsage:
    return MemberUsage(m.group_id, m.email, date.fromisoformat(m.anchor), raw_usage(m), pauses_from(m.pauses))


def due_day(at: datetime) -> str:
    return at.date().isoformat()  # stored datetimes are UTC


# --- repositories -------------------------------------------------------------------------------


class GroupRepository:
    def get(self, business_id: str, group_id: str) -> Group:
        return group_from(load(GroupModel, business_id, group_id, missing=f"Group '{group_id}' does not exist."))

    def exists(self, business_id: str, group_id: str) -> bool:
        try:
            GroupModel.get(business_id, group_id, attributes_to_get=["group_id"])
            return True
        except GroupModel.DoesNotExist:
            return False

    def get_many(self, business_id: str, group_ids: list[str]) -> dict[str, Group]:
        found = batch_get([(GroupModel, business_id, gid) for gid in dict.fromkeys(group_ids)])
        return {m.group_id: group_from(m) for m in found if isinstance(m, GroupModel)}

    def list(self, business_id: str) -> list[Group]:
        return sorted((group_from(m) for m in GroupModel.query(business_id)), key=lambda g: g.name.lower())

    def list_page(self, business_id: str, page: PageRequest) -> Page[Group]:
        """One page in group-id order (the table's own), not by name: a page must be a key range."""
        return query_page(GroupModel, business_id, group_from, page)

    def create(self, group: Group) -> bool:
        """Insert unless the id exists (membership groups have a deterministic id); True if created."""
        try:
            group_model(group, revision=0).save(condition=GroupModel.group_id.does_not_exist())
            return True
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def save(self, group: Group) -> Group:
        """Write a read-modify-write result unless someone else wrote in between (409, retry)."""
        try:
            group_model(group, revision=group.revision + 1).save(
                condition=GroupModel.revision == group.revision
            )
        except PutError as exc:
            if is_condition_failure(exc):
                raise ConflictError("The group was changed at the same time; reload and retry.", code="concurrent_change")
            raise
        return replace(group, revision=group.revision + 1)

    def set_owner(self, business_id: str, group_id: str, membership_id: str | None) -> None:
        action = GroupModel.membership_id.set(membership_id) if membership_id else GroupModel.membership_id.remove()
        try:
            GroupModel(business_id, group_id).update(actions=[action], condition=GroupModel.group_id.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"Group '{group_id}' does not exist.")
            raise

    def delete(self, business_id: str, group_id: str) -> None:
        """Delete unless a membership owns it (checked in the condition, so a race cannot slip by)."""
        try:
            GroupModel(business_id, group_id).delete(condition=GroupModel.membership_id.does_not_exist())
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise ConflictError(
                    "This group belongs to a membership; delete the membership first.", code="group_owned_by_membership"
                )
            raise
