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
from .config import Settings, settings
from .domain.bookings import SettlementKind
from .services.bookings import BookingService, FreeTickets
from .services.business import BusinessService
from .services.catalogue import CatalogueService
from .services.customers import CustomerService
from .services.emails import Mailer
from .services.groups import GroupService, OfferUse
from .services.membership_lifecycle import MembershipLifecycle
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
    groups: GroupService  # customer groups + offers; memberships call it (G3)
    usage_periods: UsagePeriodService  # the scheduled reset of usage periods
    schedule_state: ScheduleState  # watermarks of the catch-up schedules
    passes: PassService
    memberships: MembershipService
    stripe_events: StripeEventConsumer
    webhooks: StripeWebhookReceiver
    mailer: Mailer
    event_queue: EventQueue
    # Events-queue message kind -> handler (see workers/events.py).
    queue_handlers: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    # Paid checkouts: purpose ("membership", "pass") -> what completing one means.
    checkout_handlers: dict[str, CheckoutHandler] = field(default_factory=dict)
    # Stripe in production, the local provider (same adapter, other base URL) locally; tests swap it.
    payments: PaymentPort | None = None

    def payment_port(self) -> PaymentPort:
        if self.payments is None:
            raise PaymentsUnavailableError("No payment provider is configured (STRIPE_API_KEY or STRIPE_API_BASE).")
        return self.payments


@lru_cache(maxsize=1)
def container() -> Container:
    s = settings()
    c: Container

    # Collaborators that tests and benches swap (payments, mailer, queue) are looked up on ``c`` per
    # call through these lambdas, so a swapped piece is seen everywhere.
    def payments() -> PaymentPort:
        return c.payment_port()

    # Repositories (DynamoDB adapters)
    businesses = BusinessRepository()
    catalogue_repo, customer_repo = CatalogueRepository(), CustomerRepository()
    group_repo, group_members = GroupRepository(), GroupMemberRepository()
    pass_repo = PassRepository()
    schedule_state = ScheduleState()
    membership_repo, member_repo = MembershipRepository(), MemberRepository()
    # Each settlement kind adds its own conditional writes to the booking transaction.
    booking_repo = BookingRepository(writers={
        SettlementKind.OFFER: OfferUseWriter(),
        SettlementKind.PASS: PassSettlementWriter(),
    })
    # How a booking is paid: asked in order, the first that applies settles.
    methods = [FreeTickets(), PassPayment(pass_repo), OfferUse(group_members)]

    # Edges: email, queue
    mailer = Mailer(SesEmailSender(s.email_sender, s.region), JinjaRenderer(), EmailLedger())
    event_queue = EventQueue(s.events_queue_url, s.region)

    # Services
    groups = GroupService(businesses, group_repo, group_members, catalogue_repo)
    passes = PassService(businesses, PassProductRepository(), pass_repo, customer_repo, payments=lambda: c.payments)
    lifecycle = MembershipLifecycle(businesses, membership_repo, member_repo, lambda: c.groups, payments, lambda: c.mailer)
    memberships = MembershipService(businesses, membership_repo, member_repo, CheckoutRepository(), catalogue_repo,
                                    booking_repo, lifecycle, customer_repo, lambda: c.groups, payments, lambda: c.mailer,
                                    s.public_base_url, schedule_state)
    checkout_handlers: dict[str, CheckoutHandler] = {
        "pass": passes.complete_checkout,
        "membership": memberships.complete_checkout,
    }
    stripe_events = StripeEventConsumer(ProcessedEvents(), lifecycle, memberships, membership_repo, member_repo,
                                        checkout_handlers, payments, lambda: c.mailer, lambda: c.event_queue)
    c = Container(
        businesses=businesses,
        business=BusinessService(businesses),
        catalogue=CatalogueService(businesses, catalogue_repo, group_exists=group_repo.exists),
        customers=CustomerService(customer_repo),
        bookings=BookingService(businesses, catalogue_repo, booking_repo, methods),
        groups=groups,
        usage_periods=UsagePeriodService(group_members, schedule_state),
        schedule_state=schedule_state,
        passes=passes,
        memberships=memberships,
        stripe_events=stripe_events,
        webhooks=StripeWebhookReceiver(s.stripe_webhook_secret, lambda: c.event_queue),
        mailer=mailer,
        event_queue=event_queue,
        queue_handlers={
            "stripe_event": stripe_events.handle,
            "price_changed_member_batch": stripe_events.price_changed_batch,
            "membership_period_end": stripe_events.period_end,
        },
        checkout_handlers=checkout_handlers,
        payments=_payment_provider(s),
    )
    return c


def _payment_provider(s: Settings) -> PaymentPort | None:
    """Stripe with a key in AWS; the local provider (which speaks Stripe's API) when a base URL is set."""
    if s.payment_provider == "stripe" and s.stripe_api_key:
        return StripePayments(s.stripe_api_key)
    if s.payment_provider != "stripe" and s.stripe_api_base:
        return StripePayments(s.stripe_api_key or "sk_test_local", api_base=s.stripe_api_base)
    return None


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
