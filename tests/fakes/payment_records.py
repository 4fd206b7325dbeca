"""The payments record (B6) in memory, with the store's rules: one row per Stripe id, refund and the
refunded payment's new amount together or not at all."""
from __future__ import annotations

import dataclasses

from chalicelib.domain.errors import TransactionContendedError
from chalicelib.domain.paging import Page, PageRequest
from chalicelib.domain.payments import PaymentRecord, PaymentState
from tests.fakes.core import page_of


class InMemoryPaymentRecords:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], PaymentRecord] = {}

    def add(self, record: PaymentRecord) -> bool:
        key = (record.business_id, record.payment_id)
        if key in self.rows:
            return False
        self.rows[key] = record
        return True

    def add_refund(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        if (refund.business_id, refund.payment_id) in self.rows:
            return False
        if refunded is not None and refund.state is not PaymentState.FAILED:
            key = (refunded.business_id, refunded.payment_id)
            current = self.rows.get(key)
            if current is None or current.refunded_minor != refunded.refunded_minor:
                raise TransactionContendedError("The refunded payment changed meanwhile.")
            self.rows[key] = refunded.after_refund(refund.amount_minor)
        self.rows[(refund.business_id, refund.payment_id)] = refund
        return True

    def refund_failed(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        key = (refund.business_id, refund.payment_id)
        current = self.rows.get(key)
        if current is not None and current.state is PaymentState.FAILED:
            return False
        if current is None or current.state is not refund.state:
            raise TransactionContendedError("The refund changed meanwhile.")
        if refunded is not None:
            paid_key = (refunded.business_id, refunded.payment_id)
            paid = self.rows.get(paid_key)
            if paid is None or paid.refunded_minor != refunded.refunded_minor:
                raise TransactionContendedError("The refunded payment changed meanwhile.")
            self.rows[paid_key] = refunded.after_refund(-refund.amount_minor)
        self.rows[key] = dataclasses.replace(current, state=PaymentState.FAILED)
        return True

    def find(self, business_id: str, payment_id: str) -> PaymentRecord | None:
        return self.rows.get((business_id, payment_id))

    def _newest_first(self, rows: list[PaymentRecord], page: PageRequest) -> Page[PaymentRecord]:
        return page_of(sorted(rows, key=lambda r: (r.at.isoformat(), r.payment_id), reverse=True), page)

    def for_customer(self, business_id: str, email: str, page: PageRequest) -> Page[PaymentRecord]:
        return self._newest_first([r for r in self.rows.values() if (r.business_id, r.email) == (business_id, email)], page)

    def for_subscription(self, business_id: str, subscription_id: str, page: PageRequest) -> Page[PaymentRecord]:
        return self._newest_first([r for r in self.rows.values()
                                   if (r.business_id, r.subscription_id) == (business_id, subscription_id)], page)
