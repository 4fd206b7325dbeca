"""Customer kinds, deletion and an account's history (C1, C6): what the customer use cases write."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

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

    def move_passes(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """The same for passes (with their purchase records): ``limit`` passes in one transaction."""
        ...

    def move_payments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """The same for the payments record (B6): charges, invoice payments and refunds keep their amounts."""
        ...

    def move_enrolments(self, business_id: str, from_email: str, to_email: str, limit: int) -> int:
        """The same for course enrolments (S, by the enrolments' customer index)."""
        ...


class ErasureStore(Protocol):
    """GDPR art. 17 (C6): each move is one bounded transaction, conditional on the old owner, so a
    repeat after a crash finds only what is left; each returns how many items it moved (0: none left)."""

    def live_memberships(self, business_id: str, email: str) -> int:
        """Subscriptions of the email Stripe may still bill (active, trialing, past due, ...)."""
        ...

    def open_checkouts(self, business_id: str, email: str) -> int:
        """Unpaid checkouts still open (card bookings, pass and membership checkouts)."""
        ...

    def mark_erasing(self, business_id: str, email: str, as_id: str) -> str:
        """Refuse the person from now on and fix the pseudonymous id (once: a repeat keeps the first)."""
        ...

    def erase_bookings(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def erase_passes(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def erase_memberships(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def erase_payments(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def erase_messages(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def erase_enrolments(self, business_id: str, email: str, as_id: str, limit: int) -> int: ...

    def stripe_customer_ids(self, business_id: str, as_id: str) -> list[str]:
        """The distinct Stripe customer ids of the membership records already moved to ``as_id``."""
        ...

    def detach_additional_users(self, business_id: str, email: str, start: dict[str, Any] | None,
                                limit: int) -> dict[str, Any] | None:
        """One page (``limit`` records read) of the business's customers: those whose primary is
        ``email`` become app users on their own. The next page's start; None when the last was read."""
        ...

    def finish(self, customer: Customer, erased: Customer) -> None:
        """Write the erased record, then remove the old one and its search fragments."""
        ...
