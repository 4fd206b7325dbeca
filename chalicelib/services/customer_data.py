"""A customer's data on request (GDPR art. 15 / 20): everything the product holds about one person,
as JSON. Erasure (art. 17) is services/customer_erasure.py."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ..domain.emails import normalise_email
from ..domain.errors import NotFoundError

if TYPE_CHECKING:
    from ..domain.context import StaffContext
    from ..ports.broadcasts import MessageLog
    from ..ports.exports import ExportSource

MAX_MESSAGES = 1000


def plain(value: Any) -> Any:
    """Dataclass fields as JSON values (enums by value, datetimes as ISO 8601)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


class CustomerData:
    def __init__(self, source: ExportSource, log: MessageLog) -> None:
        self.source = source
        self.log = log

    def export(self, ctx: StaffContext, raw_email: str) -> dict[str, Any]:
        email = normalise_email(raw_email)
        found = list(self.source.customers(ctx.business_id, [email] if email else []))
        if not found:
            raise NotFoundError(f"No customer with email '{raw_email}'.")
        customer = found[0]
        messages, _ = self.log.for_customer(ctx.business_id, customer.email, MAX_MESSAGES, None)
        return {
            "business": {"business_id": ctx.business_id, "name": ctx.business.name},
            "customer": plain(asdict(customer)),
            "registrations": [plain(asdict(b)) for b in self.source.bookings_of(ctx.business_id, customer.email)],
            "payments": [plain(asdict(p)) for p in self.source.payments_of(ctx.business_id, customer.email)],
            "messages": [plain(asdict(m)) for m in messages],
        }
