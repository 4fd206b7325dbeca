"""C4 email and SMS: pages through the queue, each recipient once; suppressed addresses, opted-out
customers and customers without a phone number logged with the reason, not sent."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.broadcasts import MAX_SMS_CHARS, DeliveryState
from chalicelib.domain.context import PublicContext, StaffContext
from chalicelib.domain.customers import Customer, CustomerKind
from chalicelib.domain.errors import InvalidInputError, NotFoundError
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.broadcasts import PAGE, PAGE_KIND, BroadcastService, NewMessage
from chalicelib.services.unsubscribe import UnsubscribeLinks
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
    """``emails`` for any kind; ``groups`` maps a group id to its members."""

    def __init__(self, emails, groups=None):
        self.emails, self.groups = emails, groups or {}

    def exists(self, broadcast):
        return broadcast.group_id is None or broadcast.group_id in self.groups

    def page(self, broadcast, cursor, limit):
        emails = self.groups[broadcast.group_id] if broadcast.group_id else self.emails
        start = int(cursor or 0)
        return emails[start:start + limit], str(start + limit) if start + limit < len(emails) else None


class Contacts:
    def __init__(self, *customers):
        self.records = {c.email: c for c in customers}

    def find(self, business_id, email):
        return self.records.get(email)

    def set_contact(self, business_id, email, changes):
        before = self.records[email]
        self.records[email] = replace(before, **{k: v for k, v in vars(changes).items() if v is not None})
        return self.records[email]


class Sms:
    """SNS's opt-out list is ``opted_out``; ``fail_on`` fails one send (a throttle)."""

    def __init__(self, opted_out=(), fail_on=None):
        self.sent, self.opted_out, self.fail_on = [], set(opted_out), fail_on

    def is_opted_out(self, phone):
        return phone in self.opted_out

    def send(self, phone, text, marketing):
        if phone == self.fail_on:
            self.fail_on = None
            raise ConnectionError("SNS throttled")
        self.sent.append((phone, text, marketing))
        return f"sns-{len(self.sent)}"


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
        return context["subject"], f"<p>{context['body']}</p>", f"{context['body']} {context['unsubscribe_url']}"


