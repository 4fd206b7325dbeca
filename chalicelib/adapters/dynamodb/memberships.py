"""Memberships, member records (one per subscription), basket checkouts and the processed-events ledger.

Member records are written with a condition on ``synced_ms`` (when the stored provider snapshot was
read): a snapshot read earlier than the stored one is never applied, so concurrent or reordered
events cannot move a member back in time.
"""
from __future__ import annotations

import time
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
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ...domain.courses import CourseTerms
from ...domain.errors import NotFoundError
from ...domain.memberships import (
    HistoryItem,
    MemberRecord,
    Membership,
    PendingEmail,
    PriceOption,
    StaleSnapshotError,
)
from .base import batch_get, find, is_condition_failure, load, query_page, register, table_meta
from .pauses import pauses_from, pauses_json

if TYPE_CHECKING:
    from ...domain.paging import Page, PageRequest

RECENT_SECONDS = 30  # memberships read for events and emails (titles, prices) may be this old


class OptionMap(MapAttribute[str, Any]):
    option_id = UnicodeAttribute()
    title = UnicodeAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    interval = UnicodeAttribute(null=True)
    interval_count = NumberAttribute(default=1)
    provider_price_id = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)


class MembershipsByProduct(GlobalSecondaryIndex["MembershipModel"]):
    class Meta:
        index_name = "by_product"
        projection = KeysOnlyProjection()

    provider_product_id = UnicodeAttribute(hash_key=True)


@register
class MembershipModel(Model):
    Meta = table_meta("memberships")
    business_id = UnicodeAttribute(hash_key=True)
    membership_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    published = BooleanAttribute(default=False)
    page_ids = ListAttribute(of=UnicodeAttribute, default=list)
    group_id = UnicodeAttribute()
    provider_product_id = UnicodeAttribute(null=True)
    options = ListAttribute(of=OptionMap, default=list)
    course = JSONAttribute(null=True)  # S1: the course terms of a course product (see ``course_terms``)
    by_product = MembershipsByProduct()


class MembersByMembership(GlobalSecondaryIndex["MemberModel"]):
    class Meta:
        index_name = "by_membership"
        projection = AllProjection()

    membership_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<membership_id>"
    subscription_id = UnicodeAttribute(range_key=True)


class MembersByBooker(GlobalSecondaryIndex["MemberModel"]):
    class Meta:
        index_name = "by_booker"
        projection = AllProjection()

    booker_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    subscription_id = UnicodeAttribute(range_key=True)


class MembersByPrice(GlobalSecondaryIndex["MemberModel"]):
    """The price-change fan-out pages through this, one page per queue message."""

    class Meta:
        index_name = "by_price"
        projection = KeysOnlyProjection()

    price_id = UnicodeAttribute(hash_key=True)
    subscription_id = UnicodeAttribute(range_key=True)


class MembersByPeriodEnd(GlobalSecondaryIndex["MemberModel"]):
    """Sparse: only members cancelled at period end who still have access (the safety-net schedule)."""

    class Meta:
        index_name = "by_period_end"
        projection = KeysOnlyProjection()

    ending_day = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD" of current_period_end (UTC)
    current_period_end = UTCDateTimeAttribute(range_key=True)


class MembersByPauseDay(GlobalSecondaryIndex["MemberModel"]):
    """Sparse (X1): members whose pause starts, is about to end or ends on a day (the pause schedule)."""

    class Meta:
        index_name = "by_pause_day"
        projection = KeysOnlyProjection()

    pause_day = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD", the business's wall-clock day
    subscription_id = UnicodeAttribute(range_key=True)


@register
class MemberModel(Model):
    Meta = table_meta("members")
    business_id = UnicodeAttribute(hash_key=True)
    subscription_id = UnicodeAttribute(range_key=True)
    membership_id = UnicodeAttribute()
    membership_key = UnicodeAttribute()
    email = UnicodeAttribute()
    booker_key = UnicodeAttribute()
    status = UnicodeAttribute()
    price_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    cancel_at_period_end = BooleanAttribute(default=False)
    current_period_end = UTCDateTimeAttribute(null=True)
    ending_day = UnicodeAttribute(null=True)
    canceled_at = NumberAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    anchor = UTCDateTimeAttribute(null=True)
    in_group = BooleanAttribute(default=False)
    group_synced = BooleanAttribute(default=True)
    synced_ms = NumberAttribute(default=0)
    outbox = JSONAttribute(default=list)
    history = JSONAttribute(default=list)
    pauses = JSONAttribute(null=True)  # X1: [{pause_id, starts_on, resumes_on, by_member}]
    pause_rev = NumberAttribute(null=True)
    pause_day = UnicodeAttribute(null=True)
    by_pause_day = MembersByPauseDay()
    by_membership = MembersByMembership()
    by_booker = MembersByBooker()
    by_price = MembersByPrice()
    by_period_end = MembersByPeriodEnd()


