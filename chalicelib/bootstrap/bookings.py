"""The composition root's pieces for catalogue and bookings (see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .pieces import Pieces

if TYPE_CHECKING:
    from ..adapters.dynamodb.bookings import BookingRepository
    from ..adapters.dynamodb.catalogue import CatalogueRepository
    from ..services.booking_notices import BookingNotices
    from ..services.bookings import BookingService
    from ..services.catalogue import CatalogueService


class BookingPieces(Pieces):
    @cached_property
    def catalogue_store(self) -> CatalogueRepository:
        from ..adapters.dynamodb.catalogue import CatalogueRepository

        return CatalogueRepository(on_freed=lambda business_id, entry_id: self.places_freed(business_id, entry_id))

    @cached_property
    def catalogue(self) -> CatalogueService:
        from ..services.catalogue import CatalogueService

        return CatalogueService(self.catalogue_store, group_exists=self.group_store.exists,
                                sessions=lambda: self.course_enrolment)

    @cached_property
    def booking_store(self) -> BookingRepository:
        from ..adapters.dynamodb.bookings import BookingRepository, SettlementWriter
        from ..domain.bookings import SettlementKind

        def offer_uses() -> SettlementWriter:
            from ..adapters.dynamodb.offer_uses import OfferUseWriter

            return OfferUseWriter()

        def pass_uses() -> SettlementWriter:
            from ..adapters.dynamodb.passes import PassSettlementWriter

            return PassSettlementWriter()

        # Each settlement kind adds its own conditional writes to the booking transaction; a writer's
        # module is imported on the first booking of its kind.
        # A cancellation gives places back: the waitlist's promotion is queued (X2).
        return BookingRepository(writers={SettlementKind.OFFER: offer_uses, SettlementKind.PASS: pass_uses},
                                 on_freed=lambda business_id, entry_id: self.places_freed(business_id, entry_id))

    @cached_property
    def bookings(self) -> BookingService:
        from ..services.bookings import BookingService, PaymentMethod, payment_methods

        def pass_payment() -> PaymentMethod:
            from ..services.passes import PassPayment

            return PassPayment(self.pass_store)

        def offer_use() -> PaymentMethod:
            from ..services.groups import OfferUse

            return OfferUse(self.group_members)

        from ..services.customers import KindPromotion

        # How a booking is paid: asked in order, the first that applies settles; each method (and its
        # feature's modules) is made only when a booking gets as far as asking it.
        methods = payment_methods(offer_use, pass_payment, lambda: self.card_payment)
        return BookingService(self.catalogue_store, self.booking_store, methods,
                              kinds=KindPromotion(self.customer_store, self.access), refunds=lambda: self.card_payment,
                              notify=lambda kind, b: self.booking_notices.enqueue(kind, b),
                              course_credit=lambda: self.course_enrolment)

    @cached_property
    def booking_notices(self) -> BookingNotices:
        from ..services.booking_notices import BookingNotices

        return BookingNotices(self.booking_store, self.catalogue_store, self.businesses, lambda: self.event_queue,
                              lambda: self.mailer)
