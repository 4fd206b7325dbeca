"""Faults on the booking path (DynamoDB): bounded retries with backoff, then either the booking is
made once or nothing is written; the caller gets 503 (try again) or 409 busy, never a 500."""
from __future__ import annotations

import pytest

from chalicelib.adapters import aws_config
from chalicelib.adapters.dynamodb.base import connection_of
from chalicelib.adapters.dynamodb.bookings import BookingModel
from chalicelib.services.bookings import ATTEMPTS
from tests.conftest import booker_token, make_business, staff_token
from tests.faults.injection import TIMEOUT

MINE = "/v1/businesses/biz-a/me/bookings"
FAULTS = ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError", TIMEOUT]


@pytest.fixture
def entry(api):
    make_business("biz-a")
    staff = staff_token("biz-a")
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "P"}).json
    made = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "Yoga", "starts_at": "2031-03-01T10:00:00",
        "ends_at": "2031-03-01T11:00:00", "capacity": 5, "tickets": [{"title": "Free"}]}).json
    return {"id": made["entry_id"], "ticket": made["tickets"][0]["ticket_id"], "staff": staff}


def dynamodb():
    return connection_of(BookingModel).client


def book(api, entry):
    return api.call("POST", MINE, booker_token("ann@example.com"), {"entry_id": entry["id"], "ticket_id": entry["ticket"]})


def written(api, entry) -> tuple[int, int]:
    """(places booked on the entry, bookings stored for it), read without faults."""
    booked = api.call("GET", f"/v1/manage/entries/{entry['id']}", entry["staff"]).json["booked"]
    rows = api.call("GET", f"/v1/manage/entries/{entry['id']}/bookings", entry["staff"]).json["items"]
    return booked, len(rows)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_transient_fault_is_retried_with_backoff_and_the_booking_is_made_once(api, entry, faults, fault):
    faults.fail(dynamodb(), "TransactWriteItems", aws_config.MAX_ATTEMPTS - 1, fault)
    resp = book(api, entry)
    assert resp.status_code == 201, resp.body
    assert faults.attempts["TransactWriteItems"] == aws_config.MAX_ATTEMPTS
    assert len(faults.sleeps) == aws_config.MAX_ATTEMPTS - 1 and all(0 <= s <= 20 for s in faults.sleeps)
    assert written(api, entry) == (1, 1)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lasting_fault_on_the_transaction_writes_nothing_and_stops(api, entry, faults, fault):
    faults.fail(dynamodb(), "TransactWriteItems", 1000, fault)
    resp = book(api, entry)
    assert resp.status_code in (409, 503), resp.body
    assert resp.json["error"]["code"] in ("busy", "temporarily_unavailable")
    # Bounded: botocore's attempts, times the service's own re-reads on contention.
    assert faults.attempts["TransactWriteItems"] <= aws_config.MAX_ATTEMPTS * ATTEMPTS
    faults.pending.clear()
    assert written(api, entry) == (0, 0)
    assert book(api, entry).status_code == 201 and written(api, entry) == (1, 1)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lasting_fault_on_the_first_read_is_503_with_retry_after(api, entry, faults, fault):
    faults.fail(dynamodb(), "GetItem", 1000, fault)
    resp = book(api, entry)
    assert resp.status_code == 503 and resp.headers.get("Retry-After") == "1", resp.body
    assert resp.json["error"]["code"] == "temporarily_unavailable"
    assert faults.attempts["GetItem"] == aws_config.MAX_ATTEMPTS
    faults.pending.clear()
    assert written(api, entry) == (0, 0)


def test_every_aws_client_uses_the_one_retry_configuration(aws):
    from chalicelib.adapters.event_queue import EventQueue
    from chalicelib.adapters.s3_blobs import S3BlobStore
    from chalicelib.adapters.ses_email import SesEmailSender

    clients = [dynamodb(), EventQueue("url", "eu-west-1").client, SesEmailSender("a@x.org", "eu-west-1").client,
               S3BlobStore("bucket", "eu-west-1").client]
    for client in clients:
        config = client.meta.config
        assert config.retries["mode"] == "standard", client
        assert config.retries["total_max_attempts"] == aws_config.MAX_ATTEMPTS, client
        assert (config.connect_timeout, config.read_timeout) == (aws_config.CONNECT_TIMEOUT_SECONDS,
                                                                 aws_config.READ_TIMEOUT_SECONDS), client
