"""The composition root's pieces for waitlists (X2; see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .pieces import Pieces

if TYPE_CHECKING:
    from ..adapters.dynamodb.waitlists import WaitlistRepository
    from ..services.waitlist_promotion import WaitlistPromotion
    from ..services.waitlists import PlacesFreed, WaitlistService, WaitlistSweep


class WaitlistPieces(Pieces):
    @cached_property
    def waitlist_store(self) -> WaitlistRepository:
        from ..adapters.dynamodb.waitlists import WaitlistRepository

        return WaitlistRepository(self.booking_store)

    @cached_property
    def places_freed(self) -> PlacesFreed:
        """Called by the booking and catalogue stores after a write that gave places back committed."""
        from ..services.waitlists import PlacesFreed

        return PlacesFreed(lambda: self.event_queue, lambda: self.waitlist_store)

    @cached_property
    def waitlists(self) -> WaitlistService:
        from ..services.waitlists import WaitlistService

        return WaitlistService(self.catalogue_store, self.waitlist_store, self.bookings, self.places_freed)

    @cached_property
    def waitlist_promotion(self) -> WaitlistPromotion:
        from ..services.waitlist_promotion import WaitlistPromotion

        return WaitlistPromotion(self.catalogue_store, self.waitlist_store, self.bookings, self.businesses,
                                 lambda: self.mailer)

    @cached_property
    def waitlist_sweep(self) -> WaitlistSweep:
        """Run with the hold-release schedule: promotions whose signal was lost."""
        from ..services.waitlists import WaitlistSweep

        return WaitlistSweep(self.catalogue_store, self.waitlist_store, lambda: self.event_queue)
