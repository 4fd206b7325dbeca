"""The local stack's demo data, dev tokens and email outbox."""
from __future__ import annotations

import json
import sys
import urllib.request
from datetime import date
from email.message import EmailMessage

import boto3
import pytest

from chalicelib.adapters.dynamodb.catalogue import CatalogueRepository
from chalicelib.adapters.dynamodb.tenancy import BusinessRepository
from chalicelib.adapters.tokens import TokenVerifier
from local import outbox as outbox_cli
from local.outbox import Outbox
from local.seed import PAGE_ID, Seeded, seed
from local.settings import DEMO_BUSINESS, stage_variables
from local.tokens import mint
from tests.conftest import booker_token, staff_token


def test_seed_is_idempotent_and_adds_the_coming_days_on_a_later_day(aws):
    assert seed(today=date(2030, 3, 1)) == Seeded(business_created=True, page_created=True, entries_created=4)
    assert seed(today=date(2030, 3, 1)) == Seeded(business_created=False, page_created=False, entries_created=0)
    business = BusinessRepository().get(DEMO_BUSINESS)
    assert (business.plan.value, business.timezone) == ("standard", "Europe/Berlin")
    entries = CatalogueRepository().entries_on_page(DEMO_BUSINESS, PAGE_ID)
    assert len(entries) == 4
    first = min(entries, key=lambda e: e.starts_at)
    # 09:00 in Berlin on 2 March (CET) is 08:00 UTC; one free and one paid ticket.
    assert first.starts_at.isoformat() == "2030-03-02T08:00:00+00:00"
    assert sorted(t.price_minor for t in first.tickets) == [0, 1500]

    assert seed(today=date(2030, 3, 2)).entries_created == 4
    entries = CatalogueRepository().entries_on_page(DEMO_BUSINESS, PAGE_ID)
    assert len({e.entry_id for e in entries}) == len(entries) == 8


def test_reseeding_keeps_bookings_and_staff_changes(api):
    seed(today=date(2030, 3, 1))
    staff = staff_token(DEMO_BUSINESS)
    renamed = api.call("PATCH", "/v1/manage/business", staff, {"name": "My Studio"})
    assert renamed.status_code == 200, renamed.body
    entry = api.call("GET", f"/v1/businesses/{DEMO_BUSINESS}/pages/{PAGE_ID}/entries").json["items"][0]
    free = next(t for t in entry["tickets"] if t["price_minor"] == 0)
    booked = api.call("POST", f"/v1/businesses/{DEMO_BUSINESS}/me/bookings", booker_token("jane@example.com"),
                      {"entry_id": entry["entry_id"], "ticket_id": free["ticket_id"]})
    assert booked.status_code == 201, booked.body

    seed(today=date(2030, 3, 1))
    assert api.call("GET", "/v1/manage/business", staff).json["name"] == "My Studio"
    assert api.call("GET", f"/v1/manage/entries/{entry['entry_id']}", staff).json["booked"] == 1


def test_dev_tokens_carry_the_claims_the_authorizer_reads():
    env = stage_variables()
    verifier = TokenVerifier(audience=env["JWT_AUDIENCE"], dev_secret=env["JWT_DEV_SECRET"])
    # Staff and owner tokens name no business (the staff records do); the operator is a listed subject.
    assert verifier.verify(mint("staff", business="studio-x")) == {"sub": "staff-studio-x"}
    assert verifier.verify(mint("owner", business="demo-free")) == {"sub": "owner-demo-free"}
    assert verifier.verify(mint("operator"))["sub"] in env["OPERATOR_SUBJECTS"].split(",")
    booker = verifier.verify(mint("booker", email="Kim@Example.com", name="Kim"))
    assert (booker["email"], booker["name"]) == ("kim@example.com", "Kim")
    # Signed with the local secret only: a verifier with another key refuses it.
    with pytest.raises(Exception, match="Signature"):
        TokenVerifier(audience=env["JWT_AUDIENCE"], dev_secret="another-secret-of-32-bytes-or-more!").verify(mint("staff"))
    with pytest.raises(SystemExit, match="ROLE"):
        mint("admin")


@pytest.fixture
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    yield url
    server.stop()


def test_outbox_copies_simple_and_raw_emails_once_and_prints_them_newest_last(moto_server, tmp_path, monkeypatch, capsys):
    ses = boto3.client("sesv2", endpoint_url=moto_server, region_name="eu-west-1")
    boto3.client("ses", endpoint_url=moto_server, region_name="eu-west-1").verify_email_identity(
        EmailAddress="no-reply@demo.local")
    ses.send_email(FromEmailAddress="no-reply@demo.local", Destination={"ToAddresses": ["jane@example.com"]},
                   Content={"Simple": {"Subject": {"Data": "Booking confirmed"},
                                       "Body": {"Html": {"Data": "<p>Hello <b>Jane</b>,</p><p>see you &amp; bye</p>"}}}})
    outbox = Outbox(tmp_path / "outbox" / "emails.jsonl")
    assert outbox.sync(moto_server) == 1

    mime = EmailMessage()
    mime["Subject"], mime["From"], mime["To"] = "Your membership", "no-reply@demo.local", "kim@example.com"
    mime.set_content("Welcome aboard.")
    mime.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="invoice.pdf")
    ses.send_email(FromEmailAddress="no-reply@demo.local", Destination={"ToAddresses": ["kim@example.com"]},
                   Content={"Raw": {"Data": mime.as_bytes()}})
    assert outbox.sync(moto_server) == 1
    assert outbox.sync(moto_server) == 0

    mails = Outbox(outbox.path).read()  # what a later `make outbox` sees
    assert [(m["to"], m["subject"], m["text"], m["attachments"]) for m in mails] == [
        (["jane@example.com"], "Booking confirmed", "Hello Jane,\nsee you & bye", []),
        (["kim@example.com"], "Your membership", "Welcome aboard.", ["invoice.pdf"]),
    ]
    monkeypatch.setenv("LOCAL_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["outbox", "--last", "1"])
    outbox_cli.main()
    printed = capsys.readouterr().out
    assert "#2" in printed and "Subject: Your membership" in printed and "Attached: invoice.pdf" in printed
    assert "Booking confirmed" not in printed
    assert json.loads(outbox.path.read_text().splitlines()[0])["from"] == "no-reply@demo.local"


def test_outbox_shows_sms_next_to_emails(moto_server, tmp_path, monkeypatch, capsys):
    from chalicelib.adapters.sns_sms import SnsSmsSender

    sms = SnsSmsSender("eu-west-1")
    sms.client = boto3.client("sns", endpoint_url=moto_server, region_name="eu-west-1")
    assert sms.is_opted_out("+447911123499") and not sms.is_opted_out("+447911123456")  # moto: "...99" opted out
    provider_id = sms.send("+447911123456", "Demo Studio: class moved to 7pm.", marketing=False)
    outbox = Outbox(tmp_path / "outbox" / "emails.jsonl")
    assert outbox.sync(moto_server) == 1
    assert outbox.sync(moto_server) == 0
    [copied] = Outbox(outbox.path).read()
    assert (copied["id"], copied["channel"], copied["to"], copied["text"]) == (
        provider_id, "sms", ["+447911123456"], "Demo Studio: class moved to 7pm.")
    monkeypatch.setenv("LOCAL_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["outbox"])
    outbox_cli.main()
    printed = capsys.readouterr().out
    assert "SMS to:  +447911123456" in printed and "class moved to 7pm" in printed
