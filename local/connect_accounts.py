"""Stripe Connect on the local payment provider: connected accounts and the OAuth round trip.

``GET /oauth/authorize?client_id&state&redirect_uri`` shows a page whose button makes a new Standard
account (or picks an existing one) and sends the browser back to ``redirect_uri?code=...&state=...``,
as ``connect.stripe.com`` does; ``POST /oauth/token`` (also ``/v1/oauth/token``) exchanges the code
for ``stripe_user_id``; ``GET /v1/accounts/<id>`` reads the account. Every API object the provider
makes belongs to the account in the request's ``Stripe-Account`` header, and is found only there.
"""
from __future__ import annotations

import html
import secrets
import urllib.parse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .payment_provider import LocalStripe


class ConnectAccounts:
    def __init__(self, provider: LocalStripe) -> None:
        self.provider = provider

    @property
    def codes(self) -> dict[str, str]:
        """OAuth code -> account id (kept with the provider's objects, single use)."""
        codes: dict[str, str] = self.provider.objects.setdefault("_oauth_codes", {"object": "_codes"})
        return codes

    def accounts(self) -> list[dict[str, Any]]:
        return [o for o in self.provider.objects.values() if o.get("object") == "account"]

    def authorize_page(self, p: dict[str, Any]) -> tuple[str, bytes]:
        hidden = "".join(f"<input type='hidden' name='{k}' value='{html.escape(str(p.get(k) or ''), quote=True)}'>"
                         for k in ("client_id", "state", "redirect_uri"))
        existing = "".join(f"<option value='{a['id']}'>{a['id']} ({html.escape(a.get('email') or '')})</option>"
                           for a in self.accounts())
        page = ("<html><body><h1>Connect with Stripe (local)</h1>"
                f"<p>Platform <code>{html.escape(str(p.get('client_id') or ''))}</code> asks to connect your account.</p>"
                f"<form method='post' action='/oauth/authorize'>{hidden}"
                f"<select name='account'><option value=''>Create a new account</option>{existing}</select> "
                "<input name='email' placeholder='owner@studio.example'> <button>Connect</button></form></body></html>")
        return "text/html", page.encode()

    def approve(self, p: dict[str, Any]) -> tuple[str, str]:
        """The button: make (or pick) the account, then redirect back with a one-time code."""
        redirect = str(p.get("redirect_uri") or "")
        if not redirect.startswith(("http://", "https://")):
            from .payment_provider import StripeError

            raise StripeError(400, "redirect_uri must be an http(s) URL", "invalid_redirect_uri")
        account_id = str(p.get("account") or "") or self.create(str(p.get("email") or "owner@studio.example"))["id"]
        code = f"ac_{secrets.token_hex(12)}"
        self.codes[code] = account_id
        query = urllib.parse.urlencode({"code": code, "state": p.get("state") or "", "scope": "read_write"})
        return "redirect", f"{redirect}{'&' if '?' in redirect else '?'}{query}"

    def create(self, email: str, account_id: str | None = None) -> dict[str, Any]:
        provider = self.provider
        account = {"id": account_id or provider.new_id("acct"), "object": "account", "type": "standard",
                   "email": email, "charges_enabled": True, "payouts_enabled": True, "details_submitted": True,
                   "country": "DE", "default_currency": "eur", "created": provider.now(), "livemode": False}
        provider.objects[account["id"]] = account
        return account

    def token(self, p: dict[str, Any]) -> dict[str, Any]:
        from .payment_provider import StripeError

        account_id = self.codes.pop(str(p.get("code") or ""), None)
        if account_id is None:
            raise StripeError(400, "Authorization code does not exist or was already used.", "invalid_grant")
        return {"access_token": "sk_test_local_connected", "livemode": False, "refresh_token": "rt_local",
                "token_type": "bearer", "stripe_publishable_key": "pk_test_local", "stripe_user_id": account_id,
                "scope": "read_write"}

    def retrieve(self, account_id: str) -> dict[str, Any]:
        from .payment_provider import StripeError

        account = self.provider.objects.get(account_id)
        if account is None or account.get("object") != "account":
            raise StripeError(404, f"No such account: '{account_id}'")
        return account

    def deauthorize(self, account_id: str) -> dict[str, Any]:
        """The business disconnects the platform in its dashboard: Stripe sends the Connect event."""
        account = self.retrieve(account_id)
        application = {"id": "ca_local", "object": "application", "name": "Memberships (local)"}
        self.provider.account = account_id
        self.provider.emit("account.application.deauthorized", application)
        return account
