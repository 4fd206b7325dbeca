"""``use_returned`` on a cancelled booking says what really happened: true only when a use went back."""
from __future__ import annotations

import time_machine

from chalicelib.bootstrap import container
from tests.integration.test_usage_period_schedule import at, book, booker, setup_member, stored


def cancel(booking_id: str, when: str):
    with time_machine.travel(at(when), tick=False):
        return container().bookings.cancel_mine(booker(), booking_id)


def test_use_returned_only_when_the_period_still_counts_it(aws):
    gid = setup_member()
    book("2030-02-10T09:00")
    [february] = container().bookings.bookings.for_booker("biz-a", "m@x.org")
    book("2030-03-05T09:00")
    march = next(b for b in container().bookings.bookings.for_booker("biz-a", "m@x.org") if b.booking_id != february.booking_id)

    past = cancel(february.booking_id, "2030-03-06T09:00")  # its period is over: nothing to give back
    assert past.use_returned is False
    assert container().bookings.bookings.get("biz-a", february.booking_id).use_returned is False
    assert stored(gid)[:2] == ("2030-02-28", 1)

    current = cancel(march.booking_id, "2030-03-06T10:00")
    assert current.use_returned is True
    assert container().bookings.bookings.get("biz-a", march.booking_id).use_returned is True
    assert stored(gid)[:2] == ("2030-02-28", 0)
