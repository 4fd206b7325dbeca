"""C6 erasure on request through the API on moto: refusals, the queue moving the history, and every
list still rendering the pseudonymous remainder afterwards."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import boto3

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.booker_counters import BookerCounterModel, checkouts_scope
from chalicelib.adapters.dynamodb.memberships import MemberRepository
from chalicelib.config import settings
from chalicelib.domain.memberships import MemberRecord
from tests.conftest import booker_token, grant_staff, mint
from tests.e2e.test_catalogue_and_bookings import setup_entry
from tests.fakes.memberships import FakeQueue

BIZ, PAT, HAL = "biz-a", "pat@example.com", "hal@example.com"
MANAGE = "/v1/manage/customers"


def drain(queue: FakeQueue) -> None:
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
        handlers[kind](body)  # delivered twice: the second finds nothing (more) to do


def test_erasure_forgets_the_person_and_keeps_the_records(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")
    owner, _, entry = setup_entry(api, capacity=20)
    grant_staff(BIZ, "clerk", "staff")
    clerk = mint(sub="clerk")
    ticket = entry["tickets"][0]["ticket_id"]
    bookings = [api.call("POST", f"/v1/businesses/{BIZ}/me/bookings", booker_token(PAT, "Pat Smith"),
                         {"entry_id": entry["entry_id"], "ticket_id": ticket, "participants": ["Kim Smith"]}).json
                for _ in range(2)]
    api.call("PATCH", f"{MANAGE}/{PAT}", owner, {"name": "Pat Smith"})
    invited = api.call("POST", f"/v1/businesses/{BIZ}/me/additional-users", booker_token(PAT), {"email": HAL})
    assert invited.status_code == 201, invited.body
    api.call("POST", f"{MANAGE}/{PAT}/participants", owner, {"name": "Kim Smith"})
    product = api.call("POST", "/v1/manage/pass-products", owner, {
        "title": "10 classes", "price_minor": 9000, "currency": "eur", "uses": 10,
        "eligible": {"ticket_ids": [ticket]}, "expiry": {"kind": "days_from_purchase", "days": 90}}).json
    issued = api.call("POST", f"{MANAGE}/{PAT}/passes", owner, {"product_id": product["product_id"]})
    assert issued.status_code == 201, issued.body
    api.call("POST", "/v1/manage/messages", owner, {"subject": "Your knee, Pat", "body": "Get well.", "emails": [PAT]})
    drain(queue)
    members = MemberRepository()
    live = MemberRecord(BIZ, "sub_1", "m1", PAT, "active", customer_id="cus_1",
                        current_period_end=datetime(2030, 2, 1, tzinfo=UTC))
    members.replace(None, live)
    from chalicelib.adapters.dynamodb.payment_records import PaymentRecordRepository
    from chalicelib.domain.payments import PaymentKind, PaymentRecord

    payments = PaymentRecordRepository()  # B6: an invoice payment of the membership, kept after erasure
    payments.add(PaymentRecord(BIZ, "in_erasure_1", PAT, PaymentKind.INVOICE, "membership", 4900, "EUR",
                               datetime(2030, 1, 1, tzinfo=UTC), membership_id="m1", subscription_id="sub_1"))

    assert api.call("POST", f"{MANAGE}/{PAT}/erasure", clerk).status_code == 403  # owners only
    refused = api.call("POST", f"{MANAGE}/{PAT}/erasure", owner)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "active_membership")
    members.replace(live, replace(live, status="canceled"))
    unpaid = BookerCounterModel(checkouts_scope(BIZ), PAT, tally=1)  # a card checkout still open
    unpaid.save()
    refused = api.call("POST", f"{MANAGE}/{PAT}/erasure", owner)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "open_checkout")
    unpaid.update(actions=[BookerCounterModel.tally.set(0)])  # it expired

    started = api.call("POST", f"{MANAGE}/{PAT}/erasure", owner)
    assert started.status_code == 202, started.body
    erased_as = started.json["erased_as"]
    assert started.json["state"] == "erasing" and "pat" not in erased_as
    assert api.call("GET", f"/v1/businesses/{BIZ}/me/bookings", booker_token(PAT)).status_code == 403
    drain(queue)

    assert api.call("GET", f"{MANAGE}/{PAT}", owner).status_code == 404
    record = api.call("GET", f"{MANAGE}/{erased_as}", owner).json
    assert (record["erased"], record["name"], [p["name"] for p in record["participants"]]) == (
        True, "", ["Erased participant"])
    for q in ("pat", "smith", "pat@example.com", "erased"):
        assert api.call("GET", f"{MANAGE}?q={q}", owner).json["items"] == []
    listed = api.call("GET", f"{MANAGE}?kind=primary", owner).json["items"]
    assert [c["email"] for c in listed] == [erased_as]
    assert [c["email"] for c in api.call("GET", f"{MANAGE}?q=example.com", owner).json["items"]] == [HAL]
    kept = api.call("GET", f"{MANAGE}/{erased_as}/bookings", owner).json["items"]
    assert sorted(b["booking_id"] for b in kept) == sorted(b["booking_id"] for b in bookings)
    assert all(b["participants"] == ["Erased participant"] for b in kept)
    on_entry = api.call("GET", f"/v1/manage/entries/{entry['entry_id']}/bookings", owner)
    assert on_entry.status_code == 200 and {b["booker_email"] for b in on_entry.json["items"]} == {erased_as}
    passes = api.call("GET", f"{MANAGE}/{erased_as}/passes", owner).json["items"]
    paid = api.call("GET", f"{MANAGE}/{erased_as}/payments", owner).json["items"]
    assert [(p["payment_id"], p["amount_minor"]) for p in paid] == [("in_erasure_1", 4900)]
    assert [p["pass_id"] for p in passes] == [issued.json["pass_id"]]
    log = api.call("GET", f"{MANAGE}/{erased_as}/messages", owner).json["items"]
    assert [(m["subject"], m["state"]) for m in log] == [("(erased)", "sent")]
    assert members.get(BIZ, "sub_1").email == erased_as and members.get(BIZ, "sub_1").customer_id == "cus_1"
    data = api.call("GET", f"{MANAGE}/{erased_as}/data-export", owner)
    assert data.status_code == 200 and "Pat" not in data.body.decode() and "Kim" not in data.body.decode()
    csv = api.call("POST", "/v1/manage/customer-exports", owner, {"emails": [erased_as]})
    assert csv.status_code == 200 and "pat@" not in csv.body.decode()
    hal = api.call("GET", f"{MANAGE}/{HAL}", owner).json  # no longer on the erased account
    assert (hal["kind"], hal.get("primary_email")) == ("app_user", None)
    renamed = api.call("PATCH", f"{MANAGE}/{erased_as}", owner, {"name": "Pat"})
    assert (renamed.status_code, renamed.json["error"]["code"]) == (409, "customer_erased")
    again = api.call("POST", f"{MANAGE}/{erased_as}/erasure", owner)
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_erased")


def test_erasure_redacts_the_stripe_customer_on_the_business_account(api):
    """The production adapter against the local provider: the customer object of the person's membership
    keeps its id (the kept invoices point at it) but no name or phone, and the pseudonym as email."""
    from tests.stripe_support import local_stripe, rewire

    provider = local_stripe()
    queue = FakeQueue()
    rewire(event_queue=queue)
    owner, _, _ = setup_entry(api)
    assert api.call("GET", f"/v1/businesses/{BIZ}/me/bookings", booker_token(PAT, "Pat Smith")).status_code == 200
    with provider.lock:
        provider.account = "acct_biz-a"  # made on the business's account, as its checkouts make customers
        customer = provider.make("customer", "cus", email=PAT, name="Pat Smith", phone="+4930123456",
                                 metadata={"plan": "yoga"})
        provider.account = "acct_biz-b"
        elsewhere = provider.make("customer", "cus", email=PAT, name="Pat Smith", phone=None, metadata={})
    MemberRepository().replace(None, MemberRecord(BIZ, "sub_1", "m1", PAT, "canceled", customer_id=customer["id"]))

    started = api.call("POST", f"{MANAGE}/{PAT}/erasure", owner)
    assert started.status_code == 202, started.body
    drain(queue)
    erased_as = started.json["erased_as"]
    status, seen, _ = provider.route("GET", f"/v1/customers/{customer['id']}", {}, None, account="acct_biz-a")
    assert status == 200
    assert (seen["email"], seen["name"], seen["phone"], seen["metadata"]) == (
        None, None, None, {"plan": "yoga", "erased": "true", "erased_as": erased_as})
    assert (elsewhere["email"], elsewhere["name"]) == (PAT, "Pat Smith")  # another business's account: untouched
    assert api.call("GET", f"{MANAGE}/{erased_as}", owner).json["erased"] is True
