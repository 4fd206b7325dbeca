"""Stripe Connect (T4–T6): a business connects its own Standard account; every Stripe call of the
business is made on that account, and Connect events are routed back to the business by account.

The OAuth ``state`` is signed (HMAC) over the business, the staff member and an expiry, so a
callback can neither be forged nor replayed to connect an account to another business.
``for_business`` is the one way services reach Stripe: it answers 409 ``stripe_not_connected``
(T6) for a business that never connected or was disconnected, so no paid feature can forget it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ..domain.errors import ConflictError, InvalidInputError, PaymentsUnavailableError
from ..domain.paging import PageRequest
from ..domain.staff import StaffRole
from ..domain.tenancy import CONNECT_STEP, StripeConnection
from ..logs import logger
from .staff import require_owner

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import StaffContext
    from ..domain.tenancy import Business
    from ..ports.messaging import MailerPort
    from ..ports.payments import PaymentPlatform, PaymentPort
    from ..ports.staff import StaffStore
    from ..ports.tenancy import BusinessesByAccount, BusinessStore

STATE_SECONDS = 15 * 60


class BadConnectStateError(InvalidInputError):
    def __init__(self, why: str) -> None:
        super().__init__(f"The Stripe connection link is not valid: {why}. Start connecting again.", field="state",
                         code="bad_state")


class StripeConnect:
    def __init__(self, businesses: BusinessStore, accounts: BusinessesByAccount, platform: Callable[[], PaymentPlatform],
                 mailer: Callable[[], MailerPort], *, state_secret: str, callback_url: str, livemode: bool,
                 staff: StaffStore | None = None, clock: Callable[[], float] = time.time) -> None:
        self.staff = staff  # the business's owners are told of a disconnection too (T2 records)
        self.businesses = businesses
        self.accounts = accounts
        self.platform = platform
        self.mailer = mailer
        self.state_secret = state_secret.encode()
        self.callback_url = callback_url
        self.livemode = livemode
        self.clock = clock

    # --- every Stripe call of a business goes through here ------------------------------------------

    def for_business(self, business_id: str) -> PaymentPort:
        business = self.businesses.get(business_id)
        account = business.stripe_account()  # the business's missing step first, then the deployment's
        return self.platform().for_account(account, business.application_fee_bps)

    # --- connecting (OAuth, Standard accounts) -----------------------------------------------------------

    def status(self, ctx: StaffContext) -> Business:
        return self.status_of(ctx.business_id)

    def status_of(self, business_id: str) -> Business:
        return self.businesses.get(business_id)

    def start(self, ctx: StaffContext) -> str:
        """The Stripe page where the owner approves the connection; it sends them back to the callback."""
        require_owner(ctx)  # T2: only an owner manages the Stripe connection
        return self.platform().connect_url(self.sign_state(ctx.business_id, ctx.subject), self.callback_url)

    def sign_state(self, business_id: str, subject: str) -> str:
        claims = {"b": business_id, "s": subject, "exp": int(self.clock()) + STATE_SECONDS}
        body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def _mac(self, body: str) -> str:
        if not self.state_secret:
            raise PaymentsUnavailableError("CONNECT_STATE_SECRET is not set; Stripe accounts cannot be connected.")
        return hmac.new(self.state_secret, body.encode(), hashlib.sha256).hexdigest()

    def verify_state(self, state: str) -> str:
        """The business the state was signed for (``BadConnectStateError`` when forged, altered or old)."""
        body, _, mac = state.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise BadConnectStateError("its signature does not match")
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError as exc:
            raise BadConnectStateError("it is malformed") from exc
        if not isinstance(claims, dict) or not isinstance(claims.get("b"), str) or not isinstance(claims.get("exp"), int):
            raise BadConnectStateError("it is malformed")
        if claims["exp"] < self.clock():
            raise BadConnectStateError("it has expired")
        business_id: str = claims["b"]
        return business_id

    def complete(self, code: str, state: str) -> Business:
        """The OAuth callback: the state names the business, the code names the account."""
        business = self.businesses.get(self.verify_state(state))
        account = self.platform().connect_account(code)
        if account.livemode != self.livemode:
            raise ConflictError(f"Stripe account {account.account_id} was connected in "
                                f"{'live' if account.livemode else 'test'} mode; this platform runs in "
                                f"{'live' if self.livemode else 'test'} mode.", code="wrong_mode")
        others = [b for b in self.accounts.by_stripe_account(account.account_id)
                  if b.business_id != business.business_id and b.stripe_connection is StripeConnection.CONNECTED]
        if others:
            raise ConflictError(f"Stripe account {account.account_id} is already connected to another business.",
                                code="account_in_use")
        connected = replace(business, stripe_account_id=account.account_id, stripe_connection=StripeConnection.CONNECTED,
                            stripe_livemode=account.livemode, stripe_charges_enabled=account.charges_enabled,
                            stripe_account_email=account.email or business.stripe_account_email)
        self.businesses.save(connected)
        logger.info("stripe account connected", extra={"business_id": business.business_id, "account": account.account_id})
        return connected

    # --- Connect events ------------------------------------------------------------------------------

    def business_of_account(self, account_id: str) -> Business | None:
        """The business an event of ``account_id`` belongs to: connected now, else the last to have it."""
        found = self.accounts.by_stripe_account(account_id)
        connected = [b for b in found if b.stripe_connection is StripeConnection.CONNECTED]
        candidates = connected or found
        return candidates[0] if candidates else None

    def deauthorized(self, business: Business, occurrence: str) -> None:
        """``account.application.deauthorized``: stop payments, keep every record, tell the business."""
        if business.stripe_connection is StripeConnection.CONNECTED:
            self.businesses.save(replace(business, stripe_connection=StripeConnection.DISCONNECTED,
                                         stripe_charges_enabled=False))
        logger.warning("stripe account disconnected", extra={"business_id": business.business_id,
                                                              "account": business.stripe_account_id})
        for email in self._disconnection_recipients(business):
            self.mailer().send_once(f"{occurrence}:{email}", "stripe_disconnected", email, {
                "business_name": business.name, "account_id": business.stripe_account_id, "connect_step": CONNECT_STEP})

    def _disconnection_recipients(self, business: Business) -> list[str]:
        """The Stripe account's own email and every owner's (each once): those who can reconnect it."""
        emails = [business.stripe_account_email] if business.stripe_account_email else []
        if self.staff is not None:
            owners = self.staff.of_business(business.business_id, PageRequest(100)).items
            emails += [m.email for m in owners if m.role is StaffRole.OWNER and m.email]
        return list(dict.fromkeys(emails))
