"""C4 through the API on moto: a staff email fans out through the queue, SES sends it under the
business's name, the customer's record logs it, and a suppressed address is not mailed."""
from __future__ import annotations

import boto3

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.broadcasts import SuppressionList
from chalicelib.config import settings
from tests.conftest import make_business, staff_token
from tests.fakes.memberships import FakeQueue
from tests.stripe_support import sent_emails


def test_staff_email_a_kind_and_see_it_on_the_record(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")
    make_business("biz-a")
    staff = staff_token("biz-a")
    for email in ("ann@example.com", "bob@example.com", "gone@example.com"):
        api.call("POST", "/v1/manage/customers", staff, {"email": email})
    SuppressionList().suppress("gone@example.com", "bounce")

    queued = api.call("POST", "/v1/manage/messages", staff,
                      {"subject": "Closed Monday", "body": "See you Tuesday.", "marketing": True, "kind": "primary"})
    assert queued.status_code == 202, queued.body
    bad = api.call("POST", "/v1/manage/messages", staff, {"subject": "x", "body": "y"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "emails"
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
        handlers[kind](body)  # delivered twice: nobody is mailed twice

    mails = sent_emails()
    assert sorted(m["to"] for m in mails) == ["ann@example.com", "bob@example.com"]
    assert all("unsubscribe" in m["text"] for m in mails)
    log = api.call("GET", "/v1/manage/customers/ann@example.com/messages?limit=10", staff)
    assert log.status_code == 200, log.body
    [entry] = log.json["items"]
    assert (entry["subject"], entry["state"], log.json["next"]) == ("Closed Monday", "sent", None)
    gone = api.call("GET", "/v1/manage/customers/gone@example.com/messages", staff).json["items"]
    assert [e["state"] for e in gone] == ["suppressed"]
