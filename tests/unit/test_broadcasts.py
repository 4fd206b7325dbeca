"""C4 email: pages through the queue, each recipient once, suppressed addresses logged not mailed."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.broadcasts import DeliveryState
from chalicelib.domain.context import StaffContext
from chalicelib.domain.customers import CustomerKind
from chalicelib.domain.errors import InvalidInputError, NotFoundError
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.broadcasts import PAGE, PAGE_KIND, BroadcastService, NewMessage
from tests.fakes.memberships import FakeQueue

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
STAFF = StaffContext(Business("biz", "Yoga Loft", Plan.STANDARD, "Europe/Berlin"), "staff-1")


class Store:
    def __init__(self):
        self.items = {}

    def save(self, b):
        self.items[(b.business_id, b.message_id)] = b

    def get(self, business_id, message_id):
        if (business_id, message_id) not in self.items:
            raise NotFoundError("no such message")
        return self.items[(business_id, message_id)]


class Audience:
    def __init__(self, emails):
        self.emails = emails

    def page(self, business_id, kind, cursor, limit):
        start = int(cursor or 0)
        return self.emails[start:start + limit], str(start + limit) if start + limit < len(self.emails) else None


class Log:
    def __init__(self):
        self.entries = {}

    def claim(self, entry):
        key = (entry.business_id, entry.email, entry.message_id)
        if key in self.entries:
            return False
        self.entries[key] = entry
        return True

    def settle(self, entry):
        self.entries[(entry.business_id, entry.email, entry.message_id)] = entry

    def release(self, entry):
        self.entries.pop((entry.business_id, entry.email, entry.message_id))

    def for_customer(self, business_id, email, limit, cursor):
        return [e for (b, m, _), e in self.entries.items() if (b, m) == (business_id, email)][:limit], None


class Suppressed:
    def __init__(self, *emails):
        self.emails = set(emails)

    def is_suppressed(self, email):
        return email in self.emails

    def suppress(self, email, reason):
        self.emails.add(email)


class Sender:
    def __init__(self, fail_on=None):
        self.sent, self.fail_on = [], fail_on

    def send(self, message):
        if message.to == self.fail_on:
            self.fail_on = None
            raise ConnectionError("SES throttled")
        self.sent.append(message)
        return f"ses-{len(self.sent)}"


class Renderer:
    def render(self, template, context):
        return context["subject"], f"<p>{context['body']}</p>", context["body"]


def world(emails=(), suppressed=(), fail_on=None):
    queue, log, sender, pauses = FakeQueue(), Log(), Sender(fail_on), []
    service = BroadcastService(Store(), Audience(list(emails)), log, Suppressed(*suppressed), lambda: sender,
                               lambda: Renderer(), lambda: queue, "https://api.example", send_rate=4,
                               clock=lambda: NOW, pause=pauses.append)
    return service, queue, log, sender, pauses


def deliver_all(service, queue, redeliver=False):
    while queue.sent:
        _, body = queue.sent.pop(0)
        try:
            service.send_page(body)
        except ConnectionError:
            queue.sent.append((PAGE_KIND, body))
        if redeliver:  # at-least-once: every page arrives twice
            service.send_page(body)


def test_a_whole_kind_is_reached_page_by_page_each_once_even_when_pages_arrive_twice():
    emails = [f"c{i}@example.com" for i in range(PAGE * 2 + 7)]
    service, queue, log, sender, pauses = world(emails)
    queued = service.send(STAFF, NewMessage("Closed Monday", "We are closed on Monday.", kind="primary"))
    deliver_all(service, queue, redeliver=True)
    assert sorted(m.to for m in sender.sent) == sorted(emails)  # 207 copies, none twice
    assert {m.sender_name for m in sender.sent} == {"Yoga Loft"}
    assert {e.state for e in log.entries.values()} == {DeliveryState.SENT}
    assert {e.message_id for e in log.entries.values()} == {queued.message_id}
    assert pauses == [0.25] * len(emails)  # paced to the send rate


def test_suppressed_addresses_are_logged_not_mailed_and_a_failed_send_is_retried():
    service, queue, log, sender, _ = world(suppressed=["bounced@example.com"], fail_on="b@example.com")
    service.send(STAFF, NewMessage("Hi", "Hello", emails=["a@example.com", "Bounced@Example.com", "b@example.com"]))
    deliver_all(service, queue)
    assert [m.to for m in sender.sent] == ["a@example.com", "b@example.com"]
    states = {e.email: e.state for e in log.entries.values()}
    assert states == {"a@example.com": DeliveryState.SENT, "bounced@example.com": DeliveryState.SUPPRESSED,
                      "b@example.com": DeliveryState.SENT}


@pytest.mark.parametrize("message, field", [
    (NewMessage("Hi", "x"), "emails"),
    (NewMessage("Hi", "x", emails=["a@example.com"], kind="primary"), "emails"),
    (NewMessage("Hi", "x", emails=["a@example.com", "nope"]), "emails.1"),
])
def test_recipients_are_named_exactly_once(message, field):
    service, *_ = world()
    with pytest.raises(InvalidInputError) as bad:
        service.send(STAFF, message)
    assert bad.value.details == {"field": field}


def test_the_kind_is_kept_with_the_message():
    service, queue, *_ = world()
    queued = service.send(STAFF, NewMessage("Hi", "x", kind="app_user"))
    assert service.broadcasts.get("biz", queued.message_id).kind is CustomerKind.APP_USER
    assert service.broadcasts.get("biz", queued.message_id).emails is None
