"""The composition root's pieces for edges: email, queue, payments (see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..domain.errors import PaymentsUnavailableError
from .pieces import Pieces

if TYPE_CHECKING:
    from ..adapters.event_queue import EventQueue
    from ..ports.messaging import MailerPort
    from ..ports.payments import PaymentPlatform
    from ..ports.queue import BlobStore
    from ..services.stripe_connect import StripeConnect


class EdgePieces(Pieces):
    @cached_property
    def mailer(self) -> MailerPort:
        from ..adapters.dynamodb.emails import EmailLedger
        from ..adapters.ses_email import JinjaRenderer, SesEmailSender
        from ..services.emails import Mailer

        return Mailer(SesEmailSender(self.settings.email_sender, self.settings.region), JinjaRenderer(), EmailLedger())

    @cached_property
    def event_queue(self) -> EventQueue:
        """Typed as the adapter while the webhook receiver (not in this area) asks for it; ``EventQueuePort`` otherwise."""
        from ..adapters.event_queue import EventQueue

        return EventQueue(self.settings.events_queue_url, self.settings.region)

    @cached_property
    def blob_store(self) -> BlobStore:
        """Message bodies too large for SQS (S3: moto locally and in tests)."""
        from ..adapters.s3_blobs import S3BlobStore

        return S3BlobStore(self.settings.blob_bucket, self.settings.region)

    @cached_property
    def payments(self) -> PaymentPlatform | None:
        """The platform's Stripe (Connect): Stripe with a key in AWS; the local provider when a base URL is set."""
        from ..adapters.stripe_payments import StripePayments

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
        from ..services.stripe_connect import StripeConnect

        s = self.settings
        return StripeConnect(self.businesses, self.businesses, self.payment_platform, lambda: self.mailer,
                             state_secret=s.connect_state_secret, livemode=s.stripe_livemode, staff=self.staff_store,
                             callback_url=f"{s.public_base_url.rstrip('/')}/v1/stripe/connect/callback")
