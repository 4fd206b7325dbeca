"""X1 on the in-memory fakes: the pause schedule acts on the start day, three days before the end and on
the end day — Stripe paused and resumed once each (one idempotency key per pause), each email once —
however often the schedule or a redelivered message runs; the schedule reads only the days' index."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.context import StaffContext
from chalicelib.domain.memberships import Membership, PriceOption
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.membership_lifecycle import MembershipLifecycle
from chalicelib.services.memberships.pauses import MembershipPauses, PauseRequest
from chalicelib.workers.memberships import enqueue_pause_steps
from tests.fakes.memberships import FakeBusinesses, FakeGroups, FakeMailer, FakeQueue, InMemoryMembers, InMemoryMemberships
from tests.fakes.payments import FakePayments, OneAccount

BIZ = Business("biz", "Studio", Plan("standard"), "UTC")
STAFF = StaffContext(BIZ, "staff-1")
DAY0 = date(2030, 5, 1)


class KeyedPayments(FakePayments):
    """Records each pause/resume with its idempotency key (Stripe replays a repeated key)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[str, str]] = []

    def pause_subscription(self, subscription_id: str, key: str) -> Any:
        self.keys.append(("pause", key))
        return super().pause_subscription(subscription_id, key)

    def resume_subscription(self, subscription_id: str, key: str) -> Any:
        self.keys.append(("resume", key))
        return super().resume_subscription(subscription_id, key)


class Schedule:
    """What ``enqueue_pause_steps`` needs of the container; its messages are handled at once."""

    def __init__(self, members: InMemoryMembers) -> None:
        self.member_store = members
        self.event_queue = FakeQueue()
        self.mark: datetime | None = None
        self.schedule_state = self

    def watermark(self, name: str) -> datetime | None:
        return self.mark

    def advance(self, name: str, at: datetime) -> None:
        self.mark = at


class World:
    def __init__(self) -> None:
        self.now = datetime(2030, 5, 1, 9, tzinfo=UTC)
        self.payments = KeyedPayments()
        self.members = InMemoryMembers()
        self.mailer = FakeMailer()
        self.groups = FakeGroups()
        self.cancelled: list[tuple[str, str]] = []
        memberships = InMemoryMemberships(Membership("biz", "m1", "Gold", "", True, (), "g1", "prod_1",
                                                     (PriceOption("o1", "Monthly", 3000, "EUR", "month", 1, "price_1"),)))
        def clock() -> datetime:
            """Moves a millisecond per reading: each provider read is later than the one before."""
            self.now += timedelta(milliseconds=1)
            return self.now
        self.lifecycle = MembershipLifecycle(FakeBusinesses(), memberships, self.members, lambda: self.groups,
                                             OneAccount(self.payments), lambda: self.mailer, clock)
        self.pauses = MembershipPauses(FakeBusinesses(), memberships, self.members, self.lifecycle,  # type: ignore[arg-type]
                                       OneAccount(self.payments), lambda: self.mailer,
                                       lambda b, email, gid, p: self.cancelled.append((email, p.pause_id)) or 0,  # type: ignore[func-returns-value]
                                       lambda: FakeQueue(), clock)
        self.pauses.businesses = type("Businesses", (), {"get": lambda _, b: BIZ})()  # type: ignore[assignment]
        self.payments.add_subscription("sub_1", metadata={"business_id": "biz", "membership_id": "m1",
                                                          "customer_email": "ann@example.com"})
        self.lifecycle.sync("biz", "sub_1")
        self.schedule = Schedule(self.members)

    def run_schedule(self, on: date, times: int = 1) -> int:
        handled = 0
        for _ in range(times):
            self.now = datetime(on.year, on.month, on.day, 9, tzinfo=UTC)
            self.schedule.event_queue.sent.clear()
            enqueue_pause_steps(self.schedule, self.now)
            for kind, body in self.schedule.event_queue.sent:
                assert kind == "membership_pause_step"
                self.pauses.step_message(body)
                self.pauses.step_message(body)  # a redelivered message
                handled += 1
        return handled

    def emails(self) -> list[str]:
        return sorted(template for template, *_ in self.mailer.outbox)


