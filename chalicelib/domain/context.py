"""Who a request acts for, resolved once by the route framework before any service runs.

A service never decides whether the caller may act for a business: it receives one of these,
already checked (token verified, role matched, business loaded, plan gate passed, booker linked and
not disabled). That is the one place tenancy is enforced, so no use case can forget it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .customers import Customer
from .staff import StaffRole
from .tenancy import Business


@dataclass(frozen=True)
class StaffContext:
    """Staff acting for ``business`` (the business comes from the product's records, not the caller)."""

    business: Business
    subject: str
    role: StaffRole = StaffRole.STAFF  # from the staff record

    @property
    def business_id(self) -> str:
        return self.business.business_id

    @property
    def is_owner(self) -> bool:
        return self.role is StaffRole.OWNER


@dataclass(frozen=True)
class BookerContext:
    """A signed-in booker at ``business``, linked to their customer record (never a disabled one).

    ``email`` is the person; ``account_email`` the account they act on (C1): the primary customer's
    for an additional user, resolved in ``services/access.py``. Bookings, passes and memberships are
    the account's; payment methods are only ever the person's own.
    """

    business: Business
    subject: str
    email: str
    customer: Customer
    account_email: str = ""

    def __post_init__(self) -> None:
        if not self.account_email:
            object.__setattr__(self, "account_email", self.email)

    @property
    def is_additional_user(self) -> bool:
        return self.account_email != self.email

    @property
    def business_id(self) -> str:
        return self.business.business_id


@dataclass(frozen=True)
class PublicContext:
    """Anyone, at ``business`` (routes under /v1/businesses/{business_id}/ without a token)."""

    business: Business

    @property
    def business_id(self) -> str:
        return self.business.business_id


@dataclass(frozen=True)
class SystemContext:
    """Timed functions and the queue consumer acting for a business on their own (no person)."""

    business: Business

    @property
    def business_id(self) -> str:
        return self.business.business_id


@dataclass(frozen=True)
class PersonContext:
    """Any signed-in person, staff of nothing yet (sign-up, accepting an invitation)."""

    subject: str
    email: str | None  # verified and bare, else None


@dataclass(frozen=True)
class OperatorContext:
    """A platform operator (a subject listed in the settings, which no user can edit)."""

    subject: str


RequestContext = StaffContext | BookerContext | PublicContext | PersonContext | OperatorContext
