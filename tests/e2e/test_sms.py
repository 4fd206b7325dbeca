"""C4 SMS, audiences and unsubscribe through the API on moto: phones stored in E.164 (400 naming
``phone``), SMS fanned out through the queue to SNS once per customer, the phoneless and the opted-out
logged as skipped with the reason; a group's members reached; an unsubscribe link stops marketing mail."""
from __future__ import annotations

import json

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import bootstrap
from chalicelib.config import settings
from tests.conftest import booker_token, make_business, staff_token
from tests.fakes.memberships import FakeQueue
from tests.stripe_support import sent_emails

BIZ = "biz-sms"


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sms_messages.values())


def drain(queue: FakeQueue) -> None:
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
        handlers[kind](body)  # delivered twice: nobody gets a message twice


def log_of(api, staff: str, email: str) -> list[dict]:
    log = api.call("GET", f"/v1/manage/customers/{email}/messages", staff)
    assert log.status_code == 200, log.body
    return log.json["items"]


def states(api, staff: str, email: str) -> list[tuple[str, str, str | None]]:
    return [(e["channel"], e["state"], e["reason"]) for e in log_of(api, staff, email)]


def test_staff_text_a_kind_once_each_with_phones_in_e164_and_opt_outs_honoured(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    make_business(BIZ)
    staff = staff_token(BIZ)
    for email in ("ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"):
        api.call("POST", "/v1/manage/customers", staff, {"email": email})
    bad = api.call("PATCH", "/v1/manage/customers/ann@example.com", staff, {"phone": "020 7946 0018"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "phone", bad.body
    ann = api.call("PATCH", "/v1/manage/customers/ann@example.com", staff, {"phone": "+44 7911 123456"})
    assert ann.status_code == 200 and ann.json["phone"] == "+447911123456", ann.body
    # moto's SNS holds numbers ending in 99 as opted out (as if they had replied STOP).
    api.call("PATCH", "/v1/manage/customers/dan@example.com", staff, {"phone": "+44 7911 123499"})
    # cat signs in and sets her own number, then opts out of SMS.
    cat = booker_token("cat@example.com")
    mine = api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"phone": "+49 151 23456789"})
    assert mine.status_code == 200 and mine.json["phone"] == "+4915123456789", mine.body
    assert api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"phone": "12"}).json["error"]["field"] == "phone"
    api.call("PATCH", f"/v1/businesses/{BIZ}/me/contact", cat, {"sms_opt_out": True})
    assert api.call("GET", f"/v1/businesses/{BIZ}/me/contact", cat).json == {
        "phone": "+4915123456789", "sms_opt_out": True, "marketing_opt_out": False}

    too_long = api.call("POST", "/v1/manage/messages", staff, {"channel": "sms", "body": "x" * 481, "kind": "primary"})
    assert too_long.status_code == 400 and too_long.json["error"]["field"] == "body", too_long.body
    queued = api.call("POST", "/v1/manage/messages", staff,
                      {"channel": "sms", "body": "Class moved to 7pm.", "kind": "primary"})
    assert queued.status_code == 202, queued.body
    drain(queue)

    assert sent_sms() == [("+447911123456", f"Studio {BIZ}: Class moved to 7pm.")]
    assert sent_emails() == []
    assert states(api, staff, "ann@example.com") == [("sms", "sent", None)]
    assert states(api, staff, "bob@example.com") == [("sms", "skipped", "no_phone")]
    assert states(api, staff, "cat@example.com") == [("sms", "skipped", "sms_opt_out")]
    assert states(api, staff, "dan@example.com") == [("sms", "skipped", "carrier_opt_out")]


