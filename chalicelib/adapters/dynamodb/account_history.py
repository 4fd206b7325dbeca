"""Moving an additional user's bookings and passes to their primary customer (C6), one bounded
transaction at a time."""
from __future__ import annotations

from dataclasses import replace

from .base import MAX_TRANSACTION_ITEMS, rewrite_in_one_transaction, transaction
from .bookings import BookingModel
from .courses import move_enrolments
from .passes import PassModel, PassPurchaseModel, owner_key, pass_from, pass_model
from .payment_records import move_payments


class AccountHistoryRepository:
    def move_bookings(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """Up to ``limit`` bookings change owner in one transaction, each only if still ``from_email``'s.

        The by-booker index is read for the old owner, so a repeat after a crash finds only what is left.
        """
        found = BookingModel.by_booker.query(f"{business_id}#{from_email}", limit=min(limit, MAX_TRANSACTION_ITEMS))
        return rewrite_in_one_transaction(BookingModel, found, lambda txn, item: txn.update(
            BookingModel(business_id, item.booking_id),
            actions=[BookingModel.booker_email.set(to_email), BookingModel.booker_key.set(f"{business_id}#{to_email}")],
            condition=BookingModel.booker_email == from_email))

    def move_passes(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        return move_passes(business_id, from_email, to_email, limit)

    def move_enrolments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        return move_enrolments(business_id, from_email, to_email, limit)

    def move_payments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        return move_payments(business_id, from_email, to_email, limit)


def move_passes(business_id: str, from_email: str, to_email: str, limit: int) -> int:
    """Up to ``limit`` passes change owner in one transaction. A pass is keyed by its owner: the old item
    is deleted (only if still there), the same pass put under the new owner, its purchase re-pointed;
    a repeat after a crash finds only what is left under the old owner."""
    found = list(PassModel.query(owner_key(business_id, from_email), limit=min(limit, MAX_TRANSACTION_ITEMS // 3)))
    if not found:
        return 0
    with transaction(PassModel) as txn:
        for item in found:
            txn.delete(PassModel(item.owner_key, item.pass_id), condition=PassModel.pass_id.exists())
            txn.save(pass_model(replace(pass_from(item), email=to_email)))
            if item.purchase_ref:
                txn.update(PassPurchaseModel(item.purchase_ref), actions=[PassPurchaseModel.email.set(to_email)])
    return len(found)
