"""The composition root's pieces for memberships and Stripe events (see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from .pieces import Pieces

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..ports.memberships import CheckoutStore, HeldPlaces, MembershipStore, MemberStore, ProcessedEventLedger
    from ..ports.payments import CheckoutHandler
    from ..services.bookings import PaymentMethod
    from ..services.card_bookings import CardBookingCompletion, CardPayment
    from ..services.membership_lifecycle import MembershipLifecycle
    from ..services.memberships.catalogue import MembershipCatalogue
    from ..services.memberships.checkout import BasketCheckout
    from ..services.memberships.completion import CheckoutCompletion
    from ..services.memberships.holds import HoldReleaseSchedule
    from ..services.memberships.members import MemberActions
    from ..services.memberships.pauses import MembershipPauses
    from ..services.memberships.portal_links import PortalLinks
    from ..services.payment_records import PaymentRecords
    from ..services.stripe_events import StripeEventConsumer
    from ..services.webhooks import StripeWebhookReceiver


class MembershipPieces(Pieces):
    @cached_property
    def membership_store(self) -> MembershipStore:
        from ..adapters.dynamodb.memberships import MembershipRepository

        return MembershipRepository()

    @cached_property
    def member_store(self) -> MemberStore:
        from ..adapters.dynamodb.memberships import MemberRepository

        return MemberRepository()

    @cached_property
    def checkout_store(self) -> CheckoutStore:
        from ..adapters.dynamodb.checkouts import CheckoutRepository

        return CheckoutRepository()

    @cached_property
    def processed_events(self) -> ProcessedEventLedger:
        from ..adapters.dynamodb.checkouts import ProcessedEvents

        return ProcessedEvents()

    @cached_property
    def held_places(self) -> HeldPlaces:
        from ..adapters.dynamodb.checkouts import HeldPlaceConfirmer

        return HeldPlaceConfirmer()

    @cached_property
    def lifecycle(self) -> MembershipLifecycle:
        from ..services.membership_lifecycle import MembershipLifecycle

        return MembershipLifecycle(self.businesses, self.membership_store, self.member_store, lambda: self.groups,
                                   self.stripe_connect, lambda: self.mailer)

    @cached_property
    def membership_catalogue(self) -> MembershipCatalogue:
        from ..services.memberships.catalogue import MembershipCatalogue

        return MembershipCatalogue(self.membership_store, self.catalogue_store, lambda: self.groups, self.stripe_connect)

    @cached_property
    def membership_checkout(self) -> BasketCheckout:
        from ..services.memberships.checkout import BasketCheckout

        return BasketCheckout(self.membership_store, self.member_store, self.checkout_store, self.catalogue_store,
                              self.booking_store, self.stripe_connect, self.settings.public_base_url, groups=self.group_store)

    @cached_property
    def checkout_completion(self) -> CheckoutCompletion:
        from ..services.memberships.completion import CheckoutCompletion

        return CheckoutCompletion(self.checkout_store, self.held_places, self.booking_store, self.catalogue_store,
                                  self.lifecycle, self.customer_store, self.stripe_connect, lambda: self.mailer,
                                  self.settings.public_base_url, portal_link=lambda b, s: self.portal_links.link(b, s),
                                  records=self.payment_records, offer_use=self._basket_offer_use)

    def _basket_offer_use(self) -> PaymentMethod:
        from ..services.groups import OfferUse

        return OfferUse(self.group_members)

    @cached_property
    def portal_links(self) -> PortalLinks:
        from ..services.memberships.portal_links import PortalLinks

        return PortalLinks(self.settings.portal_link_secret, self.member_store, self.stripe_connect,
                           self.settings.public_base_url)

    @cached_property
    def member_actions(self) -> MemberActions:
        from ..services.memberships.members import MemberActions

        return MemberActions(self.membership_store, self.member_store, self.lifecycle, self.stripe_connect,
                             self.settings.public_base_url, records=self.payment_records)

    @cached_property
    def membership_pauses(self) -> MembershipPauses:
        from ..services.memberships.pauses import MembershipPauses

        return MembershipPauses(self.businesses, self.membership_store, self.member_store, self.lifecycle,
                                self.stripe_connect, lambda: self.mailer,
                                lambda *a: self.bookings.cancel_for_pause(*a), lambda: self.event_queue)

    @cached_property
    def hold_release(self) -> HoldReleaseSchedule:
        from ..services.memberships.holds import HoldReleaseSchedule

        return HoldReleaseSchedule(self.booking_store, self.checkout_store, self.schedule_state)

    @cached_property
    def checkout_handlers(self) -> dict[str, CheckoutHandler]:
        """Paid checkouts: purpose -> what completing one means (each feature owns its own)."""
        return {"pass": self.passes.complete_checkout, "membership": self.checkout_completion.complete,
                "booking": self.card_booking_completion.complete, "course": self.course_completion.complete}

    @cached_property
    def card_payment(self) -> CardPayment:
        from ..services.card_bookings import CardPayment

        return CardPayment(self.checkout_store, self.booking_store, self.catalogue_store, self.stripe_connect,
                           self.settings.public_base_url, records=self.payment_records)

    @cached_property
    def card_booking_completion(self) -> CardBookingCompletion:
        from ..services.card_bookings import CardBookingCompletion

        return CardBookingCompletion(self.checkout_store, self.checkout_completion.settle_held, self.businesses,
                                     self.customer_store, lambda: self.mailer)

    @cached_property
    def stripe_events(self) -> StripeEventConsumer:
        from ..adapters.stripe_objects import parse_event
        from ..services.stripe_events import StripeEventConsumer

        return StripeEventConsumer(self.processed_events, self.lifecycle, self.membership_checkout.release,
                                   self.membership_store, self.member_store, self.checkout_handlers, self.stripe_connect,
                                   lambda: self.mailer, lambda: self.event_queue, parse=parse_event,
                                   connect=lambda: self.stripe_connect, livemode=self.settings.stripe_livemode,
                                   payment_records=self.payment_records)

    @cached_property
    def webhooks(self) -> StripeWebhookReceiver:
        from ..adapters.stripe_signatures import StripeSignatures
        from ..services.webhooks import StripeWebhookReceiver

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
            "customer_erasure": lambda body: self.customer_erasure.run(body),
            "additional_user_invitation": lambda body: self.additional_user_invitations.deliver(body),
            "customer_export": lambda body: self.customer_export.run(body),
            "broadcast_page": lambda body: self.broadcasts.send_page(body),
            "booking_notice": self.booking_notices.deliver,
            "waitlist_promotion": lambda body: self.waitlist_promotion.handle(body),
            "membership_pause_batch": lambda body: self.membership_pauses.pause_batch(body),
            "membership_pause_step": lambda body: self.membership_pauses.step_message(body),
        }

    @cached_property
    def payment_records(self) -> PaymentRecords:
        """B6: the payments record of each customer."""
        from ..adapters.dynamodb.payment_records import PaymentRecordRepository
        from ..services.payment_records import PaymentRecords

        return PaymentRecords(PaymentRecordRepository())