def test_a_group_gets_a_marketing_email_and_an_unsubscribed_member_is_skipped_next_time(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    make_business(BIZ)
    staff = staff_token(BIZ)
    for email in ("ann@example.com", "bob@example.com", "out@example.com"):
        api.call("POST", "/v1/manage/customers", staff, {"email": email})
    group = api.call("POST", "/v1/manage/groups", staff, {"name": "Regulars"}).json
    api.call("POST", f"/v1/manage/groups/{group['group_id']}/members", staff,
             {"emails": ["ann@example.com", "bob@example.com"]})
    unknown = api.call("POST", "/v1/manage/messages", staff, {"subject": "Hi", "body": "x", "group_id": "nope"})
    assert unknown.status_code == 404, unknown.body

    offer = {"subject": "Spring offer", "body": "20% off.", "marketing": True, "group_id": group["group_id"]}
    assert api.call("POST", "/v1/manage/messages", staff, offer).status_code == 202
    drain(queue)
    mails = {m["to"]: m for m in sent_emails()}
    assert sorted(mails) == ["ann@example.com", "bob@example.com"]  # out@ is no member
    link = next(word for word in mails["bob@example.com"]["text"].split() if "/unsubscribe/" in word)
    path = link[link.index("/v1/"):]
    [raw] = [m.raw_data for m in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages if "bob@" in m.raw_data]
    assert f"List-Unsubscribe: <{link}>" in raw and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    forged = path[:-4] + "0000"
    assert api.call("GET", forged, None).status_code == 404
    assert api.call("GET", path.replace(BIZ, "biz-other"), None).status_code == 404
    done = api.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=b"List-Unsubscribe=One-Click")  # what a mail client's button does
    assert done.status_code == 200 and json.loads(done.body) == {"email": "bob@example.com", "marketing_opt_out": True}
    assert api.call("GET", path, None).status_code == 200  # the link in the text works too (and again)

    assert api.call("POST", "/v1/manage/messages", staff, {**offer, "subject": "Summer offer"}).status_code == 202
    closed = {"subject": "Closed Monday", "body": "Sorry.", "group_id": group["group_id"]}
    assert api.call("POST", "/v1/manage/messages", staff, closed).status_code == 202
    drain(queue)
    later = [(m["to"], m["subject"]) for m in sent_emails()][2:]
    assert sorted(later) == [("ann@example.com", "Closed Monday"), ("ann@example.com", "Summer offer"),
                             ("bob@example.com", "Closed Monday")]
    bob = {e["subject"]: (e["state"], e["reason"]) for e in log_of(api, staff, "bob@example.com")}
    assert bob == {"Spring offer": ("sent", None), "Summer offer": ("skipped", "marketing_opt_out"),
                   "Closed Monday": ("sent", None)}


def test_a_membership_reaches_its_members_with_access_once_each(api):
    from chalicelib.adapters.dynamodb.memberships import MemberModel
    from tests.stripe_support import local_stripe, rewire

    queue = FakeQueue()
    local_stripe()  # the membership's prices are made on the business's (local) Stripe account
    rewire(event_queue=queue)
    make_business(BIZ)
    staff = staff_token(BIZ)
    gold = api.call("POST", "/v1/manage/memberships", staff, {
        "title": "Gold", "price_options": [{"title": "Monthly", "amount_minor": 3000, "interval": "month"}]}).json
    key = f"{BIZ}#{gold['membership_id']}"
    for sub, email, status in (("sub_1", "ann@example.com", "active"), ("sub_2", "ann@example.com", "past_due"),
                               ("sub_3", "bob@example.com", "trialing"), ("sub_4", "gone@example.com", "canceled")):
        MemberModel(BIZ, sub, membership_id=gold["membership_id"], membership_key=key, email=email,
                    booker_key=f"{BIZ}#{email}", status=status).save()
    message = {"subject": "Gold news", "body": "New times.", "membership_id": gold["membership_id"]}
    assert api.call("POST", "/v1/manage/messages", staff, message).status_code == 202
    drain(queue)
    assert sorted(m["to"] for m in sent_emails()) == ["ann@example.com", "bob@example.com"]
