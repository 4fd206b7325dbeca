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
from .adapters.dynamodb.emails import EmailLedger
from .adapters.dynamodb.groups import GroupMemberRepository, GroupRepository, OfferUseWriter, ScheduleState
from .adapters.dynamodb.memberships import CheckoutRepository, MemberRepository, MembershipRepository, ProcessedEvents
from .adapters.dynamodb.passes import PassProductRepository, PassRepository, PassSettlementWriter
from .adapters.dynamodb.tenancy import BusinessRepository
from .adapters.event_queue import EventQueue
from .adapters.ses_email import JinjaRenderer, SesEmailSender
from .adapters.stripe_payments import StripePayments
from .adapters.tokens import TokenVerifier
from .config import settings
from .domain.bookings import SettlementKind
from .services.bookings import BookingService, FreeTickets
from .services.business import BusinessService
from .services.catalogue import CatalogueService
from .services.customers import CustomerService
from .services.emails import Mailer
from .services.groups import GroupService, OfferUse
from .services.membership_lifecycle import GroupsPort, MembershipLifecycle
from .services.memberships import MembershipService
from .services.passes import PassPayment, PassService, PaymentsUnavailableError
from .services.payments import CheckoutHandler, PaymentPort
from .services.stripe_events import StripeEventConsumer
from .services.usage_periods import UsagePeriodService
from .services.webhooks import StripeWebhookReceiver


@dataclass
class Container:
    businesses: BusinessRepository
    business: BusinessService
    catalogue: CatalogueService
    customers: CustomerService
    bookings: BookingService
    passes: PassService
    # Events-queue message kind -> handler (see workers/events.py). Features add theirs here.
    queue_handlers: dict[str, Callable[[dict[str, Any]], None]]
    # Paid checkouts: purpose ("membership", "pass", "tickets") -> what completing one means.
    checkout_handlers: dict[str, CheckoutHandler] = field(default_factory=dict)
    payments: PaymentPort | None = None  # Stripe in production, the local provider locally
    memberships: MembershipService | None = None
    stripe_events: StripeEventConsumer | None = None
    webhooks: StripeWebhookReceiver | None = None
    mailer: Mailer | None = None
    event_queue: EventQueue | None = None
    groups: GroupService | None = None  # customer groups + offers; the memberships feature calls it
    usage_periods: UsagePeriodService | None = None  # the scheduled reset of usage periods


@lru_cache(maxsize=1)
def container() -> Container:
    businesses = BusinessRepository()
    catalogue_repo = CatalogueRepository()
    customer_repo = CustomerRepository()
    booking_repo = BookingRepository(writers={})
    methods = [FreeTickets()]
    pass_repo = PassRepository()
    booking_repo.writers[SettlementKind.PASS] = PassSettlementWriter()
    methods.append(PassPayment(pass_repo))
    group_repo, group_members = GroupRepository(), GroupMemberRepository()
    booking_repo.writers[SettlementKind.OFFER] = OfferUseWriter()
    methods.append(OfferUse(group_members))
    # The payment port is looked up per checkout, so it can be built after (or lazily by) this root.
    passes = PassService(businesses, PassProductRepository(), pass_repo, customer_repo, payments=lambda: container().payments)
    c = Container(
        businesses=businesses,
        business=BusinessService(businesses),
        catalogue=CatalogueService(businesses, catalogue_repo, group_exists=group_repo.exists),
        customers=CustomerService(customer_repo),
        bookings=BookingService(businesses, catalogue_repo, booking_repo, methods),
        passes=passes,
        queue_handlers={},
        checkout_handlers={"pass": passes.complete_checkout},
    )
    c.groups = GroupService(businesses, group_repo, group_members, catalogue_repo)
    c.usage_periods = UsagePeriodService(group_members, ScheduleState())
    _wire_memberships(c, businesses, catalogue_repo, booking_repo)
    return c


def _wire_memberships(c: Container, businesses: BusinessRepository, catalogue_repo: CatalogueRepository,
                      booking_repo: BookingRepository) -> None:
    """Memberships on Stripe (M1–M9). Collaborators are looked up on ``c`` per call, so tests can swap them."""
    s = settings()
    if s.payment_provider == "stripe" and s.stripe_api_key:
        c.payments = StripePayments(s.stripe_api_key)
    elif s.payment_provider != "stripe" and s.stripe_api_base:  # the local provider speaks Stripe's API
        c.payments = StripePayments(s.stripe_api_key or "sk_test_local", api_base=s.stripe_api_base)
    c.event_queue = EventQueue(s.events_queue_url, s.region)
    c.mailer = Mailer(SesEmailSender(s.email_sender, s.region), JinjaRenderer(), EmailLedger())
    membership_repo, member_repo = MembershipRepository(), MemberRepository()

    def groups() -> GroupsPort:
        assert c.groups is not None, "customer groups are wired before memberships"
        return c.groups

    def payments() -> PaymentPort:
        if c.payments is None:
            raise PaymentsUnavailableError("No payment provider is configured (STRIPE_API_KEY or STRIPE_API_BASE).")
        return c.payments

    def mailer() -> Mailer:
        assert c.mailer is not None
        return c.mailer

    def queue() -> EventQueue:
        assert c.event_queue is not None
        return c.event_queue

    lifecycle = MembershipLifecycle(businesses, membership_repo, member_repo, groups, payments, mailer)
    c.memberships = MembershipService(businesses, membership_repo, member_repo, CheckoutRepository(), catalogue_repo,
                                      booking_repo, lifecycle, groups, payments, mailer, s.public_base_url)
    c.stripe_events = StripeEventConsumer(ProcessedEvents(), lifecycle, c.memberships, membership_repo, member_repo,
                                          c.checkout_handlers, payments, mailer, queue)
    c.webhooks = StripeWebhookReceiver(s.stripe_webhook_secret, queue)
    c.checkout_handlers["membership"] = c.memberships.complete_checkout
    c.queue_handlers.update({
        "stripe_event": c.stripe_events.handle,
        "price_changed_member_batch": c.stripe_events.price_changed_batch,
        "membership_period_end": c.stripe_events.period_end,
    })


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
