"""Stripe test helpers: events from Stripe's own fixtures, signed like Stripe; the local provider; SQS and SES on moto.

Payloads are built from ``../shared/stripe/fixtures3.json`` (or the vendored copy of the same
objects in ``local/stripe_fixtures.json`` when the shared folder is absent).
"""
from __future__ import annotations

import copy
import email
import email.policy
import json
import os
from typing import Any

import boto3
import stripe

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import container
from chalicelib.workers.events import process_record
from local.payment_provider import LocalStripe, fixtures, serve

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
FX = fixtures()
_provider: LocalStripe | None = None


def resource(name: str, **fields: Any) -> dict[str, Any]:
    obj = copy.deepcopy(FX[name])
    obj.update(fields)
    return obj


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None, created: int = 1_800_000_000,
          account: str = "acct_biz-a") -> dict[str, Any]:
    """A Connect event (top-level ``account``; conftest's ``make_business`` connects biz-a to acct_biz-a)."""
    return resource("event", id=event_id or f"evt_{abs(hash((event_type, obj.get('id'), created)))}", type=event_type,
                    created=created, data={"object": obj}, account=account, livemode=False)


def signed(evt: dict[str, Any], timestamp: int | None = None, secret: str = SECRET) -> tuple[bytes, str]:
    payload = json.dumps(evt)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def post_webhook(api: Any, payload: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return api.client.http.post("/webhooks/stripe", headers=headers, body=payload)


def setup_queue_and_mail() -> str:
    """A moto SQS queue wired as the events queue, and a verified SES sender. Returns the queue URL."""
    url = boto3.client("sqs", region_name="eu-west-1").create_queue(QueueName="test-events")["QueueUrl"]
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")
    from chalicelib.adapters.event_queue import EventQueue

    rewire(event_queue=EventQueue(url, "eu-west-1"))
    return url


_overrides: dict[str, Any] = {}
_installed: Any = None


def rewire(**overrides: Any) -> None:
    """Install a container built with these pieces (and those set earlier in this test) replaced."""
    global _installed
    from chalicelib import bootstrap
    from chalicelib.config import settings

    if bootstrap.container() is not _installed:  # a new test (the fixtures reset the container)
        _overrides.clear()
    _overrides.update(overrides)
    _installed = bootstrap.install(bootstrap.build(settings(), **_overrides))


def drain(url: str, max_rounds: int = 50) -> int:
    """Feed every queued message to the consumer (as the Lambda would), fan-out messages included."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    handled = 0
    for _ in range(max_rounds):
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return handled
        for m in msgs:
            process_record(m["Body"], m["MessageId"], container().queue_handlers)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            handled += 1
    raise AssertionError("the queue did not drain")


def sent_emails() -> list[dict[str, Any]]:
    """What SES (moto) sent: to, subject, text, attachment names."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    out = []
    for msg in ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages:
        raw = getattr(msg, "raw_data", None)
        if raw is None:
            continue
        parsed = email.message_from_string(raw, policy=email.policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        out.append({
            "to": parsed["To"], "subject": parsed["Subject"], "text": text.get_content() if text else "",
            "attachments": [p.get_filename() for p in parsed.iter_attachments()],
        })
    return out


def local_stripe() -> LocalStripe:
    """One local provider per test process (events are collected, not posted), wired as the payment port."""
    global _provider
    if _provider is None:
        _provider = LocalStripe(SECRET, sink=None)
        serve(_provider, 0)
    rewire(payments=StripePayments("sk_test_local", api_base=_provider.base_url, client_id="ca_local"))
    return _provider


def deliver_new_events(api: Any, provider: LocalStripe, queue_url: str, since: int) -> int:
    """Post the provider's events from index ``since`` to the webhook, then run the consumer."""
    for evt in provider.events[since:]:
        resp = post_webhook(api, *signed(evt))
        assert resp.status_code == 200, resp.body
    drain(queue_url)
    return len(provider.events)
