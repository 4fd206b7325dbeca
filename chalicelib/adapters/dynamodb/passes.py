"""Pass products, passes, and the purchase records that make issuance happen once per payment.

``passes`` is keyed ``<business_id>#<email>`` / ``pass_id`` (pass ids sort by purchase time), so a
customer's passes newest first and the oldest eligible pass are both ONE Query on one partition.
A use is one conditional update inside the booking transaction (``PassSettlementWriter``).
"""
from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.models import Model

from ...domain.bookings import Booking, PassUseRef
from ...domain.errors import PassChangedError
from ...domain.passes import Eligibility, ExpiryKind, ExpiryRule, HistoryEntry, Pass, PassProduct
from .base import (
    failed_conditions,
    from_model,
    is_condition_failure,
    load,
    query_page,
    register,
    table_meta,
    to_model,
    transaction,
)

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from ...domain.paging import Page, PageRequest


class EligibilityMap(MapAttribute[str, Any]):
    ticket_ids = ListAttribute(of=UnicodeAttribute, default=list)
    entry_ids = ListAttribute(of=UnicodeAttribute, default=list)
    page_ids = ListAttribute(of=UnicodeAttribute, default=list)


class ExpiryMap(MapAttribute[str, Any]):
    kind = UnicodeAttribute()
    fixed_date = UnicodeAttribute(null=True)  # ISO date
    days = NumberAttribute(null=True)


class HistoryMap(MapAttribute[str, Any]):
    who = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    field = UnicodeAttribute()
    old = UnicodeAttribute()  # JSON: values differ in type by field (number, rule, flag)
    new = UnicodeAttribute()


@register
class PassProductModel(Model):
    Meta = table_meta("pass-products")
    business_id = UnicodeAttribute(hash_key=True)
    product_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    price_minor = NumberAttribute()
    currency = UnicodeAttribute()
    uses = NumberAttribute()
    eligibility = EligibilityMap()
    expiry = ExpiryMap()
    published = BooleanAttribute(default=True)
    archived = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute(null=True)


@register
class PassModel(Model):
    Meta = table_meta("passes")
    owner_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    pass_id = UnicodeAttribute(range_key=True)
    business_id = UnicodeAttribute()
    email = UnicodeAttribute()
    product_id = UnicodeAttribute()
    title = UnicodeAttribute()
    uses_total = NumberAttribute()
    uses_taken = NumberAttribute(default=0)
    eligibility = EligibilityMap()
    expiry = ExpiryMap()
    purchased_at = UTCDateTimeAttribute()
    first_used_at = UTCDateTimeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    revision = NumberAttribute(default=0)
    history = ListAttribute(of=HistoryMap, default=list)
    purchase_ref = UnicodeAttribute(null=True)
    price_minor = NumberAttribute(default=0)
    currency = UnicodeAttribute(default="EUR")


@register
class PassPurchaseModel(Model):
    """One item per paid checkout: its conditional put is what makes issuance exactly-once."""

    Meta = table_meta("pass-purchases")
    purchase_ref = UnicodeAttribute(hash_key=True)
    business_id = UnicodeAttribute()
    email = UnicodeAttribute()
    pass_id = UnicodeAttribute()


def owner_key(business_id: str, email: str) -> str:
    return f"{business_id}#{email}"


def _eligibility_map(e: Eligibility) -> EligibilityMap:
    return to_model(EligibilityMap, e, ticket_ids=list(e.ticket_ids), entry_ids=list(e.entry_ids), page_ids=list(e.page_ids))


def _eligibility(m: EligibilityMap) -> Eligibility:
    return Eligibility(*(tuple(str(i) for i in ids or ()) for ids in (m.ticket_ids, m.entry_ids, m.page_ids)))


def _expiry_map(r: ExpiryRule) -> ExpiryMap:
    return to_model(ExpiryMap, r, kind=r.kind.value, fixed_date=r.fixed_date.isoformat() if r.fixed_date else None)


def _expiry(m: ExpiryMap) -> ExpiryRule:
    day = date.fromisoformat(m.fixed_date) if m.fixed_date else None
    return from_model(ExpiryRule, m, kind=ExpiryKind(m.kind), fixed_date=day, days=int(m.days) if m.days is not None else None)


def _history_map(h: HistoryEntry) -> HistoryMap:
    return to_model(HistoryMap, h, old=json.dumps(h.old), new=json.dumps(h.new))


def _history(m: HistoryMap) -> HistoryEntry:
    return from_model(HistoryEntry, m, old=json.loads(m.old), new=json.loads(m.new))


def product_from(m: PassProductModel) -> PassProduct:
    return from_model(PassProduct, m, eligibility=_eligibility(m.eligibility), expiry=_expiry(m.expiry),
                      price_minor=int(m.price_minor), uses=int(m.uses), description=m.description or "")


def product_model(p: PassProduct) -> PassProductModel:
    return to_model(PassProductModel, p, eligibility=_eligibility_map(p.eligibility), expiry=_expiry_map(p.expiry))


def pass_from(m: PassModel) -> Pass:
    return from_model(Pass, m, eligibility=_eligibility(m.eligibility), expiry=_expiry(m.expiry),
                      uses_total=int(m.uses_total), uses_taken=int(m.uses_taken or 0), revision=int(m.revision or 0),
                      price_minor=int(m.price_minor or 0), history=tuple(_history(h) for h in m.history or ()))


