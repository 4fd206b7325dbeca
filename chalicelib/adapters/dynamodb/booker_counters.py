"""Per-booker counters that fair use is enforced by, each inside the transaction that spends it (B4, B8).

One table, one item per (scope, booker):
- ``places#<business>#<entry>``: places the booker holds or has booked on one entry (held and booked
  together), bumped in the booking transaction only while it stays within the business's cap;
- ``checkouts#<business>``: the booker's checkouts still open (unpaid), bumped with the checkout's
  own put only while under ``MAX_OPEN_CHECKOUTS``, and taken down when the checkout closes;
- ``membership#<business>#<membership>``: the one open checkout for that membership (its id).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import register, table_meta

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite


@register
class BookerCounterModel(Model):
    Meta = table_meta("booker-counters")
    scope = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    tally = NumberAttribute(null=True)  # places, or open checkouts (``count`` is a Model method)
    checkout_id = UnicodeAttribute(null=True)


def places_scope(business_id: str, entry_id: str) -> str:
    return f"places#{business_id}#{entry_id}"


def checkouts_scope(business_id: str) -> str:
    return f"checkouts#{business_id}"


def membership_scope(business_id: str, membership_id: str) -> str:
    return f"membership#{business_id}#{membership_id}"


def add_within(txn: TransactWrite, scope: str, email: str, n: int, cap: int | None) -> None:
    """``tally += n``, only while it stays within ``cap`` (None: counted, never refused)."""
    M = BookerCounterModel
    condition = None if cap is None else (M.tally.does_not_exist() | (M.tally <= cap - n))
    txn.update(M(scope, email), actions=[M.tally.add(n)], condition=condition)


def take_back(txn: TransactWrite, scope: str, email: str, n: int) -> None:
    M = BookerCounterModel
    txn.update(M(scope, email), actions=[M.tally.add(-n)])


def counted(scope: str, email: str) -> int:
    try:
        return int(BookerCounterModel.get(scope, email, consistent_read=True).tally or 0)
    except BookerCounterModel.DoesNotExist:
        return 0
