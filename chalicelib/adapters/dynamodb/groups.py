"""Customer groups (offers embedded with all their versions) and group members (usage counters embedded).

- ``groups``: one item per group; its offers and every version of their terms live inside it, so a
  booking reads the whole rule set in one key lookup and old versions are never lost (O5).
- ``group-members``: one item per (group, normalised email). The member's usage counters live in
  ``usage`` (offer_id -> {period, used, ends_at, unit, tz}), so a booking reads group + member in one
  BatchGet and spends a use with ONE conditional update inside the booking transaction.
  ``next_reset_at`` (earliest end of a stored period) and ``due_day`` (its UTC day) feed a sparse
  GSI the scheduler queries, so its cost follows the members due now, not all members.
- ``schedule-state``: the scheduler's watermark (how far it has caught up).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
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
from pynamodb.transactions import TransactWrite

from ...domain.bookings import Booking, OfferUseRef
from ...domain.errors import ConflictError, NotFoundError, TransactionContendedError
from ...domain.groups import Group, GroupMember, Offer, OfferTerms, Scope, UsageCounter, UsageMode, UsageRule
from ...domain.periods import PeriodUnit
from .base import batch_get, find, is_condition_failure, load, register, table_meta


class TermsMap(MapAttribute):
    version = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    title = UnicodeAttribute()
    max_additional_attendees = NumberAttribute(default=0)
    usage_mode = UnicodeAttribute()
    uses = NumberAttribute(null=True)
    period_unit = UnicodeAttribute(null=True)
    scope_page_id = UnicodeAttribute(null=True)
    scope_ticket_ids = ListAttribute(of=UnicodeAttribute, default=list)


class OfferMap(MapAttribute):
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


class MembersByEmail(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    member_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    group_id = UnicodeAttribute(range_key=True)


class MembersByDueDay(GlobalSecondaryIndex):
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
    usage = MapAttribute(default=dict)
    next_reset_at = UTCDateTimeAttribute(null=True)
    due_day = UnicodeAttribute(null=True)
    by_email = MembersByEmail()
    by_due_day = MembersByDueDay()


# --- mapping ----------------------------------------------------------------------------------


def terms_from(t: TermsMap) -> OfferTerms:
    mode = UsageMode(t.usage_mode)
    return OfferTerms(
        version=int(t.version),
        created_at=t.created_at,
        title=t.title,
        max_additional_attendees=int(t.max_additional_attendees or 0),
        usage=UsageRule(mode, int(t.uses) if t.uses is not None else None, PeriodUnit(t.period_unit) if t.period_unit else None),
        scope=Scope(page_id=t.scope_page_id, ticket_ids=tuple(t.scope_ticket_ids or ())),
    )


def terms_map(t: OfferTerms) -> TermsMap:
    return TermsMap(
        version=t.version,
        created_at=t.created_at,
        title=t.title,
        max_additional_attendees=t.max_additional_attendees,
        usage_mode=t.usage.mode.value,
        uses=t.usage.uses,
        period_unit=t.usage.unit.value if t.usage.unit else None,
        scope_page_id=t.scope.page_id,
        scope_ticket_ids=list(t.scope.ticket_ids),
    )


def group_from(m: GroupModel) -> Group:
    return Group(
        business_id=m.business_id,
        group_id=m.group_id,
        name=m.name,
        description=m.description or "",
        created_at=m.created_at,
        membership_id=m.membership_id,
        revision=int(m.revision or 0),
        offers=tuple(
            Offer(o.offer_id, bool(o.enabled), o.created_at, tuple(terms_from(v) for v in o.versions))
            for o in (m.offers or [])
        ),
    )


def group_model(g: Group, revision: int) -> GroupModel:
    return GroupModel(
        g.business_id,
        g.group_id,
        name=g.name,
        description=g.description,
        membership_id=g.membership_id,
        created_at=g.created_at,
        revision=revision,
        offers=[
            OfferMap(offer_id=o.offer_id, enabled=o.enabled, created_at=o.created_at, versions=[terms_map(v) for v in o.versions])
            for o in g.offers
        ],
    )


def raw_usage(m: GroupMemberModel) -> dict[str, dict[str, Any]]:
    usage = m.usage
    data = usage.as_dict() if isinstance(usage, MapAttribute) else dict(usage or {})
    return {k: dict(v) for k, v in data.items()}


def member_from(m: GroupMemberModel) -> tuple[GroupMember, dict[str, UsageCounter]]:
    member = GroupMember(
        group_id=m.group_id,
        email=m.email,
        business_id=m.business_id,
        joined_at=m.joined_at,
        anchor=date.fromisoformat(m.anchor),
        manual=bool(m.manual),
        subscription_ids=frozenset(m.subscription_ids or ()),
    )
    counters = {
        k: UsageCounter(k, str(v["period"]), int(v["used"]), datetime.fromisoformat(v["ends_at"]) if v.get("ends_at") else None)
        for k, v in raw_usage(m).items()
    }
    return member, counters


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
        from dataclasses import replace

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

    def list(self, group_id: str) -> list[GroupMember]:
        return [member_from(m)[0] for m in GroupMemberModel.query(group_id)]

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

    def delete_all(self, group_id: str) -> None:
        with GroupMemberModel.batch_write() as batch:
            for m in GroupMemberModel.query(group_id, attributes_to_get=["group_id", "email"]):
                batch.delete(m)

    def due(self, day: str, until: datetime) -> Iterator[GroupMemberModel]:
        return GroupMemberModel.by_due_day.query(day, GroupMemberModel.next_reset_at <= until)

    def roll(self, m: GroupMemberModel, usage: dict[str, dict[str, Any]], old_periods: dict[str, str],
             next_reset_at: datetime | None) -> bool:
        """Write rolled counters if none of them moved since read; False if a booking got there first."""
        M = GroupMemberModel
        actions: list[Any] = [M.usage[offer_id].set(counter) for offer_id, counter in usage.items()]
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

    def reload(self, m: GroupMemberModel) -> GroupMemberModel | None:
        return find(GroupMemberModel, m.group_id, m.email, consistent_read=True)

    @staticmethod
    def _joining(business_id: str, email: str, joined_at: datetime) -> list[Any]:
        M = GroupMemberModel
        return [
            M.business_id.set(business_id),
            M.member_key.set(f"{business_id}#{email}"),
            M.joined_at.set(M.joined_at | joined_at),
            M.usage.set(M.usage | {}),
        ]


class OfferUseWriter:
    """Spends (and gives back) an offer use inside the booking transaction.

    ``take`` adds ONE conditional update of the member item: the counter either continues the
    current period (``used + seats`` only if it stays within the limit) or starts it (only if the
    stored counter is for another period or absent). Either way the member must still exist.
    """

    def take(self, txn: TransactWrite, booking: Booking) -> None:
        ref = booking.settlement.ref
        assert isinstance(ref, OfferUseRef)
        M = GroupMemberModel
        key = M(ref.group_id, booking.booker_email)
        if ref.period is None or ref.uses_limit is None:  # unlimited: nothing counted, but the member must be in
            txn.condition_check(M, ref.group_id, booking.booker_email, condition=M.email.exists())
            return
        offer_id, period, limit, seats = ref.offer_id, ref.period, ref.uses_limit, booking.seats
        counter = M.usage[offer_id]
        if not ref.starts_period:
            txn.update(
                key,
                actions=[counter["used"].add(seats)],
                condition=M.email.exists() & (counter["period"] == period) & (counter["used"] <= limit - seats),
            )
            return
        value: dict[str, Any] = {"period": period, "used": seats, "tz": ref.tz}
        actions: list[Any] = []
        if ref.period_ends_at and ref.next_reset_at:
            value.update(ends_at=ref.period_ends_at, unit=ref.unit)
            nxt = datetime.fromisoformat(ref.next_reset_at)
            actions += [M.next_reset_at.set(nxt), M.due_day.set(due_day(nxt))]
        actions.append(counter.set(value))
        txn.update(
            key,
            actions=actions,
            condition=M.email.exists() & (counter["period"].does_not_exist() | (counter["period"] != period)),
        )

    def give_back(self, txn: TransactWrite, booking: Booking) -> bool:
        """Return the use only while its period's counter is still stored; a past period's use is moot."""
        ref = booking.settlement.ref
        if not isinstance(ref, OfferUseRef) or ref.period is None:
            return False
        M = GroupMemberModel
        try:
            m = M.get(ref.group_id, booking.booker_email, consistent_read=True)
        except M.DoesNotExist:
            return False
        stored = raw_usage(m).get(ref.offer_id)
        if not stored or stored.get("period") != ref.period or int(stored.get("used", 0)) < booking.seats:
            return False
        counter = M.usage[ref.offer_id]
        txn.update(
            M(ref.group_id, booking.booker_email),
            actions=[counter["used"].add(-booking.seats)],
            condition=(counter["period"] == ref.period) & (counter["used"] >= booking.seats),
        )
        return True

    def refusal(self, booking: Booking, failed_tables: set[str]) -> Exception:
        """The counter moved under us (another booking, the scheduler, a removal): re-read and decide again."""
        return TransactionContendedError("Another booking used this allowance at the same time; try again.")
