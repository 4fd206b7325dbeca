"""Moving an additional user's bookings to their primary customer (C6), one bounded transaction at a time."""
from __future__ import annotations

from .base import transaction
from .bookings import BookingModel

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


class AccountHistoryRepository:
    def move_bookings(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """Up to ``limit`` bookings change owner in one transaction, each only if still ``from_email``'s.

        The by-booker index is read for the old owner, so a repeat after a crash finds only what is left.
        """
        limit = min(limit, MAX_TRANSACTION_ITEMS)
        found = list(BookingModel.by_booker.query(f"{business_id}#{from_email}", limit=limit))
        if not found:
            return 0
        with transaction(BookingModel) as txn:
            for item in found:
                txn.update(
                    BookingModel(business_id, item.booking_id),
                    actions=[BookingModel.booker_email.set(to_email),
                             BookingModel.booker_key.set(f"{business_id}#{to_email}")],
                    condition=BookingModel.booker_email == from_email,
                )
        return len(found)
