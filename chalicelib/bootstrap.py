"""The composition root: builds adapters and services once per Lambda container.

Everything that talks to the outside (tables, queues, email, payments, tokens) is created here and
injected, so tests can swap any piece (``override``) and no module holds a hidden client.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .adapters.dynamodb.bookings import BookingRepository
from .adapters.dynamodb.catalogue import CatalogueRepository
from .adapters.dynamodb.customers import CustomerRepository
from .adapters.dynamodb.tenancy import BusinessRepository
from .adapters.tokens import TokenVerifier
from .config import settings
from .services.bookings import BookingService, FreeTickets
from .services.business import BusinessService
from .services.catalogue import CatalogueService
from .services.customers import CustomerService
from .services.payments import CheckoutHandler, PaymentPort


@dataclass
class Container:
    businesses: BusinessRepository
    business: BusinessService
    catalogue: CatalogueService
    customers: CustomerService
    bookings: BookingService
    # Events-queue message kind -> handler (see workers/events.py). Features add theirs here.
    queue_handlers: dict[str, Callable[[dict[str, Any]], None]]
    # Paid checkouts: purpose ("membership", "pass", "tickets") -> what completing one means.
    checkout_handlers: dict[str, CheckoutHandler] = field(default_factory=dict)
    payments: PaymentPort | None = None  # Stripe in production, the local provider locally


@lru_cache(maxsize=1)
def container() -> Container:
    businesses = BusinessRepository()
    catalogue_repo = CatalogueRepository()
    customer_repo = CustomerRepository()
    booking_repo = BookingRepository(writers={})
    methods = [FreeTickets()]
    return Container(
        businesses=businesses,
        business=BusinessService(businesses),
        catalogue=CatalogueService(businesses, catalogue_repo),
        customers=CustomerService(customer_repo),
        bookings=BookingService(businesses, catalogue_repo, booking_repo, methods),
        queue_handlers={},
    )


@lru_cache(maxsize=1)
def token_verifier() -> TokenVerifier:
    s = settings()
    return TokenVerifier(
        audience=s.jwt_audience, issuer=s.jwt_issuer, jwks_url=s.jwt_jwks_url, dev_secret=s.jwt_dev_secret
    )


def reset() -> None:
    """Forget every cached piece (tests change the environment between cases)."""
    container.cache_clear()
    token_verifier.cache_clear()
    settings.cache_clear()
