"""B7: member tickets in a membership basket spend offer uses of the new member's first period.

At hold time the basket is checked against the terms the buyer will join with, the way ``choose_offer``
picks an offer later (unlimited offers first, then in the order they were created): a basket needing
more uses than the first period gives is refused before any place is held, naming the rule.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import RuleRefusedError

if TYPE_CHECKING:
    from datetime import datetime

    from .catalogue import Ticket
    from .groups import Group


class BasketAllowance:
    def __init__(self, group: Group, joins_at: datetime) -> None:
        held = [(o, o.terms_for(joins_at)) for o in group.offers if o.enabled]
        self.offers = sorted(held, key=lambda ot: ot[1].usage.limited)
        self.left = {o.offer_id: t.usage.uses or 0 for o, t in self.offers if t.usage.limited}

    def take(self, index: int, page_id: str, ticket: Ticket, seats: int) -> bool:
        """Count the ticket's seats against the first offer that still covers them, or refuse. True when an
        offer use pays the ticket (then it is no line of the checkout: a booking is paid one way, never twice)."""
        fits = [(o, t) for o, t in self.offers
                if t.scope.covers(page_id, ticket.ticket_id) and seats - 1 <= t.max_additional_attendees]
        if not fits:
            return False  # no offer pays this ticket: the attendee rule refuses elsewhere, or the checkout pays it
        for offer, terms in fits:
            if not terms.usage.limited:
                return True
            if seats <= self.left[offer.offer_id]:
                self.left[offer.offer_id] -= seats
                return True
        allowed = max(t.usage.uses or 0 for _, t in fits)
        raise RuleRefusedError(
            "no_uses_left", f"tickets.{index}: the basket needs more uses than the membership's offer gives in the "
            f"first period ({allowed} allowed).", uses_allowed=allowed)
