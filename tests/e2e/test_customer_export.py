"""C3 through the API on moto: a direct CSV, and a background export uploaded to S3 with a link."""
from __future__ import annotations

import csv
import io

import boto3

from chalicelib import bootstrap
from chalicelib.config import settings
from tests.conftest import booker_token
from tests.e2e.test_catalogue_and_bookings import setup_entry
from tests.fakes.memberships import FakeQueue

BIZ = "biz-a"


def test_direct_and_background_exports(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    bucket = settings().blob_bucket
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    staff, _, entry = setup_entry(api, capacity=20)
    api.call("POST", "/v1/manage/customers", staff, {"email": "zoe@example.com", "name": "=1+2"})
    for email in ("zoe@example.com", "ann@example.com"):
        booked = api.call("POST", f"/v1/businesses/{BIZ}/me/bookings", booker_token(email),
                          {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]})
        assert booked.status_code == 201, booked.body

    direct = api.call("POST", "/v1/manage/customer-exports", staff, {"emails": ["zoe@example.com"]})
    assert direct.status_code == 200 and direct.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in direct.headers["Content-Disposition"]
    text = direct.body.decode("utf-8") if isinstance(direct.body, bytes) else direct.body
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert text.startswith("\ufeff") and header[0] == "customer_email"
    assert [(r[0], r[1], r[4]) for r in rows] == [("zoe@example.com", "'=1+2", "registration")]
    titles = dict(zip(header, rows[0], strict=True))
    assert (titles["entry_title"], titles["entry_start_local"], titles["ticket_name"]) == (
        "Morning flow", "2030-03-01 09:00", "Drop-in")  # the entry's own wall-clock time in Berlin

    bad = api.call("POST", "/v1/manage/customer-exports", staff, {"emails": ["nope"]})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "emails.0"

    started = api.call("POST", "/v1/manage/customer-exports", staff, {})
    assert started.status_code == 202 and started.json["state"] == "queued", started.body
    job_path = f"/v1/manage/customer-exports/{started.json['job_id']}"
    assert api.call("GET", job_path, staff).json["download_url"] is None
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
    done = api.call("GET", job_path, staff).json
    assert done["state"] == "done" and done["rows"] == 2 and "X-Amz-Signature" in done["download_url"]
    key = f"exports/{BIZ}/{started.json['job_id']}.csv"
    data = boto3.client("s3", region_name="eu-west-1").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert sorted(r[0] for r in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]) == [
        "ann@example.com", "zoe@example.com"]