def pass_model(p: Pass) -> PassModel:
    return to_model(PassModel, p, owner_key=owner_key(p.business_id, p.email), eligibility=_eligibility_map(p.eligibility),
                    expiry=_expiry_map(p.expiry), history=[_history_map(h) for h in p.history])


class PassProductRepository:
    def get(self, business_id: str, product_id: str) -> PassProduct:
        return product_from(load(PassProductModel, business_id, product_id, missing=f"Pass product '{product_id}' does not exist."))

    def list(self, business_id: str) -> list[PassProduct]:
        return [product_from(m) for m in PassProductModel.query(business_id)]

    def list_page(self, business_id: str, page: PageRequest, on_sale_only: bool) -> Page[PassProduct]:
        """Archived products (and, for the public, unpublished ones) are dropped by a filter expression."""
        live = PassProductModel.archived.does_not_exist() | (PassProductModel.archived == False)  # noqa: E712
        wanted = live & (PassProductModel.published == True) if on_sale_only else live  # noqa: E712
        return query_page(PassProductModel, business_id, product_from, page, filter_condition=wanted)

    def save(self, p: PassProduct) -> None:
        product_model(p).save()


class PassRepository:
    def for_customer(self, business_id: str, email: str) -> list[Pass]:
        """Newest first. One Query: the partition holds exactly this customer's passes here."""
        return [pass_from(m) for m in PassModel.query(owner_key(business_id, email), scan_index_forward=False)]

    def customer_page(self, business_id: str, email: str, page: PageRequest) -> Page[Pass]:
        return query_page(PassModel, owner_key(business_id, email), pass_from, page, scan_index_forward=False)

    def get(self, business_id: str, email: str, pass_id: str) -> Pass:
        return pass_from(load(PassModel, owner_key(business_id, email), pass_id, missing=f"Pass '{pass_id}' does not exist."))

    def issue(self, p: Pass) -> bool:
        """Write a new pass; with a ``purchase_ref``, at most once per ref. False if already issued."""
        txn = transaction(PassModel)
        try:
            with txn:
                if p.purchase_ref:
                    txn.save(
                        PassPurchaseModel(p.purchase_ref, business_id=p.business_id, email=p.email, pass_id=p.pass_id),
                        condition=PassPurchaseModel.purchase_ref.does_not_exist(),
                    )
                txn.save(pass_model(p), condition=PassModel.pass_id.does_not_exist())
        except TransactWriteError as exc:
            if PassPurchaseModel.Meta.table_name in failed_conditions(txn, exc):
                return False
            raise
        return True

    def save_override(self, before: Pass, after: Pass) -> None:
        """Write one override if nobody changed the pass since ``before`` was read.

        Bookings do not bump the revision, so a lowered total is also checked against the uses
        taken at write time. Raises ``PassChangedError`` so the service re-reads and re-decides.
        """
        condition = PassModel.revision == before.revision
        if after.uses_total < before.uses_total:
            condition &= PassModel.uses_taken <= after.uses_total
        try:
            PassModel(owner_key(before.business_id, before.email), before.pass_id).update(
                actions=[
                    PassModel.uses_total.set(after.uses_total),
                    PassModel.expiry.set(_expiry_map(after.expiry)),
                    PassModel.revoked.set(after.revoked),
                    PassModel.revision.set(after.revision),
                    PassModel.history.set(PassModel.history.append([_history_map(h) for h in after.history[len(before.history):]])),
                ],
                condition=condition,
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise PassChangedError("The pass changed while it was being edited; try again.")
            raise


class PassSettlementWriter:
    """Spends (or gives back) a pass use inside the booking transaction.

    The condition says "the pass is as the booking saw it (same revision: no revoke, expiry or
    total change since) and still has room for these seats"; DynamoDB conditions cannot do
    arithmetic between attributes, so the total read with that revision gives the bound.
    """

    def take(self, txn: TransactWrite, booking: Booking) -> None:
        ref = booking.settlement.ref
        assert isinstance(ref, PassUseRef)
        total, revision = ref.uses_total, ref.revision
        txn.update(
            PassModel(owner_key(booking.business_id, booking.booker_email), ref.pass_id),
            actions=[
                PassModel.uses_taken.add(booking.seats),
                # The first use fixes the start of a "days from first use" timeframe, once.
                PassModel.first_used_at.set(PassModel.first_used_at | booking.created_at),
            ],
            condition=(PassModel.revision == revision) & (PassModel.uses_taken <= total - booking.seats),
        )

    def give_back(self, txn: TransactWrite, booking: Booking) -> bool:
        ref = booking.settlement.ref
        assert isinstance(ref, PassUseRef)
        txn.update(
            PassModel(owner_key(booking.business_id, booking.booker_email), ref.pass_id),
            actions=[PassModel.uses_taken.add(-booking.seats)],
            condition=PassModel.uses_taken >= booking.seats,
        )
        return True

    def refusal(self, booking: Booking, failed_tables: set[str]) -> Exception:
        # Another booking or an override got there first: the booking service re-reads and picks
        # again (maybe the next-oldest pass), and refuses with the precise reason if none is left.
        return PassChangedError("Your pass changed while booking; try again.")
