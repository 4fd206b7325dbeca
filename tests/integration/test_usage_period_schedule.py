"""The usage-period scheduler with frozen time: on time, late, twice, never; month ends and DST in Berlin.

Bookings never wait for it (they compute the period from the anchor); it only makes the stored
counters catch up, reading the due members alone.
"""
from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from bench.usage_periods import measure
from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.adapters.dynamodb.groups import GroupMemberModel, raw_usage
from chalicelib.bootstrap import container
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.tenancy import Caller, Feature
from chalicelib.services.bookings import BookTickets
from chalicelib.services.groups import NewGroup, NewMembers, NewOffer, ScopeTerms, UsageTerms
from tests.conftest import grant_staff, make_business


def staff() -> StaffContext:
    return container().access.staff(Caller("staff-biz-a"), Feature.CUSTOMER_GROUPS)


def booker() -> BookerContext:
    return container().access.booker(Caller("m", email="m@x.org"), "biz-a", None)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def setup_member() -> str:
    """Member since 31 Jan 2030 (Berlin) with 2 uses a month; an entry far in the future to book."""
    make_business("biz-a")
    grant_staff("biz-a", "staff-biz-a")
    c = container()
    c.catalogue.catalogue.save_page(SchedulePage("biz-a", "p1", "Members"))
    with time_machine.travel(at("2030-01-31T10:00"), tick=False):
        group = c.groups.create(staff(), NewGroup(name="Gold"))
        c.groups.create_offer(staff(), group.group_id, NewOffer(ScopeTerms(page_id="p1"), usage=UsageTerms("per_period", 2, "month")))
        c.groups.add_members(staff(), group.group_id, NewMembers(emails="m@x.org"))
    c.catalogue.catalogue.save_entry(Entry("biz-a", "e1", "p1", "Class", at("2031-01-01T10:00"), at("2031-01-01T11:00"),
                                           capacity=100, tickets=(Ticket("t1", "M", 0, "EUR", exclusive_group_id=group.group_id),)))
    return group.group_id


def book(when: str) -> None:
    with time_machine.travel(at(when), tick=False):
        container().bookings.book(booker(), BookTickets(entry_id="e1", ticket_id="t1"))


def run(when: str):
    with time_machine.travel(at(when), tick=False):
        return container().usage_periods.run()


def stored(group_id: str) -> tuple[str, int, str | None]:
    m = GroupMemberModel.get(group_id, "m@x.org")
    [counter] = raw_usage(m).values()
    return counter["period"], int(counter["used"]), m.next_reset_at.isoformat() if m.next_reset_at else None


def test_on_time_twice_late_and_never(aws):
    gid = setup_member()
    book("2030-02-10T09:00")
    book("2030-02-11T09:00")
    # Period from 31 Jan ends at 28 Feb 00:00 Berlin = 27 Feb 23:00 UTC.
    assert stored(gid) == ("2030-01-31", 2, "2030-02-27T23:00:00+00:00")
    assert run("2030-02-27T22:59").due == 0  # not yet
    report = run("2030-02-27T23:05")
    assert (report.due, report.rolled) == (1, 1)
    # Next: 31 March 00:00 Berlin. In 2030 summer time starts later that night, so still UTC+1.
    assert stored(gid) == ("2030-02-28", 0, "2030-03-30T23:00:00+00:00")
    assert run("2030-02-27T23:10").due == 0  # twice: nothing left to do
    # The scheduler then does not run for two months; bookings still see the right period.
    book("2030-04-05T09:00")
    assert stored(gid)[:2] == ("2030-03-31", 1)
    book("2030-05-02T09:00")  # period from 30 April (31 clamps): a fresh allowance
    assert stored(gid)[:2] == ("2030-04-30", 1)
    # It comes back late: the bookings already moved the counter (and its due time), so nothing is due.
    assert run("2030-05-03T12:00").due == 0
    assert stored(gid) == ("2030-04-30", 1, "2030-05-30T22:00:00+00:00")  # 31 May 00:00 CEST


def test_skipped_runs_catch_up_across_dst_and_month_ends(aws):
    gid = setup_member()
    book("2030-02-10T09:00")
    # First run after months of silence (no watermark yet): rolled straight to the current period.
    report = run("2030-07-01T08:00")
    assert (report.due, report.rolled) == (1, 1)
    assert stored(gid) == ("2030-06-30", 0, "2030-07-30T22:00:00+00:00")
    # Booking right after the DST-shifted boundary counts in the new period, before any run.
    book("2030-07-30T22:30")
    assert stored(gid)[:2] == ("2030-07-31", 1)
    assert EntryModel.get("biz-a", "e1").booked == 2


def test_cancel_in_a_later_period_does_not_touch_the_new_counter(aws):
    gid = setup_member()
    book("2030-02-10T09:00")
    [booking] = container().bookings.bookings.for_booker("biz-a", "m@x.org")
    book("2030-03-05T09:00")  # new period: counter 2030-02-28 used 1
    with time_machine.travel(at("2030-03-06T09:00"), tick=False):
        container().bookings.cancel_mine(booker(), booking.booking_id)
    assert stored(gid)[:2] == ("2030-02-28", 1)


def test_reads_follow_the_due_members_not_all_members(aws):
    figures = measure(members=400, due=8)
    assert (figures["due"], figures["rolled"]) == (8, 8)
    assert figures["items_read"] <= 1.1 * 8 + 1  # the due members, plus the watermark item
    assert figures["second_run_due"] == 0 and figures["second_run_items_read"] <= 1
