"""Spending an offer use: the member's counter write inside the booking transaction (O6)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...domain.bookings import Booking, OfferUseRef
from ...domain.errors import TransactionContendedError
from .groups import GroupMemberModel, due_day, raw_usage

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


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
