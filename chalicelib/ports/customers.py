"""Customer kinds, deletion and an account's history (C1, C6): what the customer use cases write."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.customers import Customer


class CustomerKinds(Protocol):
    def promote_to_primary(self, business_id: str, email: str) -> bool:
        """One conditional write: an app user becomes a primary customer; False when it was not an app user."""
        ...


class CustomerRemoval(Protocol):
    def mark_deleting(self, business_id: str, email: str) -> None:
        """Refuse the person from now on while their history moves (resumable deletion)."""
        ...

    def delete(self, customer: Customer) -> None:
        """Remove the record (and what finds it: search fragments)."""
        ...


class AccountHistory(Protocol):
    def move_bookings(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """Move up to ``limit`` of ``from_email``'s bookings to ``to_email`` in one transaction;
        the number moved (0 when none are left). Safe to repeat after a crash: moved ones are gone."""
        ...
