"""Businesses and customer records: what request contexts and the customer use cases read and write."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from ..domain.customers import Customer, CustomerKind
    from ..domain.paging import Page, PageRequest
    from ..domain.tenancy import Business


class BusinessStore(Protocol):
    def get(self, business_id: str) -> Business:
        """The business, or ``NotFoundError``."""
        ...

    def find(self, business_id: str) -> Business | None: ...

    def save(self, business: Business) -> None: ...


class BusinessesByAccount(Protocol):
    """Connect: which business a Stripe account belongs to (an index lookup)."""

    def by_stripe_account(self, account_id: str) -> list[Business]: ...


class CustomerStore(Protocol):
    def get(self, business_id: str, email: str) -> Customer:
        """The record, or ``NotFoundError``."""
        ...

    def find(self, business_id: str, email: str) -> Customer | None: ...

    def create_if_missing(self, customer: Customer) -> bool:
        """Create the record unless one exists; True when this call created it."""
        ...

    def make_primary(self, business_id: str, email: str, at: datetime) -> None: ...

    def mark_signed_in(self, business_id: str, email: str, at: datetime) -> None: ...

    def save(self, before: Customer | None, after: Customer) -> None: ...

    def search(self, business_id: str, query: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]:
        """Customers with the query in any part of their name or email (accents and case ignored)."""
        ...

    def list(self, business_id: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]: ...