def membership_from(m: MembershipModel) -> Membership:
    return Membership(
        business_id=m.business_id,
        membership_id=m.membership_id,
        title=m.title,
        description=m.description or "",
        published=m.published,
        page_ids=tuple(str(p) for p in m.page_ids or ()),
        group_id=m.group_id,
        provider_product_id=m.provider_product_id,
        options=tuple(
            PriceOption(
                option_id=o.option_id,
                title=o.title,
                amount_minor=int(o.amount_minor),
                currency=o.currency,
                interval=o.interval,  # type: ignore[arg-type]
                interval_count=int(o.interval_count or 1),
                provider_price_id=o.provider_price_id,
                active=o.active,
            )
            for o in (m.options or [])
        ),
        course=course_terms(m.course),
    )


def course_terms(raw: dict[str, Any] | None) -> CourseTerms | None:
    if not raw:
        return None
    return CourseTerms(raw["series_id"], raw["ticket_id"], datetime.fromisoformat(raw["starts_at"]),
                       datetime.fromisoformat(raw["ends_at"]), bool(raw.get("auto_enrol", True)))


def course_fields(c: CourseTerms | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"series_id": c.series_id, "ticket_id": c.ticket_id, "starts_at": c.starts_at.isoformat(),
            "ends_at": c.ends_at.isoformat(), "auto_enrol": c.auto_enrol}


class MembershipRepository:
    def __init__(self) -> None:
        self._recent: dict[tuple[str, str], tuple[float, Membership]] = {}

    def get(self, business_id: str, membership_id: str) -> Membership:
        found = membership_from(load(MembershipModel, business_id, membership_id,
                                     missing=f"Membership '{membership_id}' does not exist."))
        self._recent[(business_id, membership_id)] = (time.monotonic() + RECENT_SECONDS, found)
        return found

    def get_recent(self, business_id: str, membership_id: str) -> Membership:
        hit = self._recent.get((business_id, membership_id))
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return self.get(business_id, membership_id)

    def list(self, business_id: str) -> list[Membership]:
        return [membership_from(m) for m in MembershipModel.query(business_id)]

    def list_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[Membership]:
        wanted = MembershipModel.published == True if published_only else None  # noqa: E712
        if published_only:  # S1: a course is sold only through booking, never in the public list
            wanted = wanted & MembershipModel.course.does_not_exist()
        return query_page(MembershipModel, business_id, membership_from, page, filter_condition=wanted)

    def by_product(self, product_id: str) -> Membership | None:
        for key in MembershipModel.by_product.query(product_id, limit=1):
            return self.get(key.business_id, key.membership_id)
        return None

    def save(self, m: Membership) -> None:
        self._recent[(m.business_id, m.membership_id)] = (time.monotonic() + RECENT_SECONDS, m)
        MembershipModel(
            m.business_id,
            m.membership_id,
            title=m.title,
            description=m.description,
            published=m.published,
            page_ids=list(m.page_ids),
            group_id=m.group_id,
            provider_product_id=m.provider_product_id,
            options=[
                OptionMap(
                    option_id=o.option_id,
                    title=o.title,
                    amount_minor=o.amount_minor,
                    currency=o.currency,
                    interval=o.interval,
                    interval_count=o.interval_count,
                    provider_price_id=o.provider_price_id,
                    active=o.active,
                )
                for o in m.options
            ],
            course=course_fields(m.course),
        ).save()


def record_from(m: MemberModel) -> MemberRecord:
    return MemberRecord(
        business_id=m.business_id,
        subscription_id=m.subscription_id,
        membership_id=m.membership_id,
        email=m.email,
        status=m.status,
        price_id=m.price_id,
        customer_id=m.customer_id,
        cancel_at_period_end=m.cancel_at_period_end,
        current_period_end=m.current_period_end,
        canceled_at=int(m.canceled_at) if m.canceled_at is not None else None,
        started_at=m.started_at,
        anchor=m.anchor,
        in_group=m.in_group,
        group_synced=m.group_synced,
        synced_ms=int(m.synced_ms or 0),
        outbox=tuple(PendingEmail(e["template"], e["key"], e.get("context") or {}) for e in (m.outbox or [])),
        history=tuple(HistoryItem(datetime.fromisoformat(h["at"]), h["what"]) for h in (m.history or [])),
        pauses=pauses_from(m.pauses),
        pause_rev=int(m.pause_rev or 0),
        pause_day=date.fromisoformat(m.pause_day) if m.pause_day else None,
    )