def test_a_planned_pause_starts_reminds_and_ends_on_its_days_once_each():
    w = World()
    record = w.pauses.pause(STAFF, "sub_1", PauseRequest(DAY0 + timedelta(days=2), DAY0 + timedelta(days=12)))
    assert record.status == "active" and record.pause_day == DAY0 + timedelta(days=2)
    assert w.payments.keys == [] and w.cancelled == [("ann@example.com", record.pauses[0].pause_id)]
    assert w.groups.pauses["ann@example.com"] == record.pauses  # bookings are refused from now on for those days

    assert w.run_schedule(DAY0 + timedelta(days=1)) == 0  # nothing due yet
    assert w.run_schedule(DAY0 + timedelta(days=2), times=2) == 1  # the watermark: the day is read once
    pid = record.pauses[0].pause_id
    assert w.payments.keys == [("pause", f"sub_1:{pid}")]
    assert w.members.get("biz", "sub_1").status == "paused" and w.emails() == ["membership_paused"]

    w.run_schedule(DAY0 + timedelta(days=9))  # three days before the end
    assert w.emails() == ["membership_pause_ending", "membership_paused"]
    w.run_schedule(DAY0 + timedelta(days=12))
    assert w.payments.keys == [("pause", f"sub_1:{pid}"), ("resume", f"sub_1:{pid}")]
    after = w.members.get("biz", "sub_1")
    assert after.status == "active" and after.pause_day is None and after.in_group
    assert w.emails() == ["membership_pause_ending", "membership_paused", "membership_resumed"]
    w.run_schedule(DAY0 + timedelta(days=13))
    assert len(w.payments.keys) == 2 and len(w.mailer.outbox) == 3


def test_a_late_schedule_catches_up_on_the_days_it_missed():
    w = World()
    w.pauses.pause(STAFF, "sub_1", PauseRequest(DAY0 + timedelta(days=1), DAY0 + timedelta(days=5)))
    w.run_schedule(DAY0)
    w.schedule.mark = datetime(2030, 5, 1, 9, tzinfo=UTC)
    w.run_schedule(DAY0 + timedelta(days=7))  # down for a week: start, reminder and end all read now
    assert [action for action, _ in w.payments.keys] == []  # the pause was over before it could start on Stripe
    assert w.members.get("biz", "sub_1").status == "active"
    assert w.emails() == ["membership_resumed"]


def test_staff_pause_today_is_applied_at_once_and_resume_today_ends_it():
    w = World()
    paused = w.pauses.pause(STAFF, "sub_1", PauseRequest(DAY0, None))
    assert paused.status == "paused" and paused.in_group and w.emails() == ["membership_paused"]
    resumed = w.pauses.resume(STAFF, "sub_1")
    assert resumed.status == "active" and resumed.pauses[0].resumes_on == DAY0
    assert [a for a, _ in w.payments.keys] == ["pause", "resume"] and "membership_resumed" in w.emails()


def test_a_pause_the_schedule_never_saw_start_ends_with_one_email_telling_all_and_no_stripe_call():
    """Decided: a pause already over when the schedule first sees it is not paused on Stripe after the fact
    (it would restart the billing cycle today for days gone); the member gets the resumed email only, naming
    the pause's days and that billing ran on."""
    from chalicelib.adapters.ses_email import JinjaRenderer

    w = World()
    w.pauses.pause(STAFF, "sub_1", PauseRequest(DAY0 + timedelta(days=1), DAY0 + timedelta(days=5)))
    w.schedule.mark = datetime(2030, 5, 1, 9, tzinfo=UTC)
    w.run_schedule(DAY0 + timedelta(days=6), times=2)
    assert w.payments.keys == [] and w.emails() == ["membership_resumed"]
    _, _, context, _ = w.mailer.outbox[0]
    text = JinjaRenderer().render("membership_resumed", context)[2]
    assert "was paused from Thu 2 May 2030 until Mon 6 May 2030" in text
    assert "billing was not paused" in text

    on_time = World()  # the schedule ran on the start day: Stripe paused and resumed, no such sentence
    on_time.pauses.pause(STAFF, "sub_1", PauseRequest(DAY0 + timedelta(days=1), DAY0 + timedelta(days=5)))
    on_time.run_schedule(DAY0 + timedelta(days=1))
    on_time.run_schedule(DAY0 + timedelta(days=5))
    assert [a for a, _ in on_time.payments.keys] == ["pause", "resume"]
    resumed = next(c for t, _, c, _ in on_time.mailer.outbox if t == "membership_resumed")
    assert "billing was not paused" not in JinjaRenderer().render("membership_resumed", resumed)[2]
