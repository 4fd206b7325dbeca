"""The composition root: the one place adapters are chosen and services are wired.

``build(settings, **overrides)`` returns a ``Container`` whose pieces are made on first use, each
importing only its own modules: a Lambda serving one route builds that route's service and its
adapters, nothing else (cold start). Tests and benches pass replacements as overrides, e.g.
``build(settings(), payments=FakePayments())`` (the payment platform), and ``install`` the result; nothing mutates a built
container. ``container()`` is the process's current one (built from the environment on first use).
"""
from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from .config import Settings, settings
from .domain.errors import PaymentsUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

    from .adapters.dynamodb.bookings import BookingRepository
    from .adapters.dynamodb.catalogue import CatalogueRepository
    from .adapters.dynamodb.customers import CustomerRepository
    from .adapters.dynamodb.schedule_state import ScheduleState
    from .adapters.dynamodb.tenancy import BusinessRepository
    from .adapters.event_queue import EventQueue
    from .adapters.tokens import TokenVerifier
    from .ports.groups import GroupMemberStore, GroupStore
    from .ports.memberships import CheckoutStore, HeldPlaces, MembershipStore, MemberStore, ProcessedEventLedger
    from .ports.messaging import MailerPort
    from .ports.passes import PassStore
    from .ports.payments import CheckoutHandler, PaymentPlatform
    from .ports.queue import BlobStore
    from .ports.staff import StaffStore
    from .services.access import AccessService
    from .services.booking_notices import BookingNotices
    from .services.bookings import BookingService
    from .services.broadcasts import BroadcastService
    from .services.business import BusinessService
    from .services.card_bookings import CardBookingCompletion, CardPayment
    from .services.catalogue import CatalogueService
    from .services.customer_data import CustomerData
    from .services.customer_deletion import CustomerDeletion
    from .services.customers import CustomerService
    from .services.email_feedback import EmailFeedback
    from .services.exports import CustomerExport
    from .services.groups import GroupService
    from .services.membership_lifecycle import MembershipLifecycle
    from .services.memberships.catalogue import MembershipCatalogue
    from .services.memberships.checkout import BasketCheckout
    from .services.memberships.completion import CheckoutCompletion
    from .services.memberships.holds import HoldReleaseSchedule
    from .services.memberships.members import MemberActions
    from .services.memberships.portal_links import PortalLinks
    from .services.passes import PassService
    from .services.plans import PlanService
    from .services.staff import StaffService
    from .services.stripe_connect import StripeConnect
    from .services.stripe_events import StripeEventConsumer
    from .services.usage_periods import UsagePeriodService
    from .services.webhooks import StripeWebhookReceiver