def _model(r: MemberRecord) -> MemberModel:
    ending = r.current_period_end if (r.cancel_at_period_end and r.in_group and r.current_period_end) else None
    return MemberModel(
        r.business_id,
        r.subscription_id,
        membership_id=r.membership_id,
        membership_key=f"{r.business_id}#{r.membership_id}",
        email=r.email,
        booker_key=f"{r.business_id}#{r.email}",
        status=r.status,
        price_id=r.price_id,
        customer_id=r.customer_id,
        cancel_at_period_end=r.cancel_at_period_end,
        current_period_end=r.current_period_end,
        ending_day=ending.date().isoformat() if ending else None,
        canceled_at=r.canceled_at,
        started_at=r.started_at,
        anchor=r.anchor,
        in_group=r.in_group,
        group_synced=r.group_synced,
        synced_ms=r.synced_ms,
        outbox=[{"template": e.template, "key": e.key, "context": e.context} for e in r.outbox],
        history=[{"at": h.at.isoformat(), "what": h.what} for h in r.history[-50:]],
        pauses=pauses_json(r.pauses) if r.pauses else None,
        pause_rev=r.pause_rev or None,
        pause_day=r.pause_day.isoformat() if r.pause_day else None,
    )


def same_pauses(r: MemberRecord) -> Any:
    """X1: the stored pauses are still those ``r`` was read with."""
    return MemberModel.pause_rev == r.pause_rev if r.pause_rev else MemberModel.pause_rev.does_not_exist()


class MemberRepository:
    def find(self, business_id: str, subscription_id: str) -> MemberRecord | None:
        item = find(MemberModel, business_id, subscription_id, consistent_read=True)
        return record_from(item) if item else None

    def get(self, business_id: str, subscription_id: str) -> MemberRecord:
        found = self.find(business_id, subscription_id)
        if found is None:
            raise NotFoundError(f"Member subscription '{subscription_id}' does not exist.")
        return found

    def replace(self, old: MemberRecord | None, new: MemberRecord) -> None:
        """Write ``new`` only if the stored record is still ``old`` (None: not there yet)."""
        condition = (
            MemberModel.subscription_id.does_not_exist() if old is None
            else (MemberModel.synced_ms == old.synced_ms) & same_pauses(old)
        )
        try:
            _model(new).save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                raise StaleSnapshotError(new.subscription_id)
            raise

    def mark_drained(self, record: MemberRecord, sent: int) -> MemberRecord:
        """The group is in line and the first ``sent`` outbox emails went out (if nothing newer was written)."""
        drained = replace(record, group_synced=True, outbox=record.outbox[sent:])
        try:
            MemberModel(record.business_id, record.subscription_id).update(
                actions=[MemberModel.group_synced.set(True), MemberModel.outbox.set(_model(drained).outbox)],
                condition=(MemberModel.synced_ms == record.synced_ms) & same_pauses(record),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise StaleSnapshotError(record.subscription_id)
            raise
        return drained

    def for_membership(self, business_id: str, membership_id: str) -> list[MemberRecord]:
        return [record_from(m) for m in MemberModel.by_membership.query(f"{business_id}#{membership_id}")]

    def for_booker(self, business_id: str, email: str) -> list[MemberRecord]:
        return [record_from(m) for m in MemberModel.by_booker.query(f"{business_id}#{email}")]

    def membership_page(self, business_id: str, membership_id: str, page: PageRequest) -> Page[MemberRecord]:
        return query_page(MemberModel.by_membership, f"{business_id}#{membership_id}", record_from, page)

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[MemberRecord]:
        return query_page(MemberModel.by_booker, f"{business_id}#{email}", record_from, page)

    def page_by_price(self, price_id: str, cursor: dict[str, Any] | None, limit: int) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
        """One page of (business_id, subscription_id) on a price, and the cursor of the next page."""
        result = MemberModel.by_price.query(price_id, limit=limit, last_evaluated_key=cursor)
        keys = [(m.business_id, m.subscription_id) for m in result]
        return keys, result.last_evaluated_key

    def find_many(self, keys: list[tuple[str, str]]) -> list[MemberRecord]:
        items = batch_get((MemberModel, b, s) for b, s in keys)
        return [record_from(i) for i in items if isinstance(i, MemberModel)]

    def ending_on(self, day: str, before: datetime) -> list[tuple[str, str]]:
        return [
            (m.business_id, m.subscription_id)
            for m in MemberModel.by_period_end.query(day, MemberModel.current_period_end <= before)
        ]

    def pausing_on(self, day: str) -> list[tuple[str, str]]:
        """X1: (business_id, subscription_id) of members the pause schedule acts on that day (index query)."""
        return [(m.business_id, m.subscription_id) for m in MemberModel.by_pause_day.query(day)]
