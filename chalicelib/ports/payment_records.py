"""The payments record (B6): one row per Stripe object, written once, read newest first."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.paging import Page, PageRequest
    from ..domain.payments import PaymentRecord


class PaymentRecordStore(Protocol):
    def add(self, record: PaymentRecord) -> bool:
        """One conditional put keyed by (business, Stripe id); False when that object is already recorded."""
        ...

    def add_refund(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        """The refund row (conditional put) and, in the same transaction, ``refunded`` (the payment as
        read) with the refund added (conditional on the amount it was read with). False when the refund
        is already recorded; ``TransactionContendedError`` when the payment changed meanwhile."""
        ...

    def refund_failed(self, refund: PaymentRecord, refunded: PaymentRecord | None) -> bool:
        """A refund recorded as made turns ``failed`` (conditional on its state as read) and, in the same
        transaction, ``refunded`` gives the amount back (conditional as in ``add_refund``). False when it was
        already failed; ``TransactionContendedError`` when either changed meanwhile."""
        ...

    def find(self, business_id: str, payment_id: str) -> PaymentRecord | None: ...

    def for_customer(self, business_id: str, email: str, page: PageRequest) -> Page[PaymentRecord]:
        """Newest first."""
        ...

    def for_subscription(self, business_id: str, subscription_id: str, page: PageRequest) -> Page[PaymentRecord]:
        """A membership subscription's invoices and refunds, newest first."""
        ...