class Container:
    """Every piece is a ``cached_property``: built once, on first use. An override given to ``build``
    sits in the instance's ``__dict__``, where ``cached_property`` finds it before building."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        unknown = sorted(name for name in overrides if not isinstance(getattr(type(self), name, None), cached_property))
        if unknown:
            raise TypeError(f"not pieces of the container: {unknown}")
        self.__dict__.update(overrides)

    # -- tenancy and access -------------------------------------------------------------------------
    @cached_property
    def businesses(self) -> BusinessRepository:
        from .adapters.dynamodb.tenancy import BusinessRepository

        return BusinessRepository()

    @cached_property
    def customer_store(self) -> CustomerRepository:
        from .adapters.dynamodb.customers import CustomerRepository

        return CustomerRepository()

    @cached_property
    def access(self) -> AccessService:
        from .services.access import AccessService

        return AccessService(self.businesses, self.customer_store, self.staff_store,
                             operators=self.settings.operator_subjects)

    @cached_property
    def staff_store(self) -> StaffStore:
        from .adapters.dynamodb.staff import StaffRepository

        return StaffRepository()

    @cached_property
    def staff(self) -> StaffService:
        from .services.staff import StaffService

        return StaffService(self.staff_store, lambda: self.mailer, self.settings.public_base_url)

    @cached_property
    def plans(self) -> PlanService:
        from .services.plans import PlanService

        return PlanService(self.businesses)

    @cached_property
    def business(self) -> BusinessService:
        from .services.business import BusinessService

        return BusinessService(self.businesses)

    @cached_property
    def customers(self) -> CustomerService:
        from .services.customers import CustomerService

        return CustomerService(self.customer_store, self.access)

    @cached_property
    def customer_deletion(self) -> CustomerDeletion:
        from .adapters.dynamodb.account_history import AccountHistoryRepository
        from .services.customer_deletion import CustomerDeletion

        return CustomerDeletion(self.customer_store, self.customer_store, AccountHistoryRepository(),
                                lambda: self.event_queue, self.access)

    @cached_property
    def customer_export(self) -> CustomerExport:
        from .adapters.dynamodb.exports import DynamoExportSource, ExportJobRepository
        from .adapters.s3_exports import S3ExportFiles
        from .services.exports import CustomerExport

        files = S3ExportFiles(self.settings.blob_bucket, self.settings.region)
        return CustomerExport(DynamoExportSource(), ExportJobRepository(), lambda: files, lambda: self.event_queue)

    @cached_property
    def broadcasts(self) -> BroadcastService:
        import os

        from .adapters.dynamodb.broadcasts import BroadcastRepository, CustomerAudience, CustomerMessageLog, SuppressionList
        from .adapters.ses_email import JinjaRenderer, SesEmailSender
        from .services.broadcasts import BroadcastService

        sender = SesEmailSender(self.settings.email_sender, self.settings.region)
        renderer = JinjaRenderer()
        rate = float(os.environ.get("SES_SEND_RATE", "14"))  # SES's per-second quota of the account
        return BroadcastService(BroadcastRepository(), CustomerAudience(), CustomerMessageLog(), SuppressionList(),
                                lambda: sender, lambda: renderer, lambda: self.event_queue,
                                self.settings.public_base_url, send_rate=rate)

    @cached_property
    def customer_data(self) -> CustomerData:
        from .adapters.dynamodb.broadcasts import CustomerMessageLog
        from .adapters.dynamodb.exports import DynamoExportSource
        from .services.customer_data import CustomerData

        return CustomerData(DynamoExportSource(), CustomerMessageLog())

    @cached_property
    def email_feedback(self) -> EmailFeedback:
        import os

        from .adapters.dynamodb.broadcasts import SuppressionList
        from .adapters.sns_signatures import SnsSignatures
        from .services.email_feedback import EmailFeedback

        return EmailFeedback(SnsSignatures(), SuppressionList(), os.environ.get("SES_FEEDBACK_TOPIC_ARN", ""))

    # -- catalogue and bookings ---------------------------------------------------------------------
    @cached_property
    def catalogue_store(self) -> CatalogueRepository:
        from .adapters.dynamodb.catalogue import CatalogueRepository

        return CatalogueRepository()

    @cached_property
    def catalogue(self) -> CatalogueService:
        from .services.catalogue import CatalogueService

        return CatalogueService(self.catalogue_store, group_exists=self.group_store.exists)

    @cached_property
    def booking_store(self) -> BookingRepository:
        from .adapters.dynamodb.bookings import BookingRepository, SettlementWriter
        from .domain.bookings import SettlementKind

        def offer_uses() -> SettlementWriter:
            from .adapters.dynamodb.offer_uses import OfferUseWriter

            return OfferUseWriter()

        def pass_uses() -> SettlementWriter:
            from .adapters.dynamodb.passes import PassSettlementWriter

            return PassSettlementWriter()

        # Each settlement kind adds its own conditional writes to the booking transaction; a writer's
        # module is imported on the first booking of its kind.
        return BookingRepository(writers={SettlementKind.OFFER: offer_uses, SettlementKind.PASS: pass_uses})

    @cached_property
    def bookings(self) -> BookingService:
        from .services.bookings import BookingService, PaymentMethod, payment_methods

        def pass_payment() -> PaymentMethod:
            from .services.passes import PassPayment

            return PassPayment(self.pass_store)

        def offer_use() -> PaymentMethod:
            from .services.groups import OfferUse

            return OfferUse(self.group_members)

        from .services.customers import KindPromotion

        # How a booking is paid: asked in order, the first that applies settles; each method (and its
        # feature's modules) is made only when a booking gets as far as asking it.
        methods = payment_methods(offer_use, pass_payment, lambda: self.card_payment)
        return BookingService(self.catalogue_store, self.booking_store, methods,
                              kinds=KindPromotion(self.customer_store, self.access), refunds=lambda: self.card_payment,
                              notify=lambda kind, b: self.booking_notices.enqueue(kind, b))

    @cached_property
    def booking_notices(self) -> BookingNotices:
        from .services.booking_notices import BookingNotices

        return BookingNotices(self.booking_store, self.catalogue_store, self.businesses, lambda: self.event_queue,
                              lambda: self.mailer)

    # -- customer groups and offers -------------------------------------------------------------------
    @cached_property
    def group_store(self) -> GroupStore:
        from .adapters.dynamodb.groups import GroupRepository

        return GroupRepository()

    @cached_property
    def group_members(self) -> GroupMemberStore:
        from .adapters.dynamodb.group_members import GroupMemberRepository

        return GroupMemberRepository()

    @cached_property
    def groups(self) -> GroupService:
        from .services.groups import GroupService

        return GroupService(self.businesses, self.group_store, self.group_members, self.catalogue_store)

    @cached_property
    def schedule_state(self) -> ScheduleState:
        from .adapters.dynamodb.schedule_state import ScheduleState

        return ScheduleState()

    @cached_property
    def usage_periods(self) -> UsagePeriodService:
        from .services.usage_periods import UsagePeriodService

        return UsagePeriodService(self.group_members, self.schedule_state)

    # -- passes --------------------------------------------------------------------------------------
    @cached_property
    def pass_store(self) -> PassStore:
        from .adapters.dynamodb.passes import PassRepository

        return PassRepository()

    @cached_property
    def passes(self) -> PassService:
        from .adapters.dynamodb.passes import PassProductRepository
        from .services.passes import PassService

        return PassService(PassProductRepository(), self.pass_store, self.customer_store, payments=self.stripe_connect)

    # -- memberships and Stripe events -----------------------------------------------------------------
    @cached_property
    def membership_store(self) -> MembershipStore:
        from .adapters.dynamodb.memberships import MembershipRepository

        return MembershipRepository()

    @cached_property
    def member_store(self) -> MemberStore:
        from .adapters.dynamodb.memberships import MemberRepository

        return MemberRepository()

    @cached_property
    def checkout_store(self) -> CheckoutStore:
        from .adapters.dynamodb.checkouts import CheckoutRepository

        return CheckoutRepository()

    @cached_property
    def processed_events(self) -> ProcessedEventLedger:
        from .adapters.dynamodb.checkouts import ProcessedEvents

        return ProcessedEvents()

    @cached_property
    def held_places(self) -> HeldPlaces:
        from .adapters.dynamodb.checkouts import HeldPlaceConfirmer

        return HeldPlaceConfirmer()

    @cached_property
    def lifecycle(self) -> MembershipLifecycle:
        from .services.membership_lifecycle import MembershipLifecycle

        return MembershipLifecycle(self.businesses, self.membership_store, self.member_store, lambda: self.groups,
                                   self.stripe_connect, lambda: self.mailer)

    @cached_property
    def membership_catalogue(self) -> MembershipCatalogue:
        from .services.memberships.catalogue import MembershipCatalogue

        return MembershipCatalogue(self.membership_store, self.catalogue_store, lambda: self.groups, self.stripe_connect)

    @cached_property
    def membership_checkout(self) -> BasketCheckout:
        from .services.memberships.checkout import BasketCheckout

        return BasketCheckout(self.membership_store, self.member_store, self.checkout_store, self.catalogue_store,
                              self.booking_store, self.stripe_connect, self.settings.public_base_url, groups=self.group_store)

    @cached_property
    def checkout_completion(self) -> CheckoutCompletion:
        from .services.memberships.completion import CheckoutCompletion

        return CheckoutCompletion(self.checkout_store, self.held_places, self.booking_store, self.catalogue_store,
                                  self.lifecycle, self.customer_store, self.stripe_connect, lambda: self.mailer,
                                  self.settings.public_base_url, portal_link=lambda b, s: self.portal_links.link(b, s))

    @cached_property
    def portal_links(self) -> PortalLinks:
        from .services.memberships.portal_links import PortalLinks

        return PortalLinks(self.settings.portal_link_secret, self.member_store, self.stripe_connect,
                           self.settings.public_base_url)

    @cached_property
    def member_actions(self) -> MemberActions:
        from .services.memberships.members import MemberActions

        return MemberActions(self.membership_store, self.member_store, self.lifecycle, self.stripe_connect,
                             self.settings.public_base_url)

    @cached_property
    def hold_release(self) -> HoldReleaseSchedule:
        from .services.memberships.holds import HoldReleaseSchedule

        return HoldReleaseSchedule(self.booking_store, self.checkout_store, self.schedule_state)

    @cached_property
    def checkout_handlers(self) -> dict[str, CheckoutHandler]:
        """Paid checkouts: purpose -> what completing one means (each feature owns its own)."""
        return {"pass": self.passes.complete_checkout, "membership": self.checkout_completion.complete,
                "booking": self.card_booking_completion.complete}

    @cached_property
    def card_payment(self) -> CardPayment:
        from .services.card_bookings import CardPayment

        return CardPayment(self.checkout_store, self.booking_store, self.catalogue_store, self.stripe_connect,
                           self.settings.public_base_url)

    @cached_property
    def card_booking_completion(self) -> CardBookingCompletion:
        from .services.card_bookings import CardBookingCompletion

        return CardBookingCompletion(self.checkout_store, self.checkout_completion.settle_held, self.businesses,
                                     self.customer_store, lambda: self.mailer)

    @cached_property
    def stripe_events(self) -> StripeEventConsumer:
        from .adapters.stripe_payments import parse_event
        from .services.stripe_events import StripeEventConsumer

        return StripeEventConsumer(self.processed_events, self.lifecycle, self.membership_checkout.release,
                                   self.membership_store, self.member_store, self.checkout_handlers, self.stripe_connect,
                                   lambda: self.mailer, lambda: self.event_queue, parse=parse_event,
                                   connect=lambda: self.stripe_connect, livemode=self.settings.stripe_livemode)

    @cached_property
    def webhooks(self) -> StripeWebhookReceiver:
        from .adapters.stripe_signatures import StripeSignatures
        from .services.webhooks import StripeWebhookReceiver

        return StripeWebhookReceiver(self.settings.stripe_webhook_secret, StripeSignatures(), lambda: self.event_queue,
                                     lambda: self.blob_store)

    @cached_property
    def queue_handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        """Events-queue message kind -> handler (see ``workers/events.py``)."""
        return {
            "stripe_event": self.stripe_events.handle,
            "price_changed_member_batch": self.stripe_events.price_changed_batch,
            "membership_period_end": self.stripe_events.period_end,
            "customer_history_move": lambda body: self.customer_deletion.move_history(body),
            "customer_export": lambda body: self.customer_export.run(body),
            "broadcast_page": lambda body: self.broadcasts.send_page(body),
            "booking_notice": self.booking_notices.deliver,
        }

    # -- edges: email, queue, payments ---------------------------------------------------------------------
    @cached_property
    def mailer(self) -> MailerPort:
        from .adapters.dynamodb.emails import EmailLedger
        from .adapters.ses_email import JinjaRenderer, SesEmailSender
        from .services.emails import Mailer

        return Mailer(SesEmailSender(self.settings.email_sender, self.settings.region), JinjaRenderer(), EmailLedger())

    @cached_property
    def event_queue(self) -> EventQueue:
        """Typed as the adapter while the webhook receiver (not in this area) asks for it; ``EventQueuePort`` otherwise."""
        from .adapters.event_queue import EventQueue

        return EventQueue(self.settings.events_queue_url, self.settings.region)

    @cached_property
    def blob_store(self) -> BlobStore:
        """Message bodies too large for SQS (S3: moto locally and in tests)."""
        from .adapters.s3_blobs import S3BlobStore

        return S3BlobStore(self.settings.blob_bucket, self.settings.region)

    @cached_property
    def payments(self) -> PaymentPlatform | None:
        """The platform's Stripe (Connect): Stripe with a key in AWS; the local provider when a base URL is set."""
        from .adapters.stripe_payments import StripePayments

        s = self.settings
        if s.payment_provider == "stripe" and s.stripe_api_key:
            return StripePayments(s.stripe_api_key, client_id=s.stripe_connect_client_id)
        if s.payment_provider != "stripe" and s.stripe_api_base:
            return StripePayments(s.stripe_api_key or "sk_test_local", api_base=s.stripe_api_base,
                                  client_id=s.stripe_connect_client_id or "ca_local")
        return None

    def payment_platform(self) -> PaymentPlatform:
        if self.payments is None:
            raise PaymentsUnavailableError("No payment provider is configured (STRIPE_API_KEY or STRIPE_API_BASE).")
        return self.payments

    @cached_property
    def stripe_connect(self) -> StripeConnect:
        """Connect (T4–T6): each business's own Stripe account; services reach Stripe only through ``for_business``."""
        from .services.stripe_connect import StripeConnect

        s = self.settings
        return StripeConnect(self.businesses, self.businesses, self.payment_platform, lambda: self.mailer,
                             state_secret=s.connect_state_secret, livemode=s.stripe_livemode,
                             callback_url=f"{s.public_base_url.rstrip('/')}/v1/stripe/connect/callback")


def build(settings: Settings, **overrides: Any) -> Container:
    return Container(settings, **overrides)


_current: Container | None = None


def container() -> Container:
    """The process's container: the installed one, else one built from the environment."""
    global _current
    if _current is None:
        _current = build(settings())
    return _current


def install(built: Container) -> Container:
    """Make ``built`` the process's container (tests and benches, with their overrides)."""
    global _current
    _current = built
    return built


@lru_cache(maxsize=1)
def token_verifier() -> TokenVerifier:
    from .adapters.tokens import TokenVerifier

    s = settings()
    return TokenVerifier(
        audience=s.jwt_audience, issuer=s.jwt_issuer, jwks_url=s.jwt_jwks_url, dev_secret=s.jwt_dev_secret
    )


def reset() -> None:
    """Forget every built piece (tests change the environment between cases)."""
    global _current
    _current = None
    token_verifier.cache_clear()
    settings.cache_clear()
