"""C4: the unsubscribe link of marketing emails. The link is signed (business, email, HMAC), so it
needs no sign-in and cannot be made for someone else; following it sets the customer's marketing
opt-out, after which marketing messages skip them and transactional ones still go."""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from ..domain.customers import ContactChanges
from ..domain.errors import NotFoundError

if TYPE_CHECKING:
    from ..domain.context import PublicContext
    from ..ports.broadcasts import CustomerContacts


class UnsubscribeLinks:
    def __init__(self, secret: str, contacts: CustomerContacts, public_base_url: str) -> None:
        self.secret = secret.encode()
        self.contacts = contacts
        self.public_base_url = public_base_url.rstrip("/")

    def _sign(self, business_id: str, email: str) -> str:
        message = f"unsubscribe|{business_id}|{email}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def link(self, business_id: str, email: str) -> str:
        encoded = base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")
        return f"{self.public_base_url}/v1/businesses/{business_id}/unsubscribe/{encoded}.{self._sign(business_id, email)}"

    def unsubscribe(self, ctx: PublicContext, token: str) -> str:
        """Set the marketing opt-out of the token's customer; 404 for a forged or foreign token."""
        unknown = NotFoundError("This unsubscribe link does not exist.")
        encoded, _, signature = token.partition(".")
        try:
            email = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError, as is non-ASCII text
            raise unknown from None
        if not hmac.compare_digest(signature, self._sign(ctx.business_id, email)):
            raise unknown
        if self.contacts.find(ctx.business_id, email) is None:
            raise unknown
        self.contacts.set_contact(ctx.business_id, email, ContactChanges(marketing_opt_out=True))
        return email
