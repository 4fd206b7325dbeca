"""B5: the portal link an email carries, opening a fresh Stripe billing-portal session when followed.

A portal session is short-lived and single-use, so an email cannot carry one. It carries a signed
link instead (business, subscription, expiry, HMAC); following it creates a session at that moment
and redirects there. The link is as strong as the mailbox it was sent to, like Stripe's own emails.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from ...domain.errors import NotFoundError, RuleRefusedError
from ...ports.clock import Clock, utc_now

if TYPE_CHECKING:

    from ...domain.context import PublicContext
    from ...ports.memberships import MemberStore
    from ...ports.payments import BusinessPayments

LINK_LIFETIME = timedelta(days=90)  # emails are reopened weeks later; the portal itself asks nothing more


class PortalLinks:
    def __init__(self, secret: str, members: MemberStore, payments: BusinessPayments, public_base_url: str,
                 clock: Clock = utc_now) -> None:
        self.secret = secret.encode()
        self.members = members
        self.payments = payments
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock

    def _sign(self, business_id: str, subscription_id: str, expires: int) -> str:
        message = f"{business_id}|{subscription_id}|{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def link(self, business_id: str, subscription_id: str) -> str:
        expires = int((self.clock() + LINK_LIFETIME).timestamp())
        token = f"{subscription_id}.{expires}.{self._sign(business_id, subscription_id, expires)}"
        return f"{self.public_base_url}/v1/businesses/{business_id}/portal-links/{token}"

    def open(self, ctx: PublicContext, link: str) -> str:
        """The URL of a fresh portal session for a valid link; 404 for a forged or foreign one."""
        parts = link.split(".")
        unknown = NotFoundError("This portal link does not exist.")
        if len(parts) != 3 or not parts[1].isdigit():
            raise unknown
        subscription_id, expires, signature = parts[0], int(parts[1]), parts[2]
        if not hmac.compare_digest(signature, self._sign(ctx.business_id, subscription_id, expires)):
            raise unknown
        if expires < self.clock().timestamp():
            raise RuleRefusedError("link_expired", "This link has expired: open the portal from your bookings page.")
        record = self.members.find(ctx.business_id, subscription_id)
        if record is None or not record.customer_id:
            raise unknown
        return self.payments.for_business(ctx.business_id).portal_url(record.customer_id, f"{self.public_base_url}/v1/businesses/{ctx.business_id}/memberships")