def world(emails=(), suppressed=(), fail_on=None, customers=(), sms=None, groups=None):
    queue, log, sender, pauses = FakeQueue(), Log(), Sender(fail_on), []
    contacts, sms = Contacts(*customers), sms or Sms()
    service = BroadcastService(Store(), Audience(list(emails), groups), log, Suppressed(*suppressed), lambda: sender,
                               lambda: Renderer(), lambda: queue, "https://api.example", send_rate=4,
                               contacts=contacts, sms=lambda: sms,
                               links=UnsubscribeLinks("secret", contacts, "https://api.example"),
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


def customer(email, **fields):
    return Customer("biz", email, **fields)


def test_an_sms_goes_once_to_each_phone_and_skips_the_phoneless_and_the_opted_out_with_the_reason():
    customers = [customer("ann@example.com", phone="+447700900001"),
                 customer("bob@example.com"),
                 customer("cat@example.com", phone="+447700900003", sms_opt_out=True),
                 customer("dan@example.com", phone="+447700900099"),  # replied STOP: SNS holds the opt-out
                 customer("eve@example.com", phone="+447700900005")]
    sms = Sms(opted_out={"+447700900099"}, fail_on="+447700900005")
    service, queue, log, sender, pauses = world(emails=[c.email for c in customers] + ["nobody@example.com"],
                                                customers=customers, sms=sms)
    queued = service.send(STAFF, NewMessage(None, "Class moved to 7pm tonight.", channel="sms", kind="primary"))
    deliver_all(service, queue, redeliver=True)
    assert sms.sent == [("+447700900001", "Yoga Loft: Class moved to 7pm tonight.", False),
                        ("+447700900005", "Yoga Loft: Class moved to 7pm tonight.", False)]  # eve: on the retry
    assert sender.sent == []
    copies = {e.email: (e.channel, e.state, e.reason) for e in log.entries.values()}
    assert copies == {
        "ann@example.com": ("sms", DeliveryState.SENT, None),
        "bob@example.com": ("sms", DeliveryState.SKIPPED, "no_phone"),
        "cat@example.com": ("sms", DeliveryState.SKIPPED, "sms_opt_out"),
        "dan@example.com": ("sms", DeliveryState.SKIPPED, "carrier_opt_out"),
        "eve@example.com": ("sms", DeliveryState.SENT, None),
        "nobody@example.com": ("sms", DeliveryState.SKIPPED, "no_phone"),
    }
    assert {e.subject for e in log.entries.values()} == {"Class moved to 7pm tonight."}
    assert service.broadcasts.get("biz", queued.message_id).channel.value == "sms"
    assert pauses == [0.25, 0.25]  # only sends are paced


@pytest.mark.parametrize("message, field", [
    (NewMessage(None, "x" * (MAX_SMS_CHARS + 1), channel="sms", kind="primary"), "body"),
    (NewMessage(None, "x", kind="primary"), "subject"),  # an email needs a subject
    (NewMessage("Hi", "x", kind="primary", group_id="g1"), "emails"),
])
def test_an_sms_is_bounded_and_an_email_has_a_subject(message, field):
    service, *_ = world(groups={"g1": []})
    with pytest.raises(InvalidInputError) as bad:
        service.send(STAFF, message)
    assert bad.value.details == {"field": field}


def test_a_marketing_sms_says_how_to_stop_them_and_skips_the_unsubscribed():
    customers = [customer("ann@example.com", phone="+447911123456"),
                 customer("bob@example.com", phone="+447911123457", marketing_opt_out=True)]
    sms = Sms()
    service, queue, log, *_ = world(customers=customers, sms=sms)
    service.send(STAFF, NewMessage(None, "20% off this week.", marketing=True, channel="sms",
                                   emails=["ann@example.com", "bob@example.com"]))
    deliver_all(service, queue)
    assert sms.sent == [("+447911123456", "Yoga Loft: 20% off this week. Reply STOP to opt out.", True)]
    assert log.entries[("biz", "bob@example.com", next(iter(log.entries))[2])].reason == "marketing_opt_out"


def test_an_sms_of_the_maximum_length_is_accepted():
    service, queue, *_ = world()
    service.send(STAFF, NewMessage(None, "x" * MAX_SMS_CHARS, channel="sms", emails=["a@example.com"]))
    assert len(queue.sent) == 1


def test_a_group_is_reached_page_by_page_and_an_unknown_group_is_a_404():
    members = [f"m{i}@example.com" for i in range(PAGE + 3)]
    service, queue, log, sender, _ = world(groups={"g1": members})
    service.send(STAFF, NewMessage("Hi members", "Hello", group_id="g1"))
    deliver_all(service, queue)
    assert sorted(m.to for m in sender.sent) == sorted(members)
    with pytest.raises(NotFoundError):
        service.send(STAFF, NewMessage("Hi", "x", group_id="other-business-group"))


def test_marketing_skips_the_unsubscribed_and_carries_their_link_but_transactional_mail_still_goes():
    customers = [customer("ann@example.com"), customer("bob@example.com", marketing_opt_out=True)]
    service, queue, log, sender, _ = world(customers=customers)
    service.send(STAFF, NewMessage("Offer", "20% off", marketing=True, emails=["ann@example.com", "bob@example.com"]))
    service.send(STAFF, NewMessage("Closed", "Closed Monday", emails=["ann@example.com", "bob@example.com"]))
    deliver_all(service, queue)
    assert [(m.to, m.subject) for m in sender.sent] == [
        ("ann@example.com", "Offer"), ("ann@example.com", "Closed"), ("bob@example.com", "Closed")]
    offer = sender.sent[0]
    assert offer.unsubscribe_url and offer.unsubscribe_url in offer.text
    assert offer.unsubscribe_url.startswith("https://api.example/v1/businesses/biz/unsubscribe/")
    assert sender.sent[1].unsubscribe_url is None
    skipped = [e for e in log.entries.values() if e.state is DeliveryState.SKIPPED]
    assert [(e.email, e.subject, e.reason) for e in skipped] == [("bob@example.com", "Offer", "marketing_opt_out")]


def test_the_unsubscribe_link_opts_out_its_customer_and_a_forged_or_foreign_one_is_a_404():
    contacts = Contacts(customer("ann@example.com"), customer("bob@example.com"))
    links = UnsubscribeLinks("secret", contacts, "https://api.example")
    here = PublicContext(Business("biz", "Yoga Loft", Plan.STANDARD, "Europe/Berlin"))
    elsewhere = PublicContext(Business("other", "Gym", Plan.STANDARD, "Europe/Berlin"))
    token = links.link("biz", "ann@example.com").rsplit("/", 1)[1]
    encoded, _, signature = token.partition(".")
    bob = links.link("biz", "bob@example.com").rsplit("/", 1)[1].partition(".")[0]
    for forged in (f"{bob}.{signature}", f"{encoded}.{'0' * len(signature)}", "garbage", "%%%.x", "é.x"):
        with pytest.raises(NotFoundError):
            links.unsubscribe(here, forged)
    with pytest.raises(NotFoundError):
        links.unsubscribe(elsewhere, token)  # signed for another business
    assert not any(c.marketing_opt_out for c in contacts.records.values())
    assert links.unsubscribe(here, token) == "ann@example.com"
    assert contacts.records["ann@example.com"].marketing_opt_out
    assert not contacts.records["bob@example.com"].marketing_opt_out
