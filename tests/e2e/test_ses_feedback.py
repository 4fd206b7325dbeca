"""C4: SES bounces and complaints arrive by SNS; a verified one from our topic suppresses the address,
and the next staff message is logged 'suppressed' instead of mailed. Forged or foreign ones are 403."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.broadcasts import SuppressionList
from chalicelib.adapters.sns_signatures import SIGNED_FIELDS, SnsSignatures
from chalicelib.config import settings
from chalicelib.services.email_feedback import EmailFeedback

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
CERT = (x509.CertificateBuilder().subject_name(NAME).issuer_name(NAME).public_key(KEY.public_key())
        .serial_number(1).not_valid_before(dt.datetime(2020, 1, 1)).not_valid_after(dt.datetime(2040, 1, 1))
        .sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def signed(notice: dict, topic: str = TOPIC, key=KEY, cert_url: str = CERT_URL) -> bytes:
    message = {"Type": "Notification", "MessageId": "m-1", "TopicArn": topic, "Message": json.dumps(notice),
               "Timestamp": "2030-01-01T00:00:00.000Z", "SignatureVersion": "2", "SigningCertURL": cert_url}
    text = "".join(f"{n}\n{message[n]}\n" for n in SIGNED_FIELDS["Notification"] if n in message)
    message["Signature"] = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return json.dumps(message).encode()


BOUNCE = {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
                                                   "bouncedRecipients": [{"emailAddress": "Gone@Example.com"}]}}
COMPLAINT = {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.com"}]}}


@pytest.fixture
def feedback(api):
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return CERT

    bootstrap.install(bootstrap.build(settings(), email_feedback=EmailFeedback(
        SnsSignatures(fetch), SuppressionList(), TOPIC)))
    return api, fetched


def post(api, raw: bytes):
    return api.client.http.post("/webhooks/ses", headers={"Content-Type": "text/plain; charset=UTF-8"}, body=raw)


def test_bounces_and_complaints_suppress_addresses(feedback):
    api, fetched = feedback
    assert json.loads(post(api, signed(BOUNCE)).body)["suppressed"] == 1
    assert json.loads(post(api, signed(COMPLAINT)).body)["suppressed"] == 1
    suppressions = SuppressionList()
    assert suppressions.is_suppressed("gone@example.com") and suppressions.is_suppressed("angry@example.com")
    assert not suppressions.is_suppressed("fine@example.com")
    assert fetched == [CERT_URL]  # the certificate is fetched once per container
    transient = {"notificationType": "Bounce", "bounce": {"bounceType": "Transient",
                                                          "bouncedRecipients": [{"emailAddress": "full@example.com"}]}}
    assert json.loads(post(api, signed(transient)).body)["suppressed"] == 0


@pytest.mark.parametrize("raw, code", [
    (lambda: signed(BOUNCE, topic="arn:aws:sns:eu-west-1:999999999999:someone-else"), "unknown_topic"),
    (lambda: signed(BOUNCE, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)), "invalid_signature"),
    (lambda: signed(BOUNCE, cert_url="https://evil.example.com/cert.pem"), "invalid_signature"),
    (lambda: signed(BOUNCE).replace(b"Permanent", b"Permanent "), "invalid_signature"),
])
def test_forged_or_foreign_messages_are_refused(feedback, raw, code):
    api, _ = feedback
    resp = post(api, raw())
    assert resp.status_code == 403 and json.loads(resp.body)["error"]["code"] == code
    assert not SuppressionList().is_suppressed("gone@example.com")


def test_a_body_that_is_not_json_is_a_400(feedback):
    api, _ = feedback
    resp = post(api, b"not json")
    assert resp.status_code == 400 and json.loads(resp.body)["error"]["field"] == "body"
