"""Amazon SNS message signatures (the SES bounce/complaint feed, C4), checked as AWS documents:
the string to sign is built from the type's fields in order, signed with SHA1 (SignatureVersion 1)
or SHA256 (2) by the certificate at ``SigningCertURL``, which must be an https URL on an SNS host.
"""
from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..domain.errors import ForbiddenError

if TYPE_CHECKING:
    from collections.abc import Callable

SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


def fetch_https(url: str) -> bytes:
    from urllib.request import urlopen

    with urlopen(url, timeout=5) as response:  # noqa: S310 (the URL's scheme and host were checked)
        body: bytes = response.read()
        return body


class SnsSignatures:
    def __init__(self, fetch: Callable[[str], bytes] = fetch_https) -> None:
        self.fetch = fetch
        self._certs: dict[str, Any] = {}

    def verify(self, message: dict[str, Any]) -> None:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        fields = SIGNED_FIELDS.get(str(message.get("Type")))
        url = str(message.get("SigningCertURL") or "")
        parsed = urlparse(url)
        if fields is None or parsed.scheme != "https" or not SNS_HOST.match(parsed.hostname or ""):
            raise ForbiddenError("Not a signed SNS message.", code="invalid_signature")
        text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
        algorithm = hashes.SHA256() if str(message.get("SignatureVersion")) == "2" else hashes.SHA1()  # noqa: S303
        if url not in self._certs:
            self._certs[url] = x509.load_pem_x509_certificate(self.fetch(url)).public_key()
        try:
            self._certs[url].verify(base64.b64decode(str(message.get("Signature", ""))), text.encode(),
                                    padding.PKCS1v15(), algorithm)
        except (InvalidSignature, ValueError) as exc:
            raise ForbiddenError("The SNS signature does not match.", code="invalid_signature") from exc

    def confirm(self, subscribe_url: str) -> None:
        parsed = urlparse(subscribe_url)
        if parsed.scheme != "https" or not SNS_HOST.match(parsed.hostname or ""):
            raise ForbiddenError("The subscription URL is not an SNS URL.", code="invalid_signature")
        self.fetch(subscribe_url)
