"""What sending staff messages needs (C4): the message, recipients page by page, the per-customer log
(whose conditional put is the once-per-recipient ledger), and the suppression list."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..domain.broadcasts import Broadcast, MessageLogEntry
    from ..domain.customers import ContactChanges, Customer


class BroadcastStore(Protocol):
    def save(self, broadcast: Broadcast) -> None: ...

    def get(self, business_id: str, message_id: str) -> Broadcast: ...


class Audience(Protocol):
    def exists(self, broadcast: Broadcast) -> bool:
        """False when the named group or membership is not the business's."""
        ...

    def page(self, broadcast: Broadcast, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        """Emails of one page of the broadcast's kind, group or membership, and the next page's cursor
        (None: last). Each page is one key or index query."""
        ...


class CustomerContacts(Protocol):
    def find(self, business_id: str, email: str) -> Customer | None: ...

    def set_contact(self, business_id: str, email: str, changes: ContactChanges) -> Customer:
        """One conditional update of the record's phone and opt-outs; ``NotFoundError`` without a record."""
        ...


class MessageLog(Protocol):
    def claim(self, entry: MessageLogEntry) -> bool:
        """One conditional put keyed by (customer, message id); False when that copy was already handled."""
        ...

    def settle(self, entry: MessageLogEntry) -> None:
        """Record the copy's final state."""
        ...

    def release(self, entry: MessageLogEntry) -> None:
        """Sending failed in a way a retry may fix: free the claim."""
        ...

    def for_customer(self, business_id: str, email: str, limit: int, cursor: str | None
                     ) -> tuple[list[MessageLogEntry], str | None]: ...


class Suppressions(Protocol):
    def is_suppressed(self, email: str) -> bool: ...

    def suppress(self, email: str, reason: str) -> None: ...


class SnsVerifier(Protocol):
    def verify(self, message: dict[str, Any]) -> None:
        """Raise ``ForbiddenError`` unless SNS signed ``message``."""
        ...

    def confirm(self, subscribe_url: str) -> None:
        """Confirm the subscription (after ``verify``)."""
        ...
