"""The payments record (B6) on DynamoDB: keyed by (business, Stripe id), read newest first by customer
(index ``by_customer``) and by subscription (sparse index ``by_subscription``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import TransactionContendedError
from ...domain.payments import PaymentKind, PaymentRecord, PaymentState

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ...domain.paging import Page, PageRequest

from .base import (
    MAX_TRANSACTION_ITEMS,
    find,
    from_model,
    is_condition_failure,
    query_page,
    register,
    rewrite_in_one_transaction,
    table_meta,
    to_model,
    transaction,
)


class PaymentsByCustomer(GlobalSecondaryIndex["PaymentModel"]):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<email>"
    at_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<payment_id>": newest first, ties apart


class PaymentsBySubscription(GlobalSecondaryIndex["PaymentModel"]):
    """Sparse: only a membership subscription's invoices and their refunds."""

    class Meta:
        index_name = "by_subscription"
        projection = AllProjection()

    subscription_key = UnicodeAttribute(hash_key=True)  # "<business_id>#<subscription_id>"
    at_key = UnicodeAttribute(range_key=True)


@register
class PaymentModel(Model):
    Meta = table_meta("payments")
    business_id = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)
    customer_key = UnicodeAttribute()
    subscription_key = UnicodeAttribute(null=True)
    at_key = UnicodeAttribute()
    email = UnicodeAttribute()
    kind = UnicodeAttribute()
    purpose = UnicodeAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    state = UnicodeAttribute()
    refunded_minor = NumberAttribute(default=0)
    checkout_session_id = UnicodeAttribute(null=True)
    payment_intent_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    subscription_id = UnicodeAttribute(null=True)
    refund_of = UnicodeAttribute(null=True)
    booking_ids = ListAttribute(of=UnicodeAttribute, null=True)
    pass_product_id = UnicodeAttribute(null=True)
    membership_id = UnicodeAttribute(null=True)
    by_customer = PaymentsByCustomer()
    by_subscription = PaymentsBySubscription()


def _model(r: PaymentRecord) -> PaymentModel:
    return to_model(PaymentModel, r, kind=r.kind.value, state=r.state.value, booking_ids=list(r.booking_ids) or None,
                    customer_key=f"{r.business_id}#{r.email}", at_key=f"{r.at.isoformat()}#{r.payment_id}",
                    subscription_key=f"{r.business_id}#{r.subscription_id}" if r.subscription_id else None)


def _record(m: PaymentModel) -> PaymentRecord:
    return from_model(PaymentRecord, m, kind=PaymentKind(m.kind), state=PaymentState(m.state),
                      amount_minor=int(m.amount_minor), refunded_minor=int(m.refunded_minor or 0),
                      booking_ids=tuple(str(b) for b in m.booking_ids or ()))


def move_payments(business_id: str, from_email: str, to_email: str, limit: int) -> int:
    """Up to ``limit`` payment rows change customer in one transaction (C6: an additional user's payments go
    to their primary; an erased customer's stay under the pseudonym), each only if still ``from_email``'s, so
    a repeat after a crash finds only what is left. Amounts, states and Stripe ids are kept as they are."""
    found = PaymentModel.by_customer.query(f"{business_id}#{from_email}", limit=min(limit, MAX_TRANSACTION_ITEMS))
    return rewrite_in_one_transaction(PaymentModel, found, lambda txn, item: txn.update(
        PaymentModel(business_id, item.payment_id),
        actions=[PaymentModel.email.set(to_email), PaymentModel.customer_key.set(f"{business_id}#{to_email}")],
        condition=PaymentModel.email == from_email))


class PaymentRecordRepository:
    def add(self, record: PaymentRecord) -> bool:
        try:
            _model(record).save(condition=PaymentModel.payment_id.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def add_refund(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        if refunded is None or refund.state is PaymentState.FAILED:  # a failed refund gave nothing back
            return self.add(refund)
        after = refunded.after_refund(refund.amount_minor)
        txn = transaction(PaymentModel)
        try:
            with txn:
                txn.save(_model(refund), condition=PaymentModel.payment_id.does_not_exist())
                txn.update(PaymentModel(refunded.business_id, refunded.payment_id),
                           actions=[PaymentModel.refunded_minor.set(after.refunded_minor),
                                    PaymentModel.state.set(after.state.value)],
                           condition=PaymentModel.refunded_minor == refunded.refunded_minor)
        except TransactWriteError as exc:
            if find(PaymentModel, refund.business_id, refund.payment_id) is not None:
                return False
            raise TransactionContendedError("The refunded payment changed meanwhile; read it again.") from exc
        return True

    def refund_failed(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        if refund.state is PaymentState.FAILED:
            return False
        txn = transaction(PaymentModel)
        try:
            with txn:
                txn.update(PaymentModel(refund.business_id, refund.payment_id),
                           actions=[PaymentModel.state.set(PaymentState.FAILED.value)],
                           condition=PaymentModel.state == refund.state.value)
                if refunded is not None:
                    after = refunded.after_refund(-refund.amount_minor)
                    txn.update(PaymentModel(refunded.business_id, refunded.payment_id),
                               actions=[PaymentModel.refunded_minor.set(after.refunded_minor),
                                        PaymentModel.state.set(after.state.value)],
                               condition=PaymentModel.refunded_minor == refunded.refunded_minor)
        except TransactWriteError as exc:
            now = find(PaymentModel, refund.business_id, refund.payment_id)
            if now is not None and now.state == PaymentState.FAILED.value:
                return False
            raise TransactionContendedError("The refund or its payment changed meanwhile; read them again.") from exc
        return True

    def find(self, business_id: str, payment_id: str) -> PaymentRecord | None:
        m = find(PaymentModel, business_id, payment_id)
        return _record(m) if m else None

    def for_customer(self, business_id: str, email: str, page: PageRequest) -> Page[PaymentRecord]:
        return query_page(PaymentModel.by_customer, f"{business_id}#{email}", _record, page, scan_index_forward=False)

    def all_for_customer(self, business_id: str, email: str) -> Iterator[PaymentRecord]:
        """Every row of a customer, newest first; PynamoDB pages through the index as it is read."""
        for item in PaymentModel.by_customer.query(f"{business_id}#{email}", scan_index_forward=False):
            yield _record(item)

    def for_subscription(self, business_id: str, subscription_id: str, page: PageRequest) -> Page[PaymentRecord]:
        return query_page(PaymentModel.by_subscription, f"{business_id}#{subscription_id}", _record, page,
                          scan_index_forward=False)
