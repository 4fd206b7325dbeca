"""What the container offers, piece by piece: each piece is built by one of the feature modules
beside this one (``tenancy``, ``bookings``, ``offers``, ``memberships``, ``edges``) as a ``cached_property``.
The declarations exist for the type checker only, so a feature module can use another's pieces.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..adapters.dynamodb.bookings import BookingRepository
    from ..adapters.dynamodb.catalogue import CatalogueRepository
    from ..adapters.dynamodb.customers import CustomerRepository
    from ..adapters.dynamodb.schedule_state import ScheduleState
    from ..adapters.dynamodb.tenancy import BusinessRepository
    from ..adapters.event_queue import EventQueue
    from ..config import Settings
    from ..ports.courses import EnrolmentStore, SessionHolds
    from ..ports.groups import GroupMemberStore, GroupStore
    from ..ports.memberships import CheckoutStore, HeldPlaces, MembershipStore, MemberStore, ProcessedEventLedger
    from ..ports.messaging import MailerPort, SmsSender
    from ..ports.passes import PassStore
    from ..ports.payments import CheckoutHandler, PaymentPlatform
    from ..ports.queue import BlobStore
    from ..ports.staff import StaffStore
    from ..ports.waitlists import WaitlistStore
    from ..services.access import AccessService
    from ..services.booking_notices import BookingNotices
    from ..services.bookings import BookingService
    from ..services.broadcasts import BroadcastService
    from ..services.business import BusinessService
    from ..services.card_bookings import CardBookingCompletion, CardPayment
    from ..services.catalogue import CatalogueService
    from ..services.contact_preferences import ContactPreferences
    from ..services.course_enrolment import CourseEnrolment
    from ..services.courses import CourseCatalogue, CourseCheckout, CourseCompletion
    from ..services.customer_data import CustomerData
    from ..services.customer_deletion import CustomerDeletion
    from ..services.customer_erasure import CustomerErasure
    from ..services.customer_invitations import AdditionalUserInvitations
    from ..services.customers import CustomerService
    from ..services.email_feedback import EmailFeedback
    from ..services.exports import CustomerExport
    from ..services.groups import GroupService
    from ..services.membership_lifecycle import MembershipLifecycle
    from ..services.memberships.catalogue import MembershipCatalogue
    from ..services.memberships.checkout import BasketCheckout
    from ..services.memberships.completion import CheckoutCompletion
    from ..services.memberships.holds import HoldReleaseSchedule
    from ..services.memberships.members import MemberActions
    from ..services.memberships.pauses import MembershipPauses
    from ..services.memberships.portal_links import PortalLinks
    from ..services.passes import PassService
    from ..services.payment_records import PaymentRecords
    from ..services.plans import PlanService
    from ..services.staff import StaffService
    from ..services.stripe_connect import StripeConnect
    from ..services.stripe_events import StripeEventConsumer
    from ..services.unsubscribe import UnsubscribeLinks
    from ..services.usage_periods import UsagePeriodService
    from ..services.waitlist_promotion import WaitlistPromotion
    from ..services.waitlists import PlacesFreed, WaitlistService, WaitlistSweep
    from ..services.webhooks import StripeWebhookReceiver


class Pieces:
    settings: Settings

    if TYPE_CHECKING:
        @property
        def businesses(self) -> BusinessRepository: ...

        @property
        def customer_store(self) -> CustomerRepository: ...

        @property
        def access(self) -> AccessService: ...

        @property
        def staff_store(self) -> StaffStore: ...

        @property
        def staff(self) -> StaffService: ...

        @property
        def plans(self) -> PlanService: ...

        @property
        def business(self) -> BusinessService: ...

        @property
        def customers(self) -> CustomerService: ...

        @property
        def customer_deletion(self) -> CustomerDeletion: ...

        @property
        def customer_erasure(self) -> CustomerErasure: ...

        @property
        def additional_user_invitations(self) -> AdditionalUserInvitations: ...

        @property
        def customer_export(self) -> CustomerExport: ...

        @property
        def broadcasts(self) -> BroadcastService: ...

        @property
        def customer_data(self) -> CustomerData: ...

        @property
        def email_feedback(self) -> EmailFeedback: ...

        @property
        def sms_sender(self) -> SmsSender: ...

        @property
        def unsubscribe_links(self) -> UnsubscribeLinks: ...

        @property
        def contact_preferences(self) -> ContactPreferences: ...

        @property
        def catalogue_store(self) -> CatalogueRepository: ...

        @property
        def catalogue(self) -> CatalogueService: ...

        @property
        def booking_store(self) -> BookingRepository: ...

        @property
        def bookings(self) -> BookingService: ...

        @property
        def booking_notices(self) -> BookingNotices: ...

        @property
        def group_store(self) -> GroupStore: ...

        @property
        def group_members(self) -> GroupMemberStore: ...

        @property
        def groups(self) -> GroupService: ...

        @property
        def schedule_state(self) -> ScheduleState: ...

        @property
        def usage_periods(self) -> UsagePeriodService: ...

        @property
        def pass_store(self) -> PassStore: ...

        @property
        def passes(self) -> PassService: ...

        @property
        def membership_store(self) -> MembershipStore: ...

        @property
        def member_store(self) -> MemberStore: ...

        @property
        def checkout_store(self) -> CheckoutStore: ...

        @property
        def processed_events(self) -> ProcessedEventLedger: ...

        @property
        def held_places(self) -> HeldPlaces: ...

        @property
        def lifecycle(self) -> MembershipLifecycle: ...

        @property
        def membership_catalogue(self) -> MembershipCatalogue: ...

        @property
        def membership_checkout(self) -> BasketCheckout: ...

        @property
        def checkout_completion(self) -> CheckoutCompletion: ...

        @property
        def portal_links(self) -> PortalLinks: ...

        @property
        def member_actions(self) -> MemberActions: ...

        @property
        def membership_pauses(self) -> MembershipPauses: ...

        @property
        def hold_release(self) -> HoldReleaseSchedule: ...

        @property
        def checkout_handlers(self) -> dict[str, CheckoutHandler]: ...

        @property
        def card_payment(self) -> CardPayment: ...

        @property
        def card_booking_completion(self) -> CardBookingCompletion: ...

        @property
        def stripe_events(self) -> StripeEventConsumer: ...

        @property
        def payment_records(self) -> PaymentRecords: ...

        @property
        def webhooks(self) -> StripeWebhookReceiver: ...

        @property
        def queue_handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]: ...

        @property
        def mailer(self) -> MailerPort: ...

        @property
        def event_queue(self) -> EventQueue: ...

        @property
        def blob_store(self) -> BlobStore: ...

        @property
        def payments(self) -> PaymentPlatform | None: ...

        @property
        def stripe_connect(self) -> StripeConnect: ...

        def payment_platform(self) -> PaymentPlatform: ...

        @property
        def waitlist_store(self) -> WaitlistStore: ...

        @property
        def places_freed(self) -> PlacesFreed: ...

        @property
        def waitlists(self) -> WaitlistService: ...

        @property
        def waitlist_promotion(self) -> WaitlistPromotion: ...

        @property
        def waitlist_sweep(self) -> WaitlistSweep: ...

        # courses (S): bootstrap/courses.py
        @property
        def enrolment_store(self) -> EnrolmentStore: ...

        @property
        def session_holds(self) -> SessionHolds: ...

        @property
        def course_catalogue(self) -> CourseCatalogue: ...

        @property
        def course_checkout(self) -> CourseCheckout: ...

        @property
        def course_completion(self) -> CourseCompletion: ...

        @property
        def course_enrolment(self) -> CourseEnrolment: ...
