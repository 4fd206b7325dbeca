"""Group and offer use cases on in-memory stores: adding members, spending a use, moving periods on."""
from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.bookings import OfferUseRef
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.groups import GroupService, NewGroup, NewMembers, NewOffer, OfferUse, ScopeTerms, UsageTerms
from chalicelib.services.usage_periods import UsagePeriodService
from tests.fakes.groups import InMemoryGroupMembers, InMemoryGroups

BIZ = Business("biz-a", "Studio", Plan.STANDARD, "Europe/Berlin")
STAFF = StaffContext(BIZ, "staff-1")


class Pages:
    def get_page(self, business_id: str, page_id: str) -> SchedulePage:
        return SchedulePage(business_id, page_id, "Members")


class Businesses:
    def get(self, business_id: str) -> Business:
        return BIZ


class Watermarks:
    def __init__(self) -> None:
        self.marks: dict[str, datetime] = {}

    def watermark(self, name: str) -> datetime | None:
        return self.marks.get(name)

    def advance(self, name: str, to: datetime) -> None:
        self.marks[name] = max(to, self.marks.get(name, to))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_members_added_spend_monthly_uses_and_the_schedule_restarts_the_counter():
    groups = InMemoryGroups()
    members = InMemoryGroupMembers(groups)
    clock = [at("2030-01-31T10:00")]
    service = GroupService(Businesses(), groups, members, Pages(), clock=lambda: clock[0])
    group = service.create(STAFF, NewGroup("Gold"))
    offer = service.create_offer(STAFF, group.group_id, NewOffer(ScopeTerms(page_id="p1"), usage=UsageTerms("per_period", 2, "month")))
    added = service.add_members(STAFF, group.group_id, NewMembers("m@x.org, M@x.org; not-an-email"))
    assert (added.added, added.already_members, added.invalid) == (1, 0, 1)
    assert [r.status for r in added.results] == ["added", "duplicate", "invalid"]

    entry = Entry("biz-a", "e1", "p1", "Class", at("2031-01-01T10:00"), at("2031-01-01T11:00"), capacity=10,
                  tickets=(Ticket("t1", "M", 0, "EUR", exclusive_group_id=group.group_id),))
    settlement = OfferUse(members, clock=lambda: clock[0]).settle(BIZ, entry, entry.ticket("t1"), "m@x.org", 1)
    ref = settlement.ref
    assert isinstance(ref, OfferUseRef) and (ref.offer_id, ref.uses_limit, ref.starts_period) == (offer.offer_id, 2, True)
    # What the booking transaction would write:
    members.usage[group.group_id, "m@x.org"][offer.offer_id] = {
        "period": ref.period, "used": 1, "tz": ref.tz, "unit": ref.unit, "ends_at": ref.period_ends_at}

    clock[0] = at("2030-03-01T10:00")  # past the period's end (28 Feb, Berlin)
    report = UsagePeriodService(members, Watermarks(), clock=lambda: clock[0]).run()
    assert (report.due, report.rolled) == (1, 1)
    [counter] = members.usage[group.group_id, "m@x.org"].values()
    assert counter["used"] == 0 and counter["period"] != ref.period


def test_my_allowances_never_exceed_the_limit_and_lose_no_row_when_one_member_page_has_more():
    groups = InMemoryGroups()
    members = InMemoryGroupMembers(groups)
    service = GroupService(Businesses(), groups, members, Pages(), clock=lambda: at("2030-01-31T10:00"))
    made = set()
    for name, offers in (("A", 3), ("B", 0), ("C", 2)):  # B has no offers: it adds no row
        group = service.create(STAFF, NewGroup(name))
        for _ in range(offers):
            offer = service.create_offer(STAFF, group.group_id, NewOffer(ScopeTerms(page_id="p1"), usage=UsageTerms("unlimited")))
            made.add(offer.offer_id)
        service.add_members(STAFF, group.group_id, NewMembers("m@x.org"))
    booker = BookerContext(BIZ, "booker-m", "m@x.org", Customer("biz-a", "m@x.org"))
    for limit in (1, 2, 3, 5):
        seen, page = [], service.my_allowances(booker, PageRequest(limit))
        while True:
            assert len(page.items) <= limit
            seen += [a.offer.offer_id for a in page.items]
            if page.next_key is None:
                break
            page = service.my_allowances(booker, PageRequest(limit, page.next_key))
        assert sorted(seen) == sorted(made), limit
