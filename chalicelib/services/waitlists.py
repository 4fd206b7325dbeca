"""Waitlists (X2): bookers join a full entry's list, see their place and leave; staff see, move and remove.

Joining asks the booking's payment methods now (B2's order, nothing spent), so a sign-up that could not
pay is refused at once rather than skipped later. Places coming back are signalled by the stores
(``PlacesFreed``): the events worker then promotes (``waitlist_promotion``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..domain.bookings import check_request
from ..domain.emails import normalise_email
from ..domain.errors import InvalidInputError, NotFoundError, RuleRefusedError
from ..domain.waitlists import POSITION_GAP, Waiter, check_offer_choice, join_position, position_between
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import BookerContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..ports.catalogue import CatalogueStore
    from ..ports.messaging import EventQueuePort
    from ..ports.waitlists import PlacesFreedSignal, WaitlistStore
    from .bookings import BookingService

MESSAGE_KIND = "waitlist_promotion"


@dataclass(frozen=True)
class JoinWaitlist:
    entry_id: str
    ticket_id: str
    participants: tuple[str, ...] = ()
    pay_with: str = "auto"  # auto | offer | pass | card


@dataclass(frozen=True)
class MoveWaiter:
    email: str
    place: int  # 1 = next in line


@dataclass(frozen=True)
class RemoveWaiter:
    email: str


class PlacesFreed:
    """``PlacesFreedSignal``: queues a promotion after a write that gave places back committed, only when
    someone waits (the entry's count, read after the commit).

    Nothing is lost to a join racing the cancellation: the join writes its count *then* re-reads the
    places (consistently), the cancellation frees places *then* reads the count; whichever read comes
    second sees the other's write and signals. A message lost to the queue only delays: the next
    signal, or the hold-release schedule's sweep (``WaitlistSweep``), promotes into every free place.
    """

    def __init__(self, queue: Callable[[], EventQueuePort], waitlist: Callable[[], WaitlistStore]) -> None:
        self.queue = queue
        self.waitlist = waitlist

    def __call__(self, business_id: str, entry_id: str) -> None:
        try:
            if self.waitlist().waiting(business_id, entry_id) < 1:
                return
            self.queue().send(MESSAGE_KIND, {"business_id": business_id, "entry_id": entry_id})
        except Exception as exc:
            logger.warning("waitlist promotion not queued", extra={"entry_id": entry_id, "error": repr(exc)})


class WaitlistSweep:
    """The safety net for lost signals: entries someone waits for that have free places get a promotion
    queued. Run by the hold-release schedule; reads the waitlist heads' index, then each such entry."""

    def __init__(self, catalogue: CatalogueStore, waitlist: WaitlistStore, queue: Callable[[], EventQueuePort],
                 clock: Clock = utc_now) -> None:
        self.catalogue = catalogue
        self.waitlist = waitlist
        self.queue = queue
        self.clock = clock

    def run(self) -> int:
        now, queued = self.clock(), 0
        for business_id, entry_id in self.waitlist.entries_waiting(now):
            try:
                entry = self.catalogue.get_entry(business_id, entry_id)
            except NotFoundError:
                continue
            if entry.places_left > 0 and entry.published and entry.starts_at > now:
                self.queue().send(MESSAGE_KIND, {"business_id": business_id, "entry_id": entry_id})
                queued += 1
        return queued


class WaitlistService:
    def __init__(self, catalogue: CatalogueStore, waitlist: WaitlistStore, bookings: BookingService,
                 places_freed: PlacesFreedSignal | None = None, clock: Clock = utc_now) -> None:
        self.catalogue = catalogue
        self.waitlist = waitlist
        self.bookings = bookings
        self.places_freed = places_freed
        self.clock = clock

    def join(self, ctx: BookerContext, body: JoinWaitlist) -> Waiter:
        business, email = ctx.business, ctx.account_email
        entry = self.catalogue.get_entry(ctx.business_id, body.entry_id)
        ticket = entry.ticket(body.ticket_id)
        participants = tuple(body.participants)
        seats = 1 + len(participants)
        now = self.clock()
        check_offer_choice(body.pay_with, ticket.exclusive)
        check_request(entry, ticket, participants, now, places=False,
                      page_published=self.catalogue.get_page(ctx.business_id, entry.page_id).published)
        if entry.places_left >= seats:
            raise RuleRefusedError("places_free", f"This entry has {entry.places_left} places left: book instead.",
                                   places_left=entry.places_left)
        if seats > entry.capacity:
            raise RuleRefusedError("more_than_capacity", f"This entry holds {entry.capacity} people in all.",
                                   capacity=entry.capacity)
        waiter = Waiter(business_id=ctx.business_id, entry_id=entry.entry_id, email=email, waiter_id=new_id(),
                        ticket_id=ticket.ticket_id, participants=participants, pay_with=body.pay_with,
                        position=join_position(now), joined_at=now)
        # Would it pay today? Asked like a booking (nothing spent): refused now, not skipped later.
        self.bookings.settle_for(business, entry, ticket, email, seats, waiter.booking_pay_with)
        self.waitlist.add(waiter, entry.starts_at)
        # After the count is written: a cancellation that read the count before it freed its places now.
        if self.places_freed is not None and self.catalogue.get_entry(ctx.business_id, entry.entry_id,
                                                                      consistent=True).places_left > 0:
            self.places_freed(ctx.business_id, entry.entry_id)
        return replace(waiter, place=self.waitlist.ahead_of(waiter) + 1)

    def mine(self, ctx: BookerContext, page: PageRequest) -> Page[Waiter]:
        return self.waitlist.booker_page(ctx.business_id, ctx.account_email, page).map(self._placed)

    def my_place(self, ctx: BookerContext, entry_id: str) -> Waiter:
        return self._placed(self._get(ctx.business_id, entry_id, ctx.account_email))

    def leave(self, ctx: BookerContext, entry_id: str) -> Waiter:
        waiter = self._get(ctx.business_id, entry_id, ctx.account_email)
        if not self.waitlist.remove(waiter):
            raise NotFoundError("You are not on this entry's waitlist.")
        return waiter

    def for_entry(self, ctx: StaffContext, entry_id: str, page: PageRequest) -> Page[Waiter]:
        self.catalogue.get_entry(ctx.business_id, entry_id)
        return self.waitlist.entry_page(ctx.business_id, entry_id, page)

    def remove(self, ctx: StaffContext, entry_id: str, body: RemoveWaiter) -> Waiter:
        self.catalogue.get_entry(ctx.business_id, entry_id)
        waiter = self._get(ctx.business_id, entry_id, body.email)
        if not self.waitlist.remove(waiter):
            raise NotFoundError(f"'{body.email}' is not on this waitlist.")
        return waiter

    def move(self, ctx: StaffContext, entry_id: str, body: MoveWaiter) -> Waiter:
        """Put a waiter at ``place`` (1 = next in line; past the end = last) by rewriting its position only."""
        if body.place < 1:
            raise InvalidInputError("place starts at 1 (next in line).", field="place")
        self.catalogue.get_entry(ctx.business_id, entry_id)
        waiter = self._get(ctx.business_id, entry_id, body.email)
        others = [w for w in self.waitlist.first(ctx.business_id, entry_id, body.place + 1) if w.email != waiter.email]
        ahead, behind = others[:body.place - 1], others[body.place - 1:body.place]
        after = behind[0].position if behind else None
        position = position_between(ahead[-1].position if ahead else None, after)
        if position is None:  # neighbours on adjacent numbers: spread those ahead out below ``after``
            assert after is not None
            for i, w in enumerate(ahead):
                self._rewrite(w, after - POSITION_GAP * (len(ahead) + 1 - i))
            position = after - POSITION_GAP
        self.waitlist.move(waiter, position)
        return replace(waiter, position=position, place=len(ahead) + 1)

    def _rewrite(self, waiter: Waiter, position: int) -> None:
        try:
            self.waitlist.move(waiter, position)
        except NotFoundError:
            pass  # booked or left meanwhile: nothing to keep in order

    def _get(self, business_id: str, entry_id: str, email: str) -> Waiter:
        waiter = self.waitlist.find(business_id, entry_id, normalise_email(email) or email)
        if waiter is None:
            raise NotFoundError(f"'{email}' is not on this entry's waitlist.")
        return waiter

    def _placed(self, waiter: Waiter) -> Waiter:
        return replace(waiter, place=self.waitlist.ahead_of(waiter) + 1)


def drop_sign_ups(store: WaitlistStore, business_id: str, email: str, limit: int) -> int:
    """C6: a deleted or erased customer leaves every waitlist (a sign-up is no registration to keep or move);
    each removal also lowers the entry's waiting count, in its own transaction. How many went (0: none left)."""
    from ..domain.paging import PageRequest

    waiting = store.booker_page(business_id, email, PageRequest(limit=limit)).items
    for waiter in waiting:
        store.remove(waiter)  # False: gone meanwhile (left, promoted): the next page no longer lists it
    return len(waiting)
