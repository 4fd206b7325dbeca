"""What sending staff messages needs (C4): the message, recipients page by page, the per-customer log
(whose conditional put is the once-per-recipient ledger), and the suppression list."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..domain.broadcasts import Broadcast, MessageLogEntry
    from ..domain.customers import CustomerKind


class BroadcastStore(Protocol):
    def save(self, broadcast: Broadcast) -> None: ...

    def get(self, business_id: str, message_id: str) -> Broadcast: ...


class Audience(Protocol):
    def page(self, business_id: str, kind: CustomerKind, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        """Emails of one page of customers of ``kind``, and the cursor of the next page (None: last)."""
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
