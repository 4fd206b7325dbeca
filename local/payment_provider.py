"""The local payment provider: a small Stripe look-alike the production adapter talks to unchanged.

``StripeClient(base_addresses={"api": url})`` sends its usual form-encoded requests here, so the
code path of production (``chalicelib/adapters/stripe_payments.py``) runs locally too. Objects are
Stripe's own examples (``fixtures3.json``) with our fields filled in; events are signed with the
webhook secret exactly as Stripe signs them and posted to ``POST /webhooks/stripe``.

Beyond the API: ``GET /checkout/<id>`` is a checkout page whose button pays (``POST /checkout/<id>/pay``),
and ``POST /_local/trigger`` plays lifecycle events like ``stripe trigger``: renew, fail,
fail-final, recover, cancel (in the dashboard), cancel-at-period-end, end-period, price-change, reach-cancel-at (a course's end passes).

Connect (``local/connect_accounts.py``): objects belong to the ``Stripe-Account`` of the request that
made them and are found only on it; events carry that ``account`` at the top level (``livemode``
false); ``/oauth/authorize`` and ``/oauth/token`` play the OAuth round trip of Standard accounts.

Start it with ``start(port, webhook_url, secret)``; ``python -m local.payment_provider trigger
EVENT EMAIL`` (``make stripe-trigger``) plays an event against a running one.
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .stripe_billing import PERIOD_SECONDS, BillingMixin
from .stripe_http import (
    SHARED_FIXTURES,
    VENDORED_FIXTURES,
    BackgroundSink,
    Sink,
    StripeError,
    fixtures,
    http_sink,
    parse_form,
    public,
    serve,
    signed_header,
)

__all__ = ["LocalStripe", "StripeError", "BackgroundSink", "Sink", "fixtures", "parse_form", "public", "serve",
           "signed_header", "http_sink", "start", "PERIOD_SECONDS", "SHARED_FIXTURES", "VENDORED_FIXTURES"]

API_VERSION = "2026-10-28.endive"
DEFAULT_PORT = 8003
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class LocalStripe(BillingMixin):
    """State and behaviour; ``serve`` puts an HTTP face on it."""

    def __init__(self, secret: str, sink: Sink | None = None, base_url: str = "", state_file: Path | None = None) -> None:
        self.secret = secret
        self.sink = sink
        self.base_url = base_url
        self.fx = fixtures()
        self.objects: dict[str, dict[str, Any]] = {}
        self.idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []  # every event emitted, in order
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.clock: Callable[[], float] = time.time
        self.state_file = state_file
        self.account: str | None = None  # the Stripe-Account of the request being served
        from .connect_accounts import ConnectAccounts

        self.connect = ConnectAccounts(self)
        self._load()

    # --- state kept across restarts ----------------------------------------------------------------

    def _load(self) -> None:
        """Pick up where the last run stopped, as Stripe would: DynamoDB Local keeps the prices, customers
        and subscriptions the app refers to, and the app dedupes events by id, so a fresh provider that
        counted ids from 1 again would refuse their prices and emit events the app drops as duplicates."""
        if self.state_file is None or not self.state_file.exists():
            return
        state = json.loads(self.state_file.read_text())
        self.objects = state["objects"]
        self.idempotent = {k: (v[0], v[1]) for k, v in state["idempotent"].items()}
        self.ids = itertools.count(state["next_id"])

    def _save(self) -> None:
        if self.state_file is None:
            return
        next_id = next(self.ids)
        self.ids = itertools.count(next_id)
        state = {"objects": self.objects, "idempotent": self.idempotent, "next_id": next_id}
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)  # atomic: a Ctrl-C mid-write leaves the previous state

    # --- helpers --------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_local{next(self.ids):06d}"

    def now(self) -> int:
        return int(self.clock())

    def make(self, kind: str, prefix: str, **fields: Any) -> dict[str, Any]:
        obj = copy.deepcopy(self.fx[kind])
        obj.update(id=self.new_id(prefix), created=self.now(), livemode=False, _account=self.account, **fields)
        self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str, kind: str) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind or obj.get("_account") != self.account:
            raise StripeError(404, f"No such {kind}: '{object_id}'")  # another account's object is not found
        return obj

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        event = copy.deepcopy(self.fx["event"])
        account = obj.get("_account", self.account)
        data: dict[str, Any] = {"object": public(copy.deepcopy(obj))}
        if previous:
            data["previous_attributes"] = previous
        event.update(id=self.new_id("evt"), type=event_type, created=self.now(), api_version=API_VERSION,
                     data=data, livemode=False, pending_webhooks=1, request={"id": None, "idempotency_key": None},
                     account=account)  # a Connect event: the connected account it happened on
        self.events.append(event)
        if self.sink is not None:
            payload = json.dumps(event)
            self.sink(payload.encode(), signed_header(payload, self.secret))
        return event

    # --- API ------------------------------------------------------------------------------------

    def create_product(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.make("product", "prod", name=p["name"], description=p.get("description"),
                         metadata=p.get("metadata") or {}, active=True, default_price=None, updated=self.now())

    def update_product(self, product_id: str, p: dict[str, Any]) -> dict[str, Any]:
        product = self.get(product_id, "product")
        for key in ("name", "description"):
            if key in p:
                product[key] = p[key]
        if "active" in p:
            product["active"] = p["active"] == "true"
        product["updated"] = self.now()
        self.emit("product.updated", product)
        return product

    def create_price(self, p: dict[str, Any]) -> dict[str, Any]:
        recurring = p.get("recurring")
        rec = None
        if recurring:
            rec = {"interval": recurring["interval"], "interval_count": int(recurring.get("interval_count") or 1),
                   "meter": None, "usage_type": "licensed", "trial_period_days": None}
        amount = int(p["unit_amount"])
        return self.make("price", "price", product=p["product"], currency=p["currency"], unit_amount=amount,
                         unit_amount_decimal=str(amount), nickname=p.get("nickname"), metadata=p.get("metadata") or {},
                         recurring=rec, type="recurring" if rec else "one_time", transform_quantity=None)

    def update_price(self, price_id: str, p: dict[str, Any]) -> dict[str, Any]:
        price = self.get(price_id, "price")
        if "nickname" in p:
            price["nickname"] = p["nickname"]
        if "unit_amount" in p:  # local only: Stripe prices' amounts are fixed; here it plays a price change
            price["unit_amount"] = int(p["unit_amount"])
            price["unit_amount_decimal"] = p["unit_amount"]
        self.emit("price.updated", price)
        return price

    def create_checkout(self, p: dict[str, Any]) -> dict[str, Any]:
        session = self.make(
            "checkout.session", "cs_test", mode=p["mode"], status="open", payment_status="unpaid",
            metadata=p.get("metadata") or {}, client_reference_id=p.get("client_reference_id"),
            customer_email=p.get("customer_email"), success_url=p.get("success_url"), cancel_url=p.get("cancel_url"),
            expires_at=int(p.get("expires_at") or self.now() + 86400), customer=None, subscription=None, invoice=None,
            payment_intent=None, amount_total=None, amount_subtotal=None, currency=None, shipping_cost=None,
            total_details=None, currency_conversion=None, after_expiration=None, shipping_address_collection=None,
        )
        session["url"] = f"{self.base_url}/checkout/{session['id']}"
        session["_line_items"] = p.get("line_items") or []
        session["_subscription_metadata"] = ((p.get("subscription_data") or {}).get("metadata")) or {}
        session["_cycle"] = self.cycle_terms(p.get("subscription_data") or {})  # S2: a course's anchor and proration
        session["_application_fee"] = {  # the platform's cut (Connect), as asked
            "amount": (p.get("payment_intent_data") or {}).get("application_fee_amount"),
            "percent": (p.get("subscription_data") or {}).get("application_fee_percent")}
        return session

    def pay_checkout(self, session_id: str) -> dict[str, Any]:
        """The booker paid: customer, subscription (or payment), invoice, then Stripe's events."""
        self.account = self.objects.get(session_id, {}).get("_account")  # the page's button sends no header
        session = self.get(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeError(400, f"Checkout session {session_id} is {session['status']}.", "checkout_not_open")
        email = session.get("customer_email") or "customer@example.com"
        customer = self.make("customer", "cus", email=email, name=None, discount=None)
        lines = [self._line(item) for item in session["_line_items"]]
        total = sum(amount * qty for _, amount, qty, _ in lines)
        currency = next((c for _, _, _, c in lines), "eur")
        recurring = next((price for price, _, _, _ in lines if price and price.get("recurring")), None)
        subscription = None
        if session["mode"] == "subscription" and recurring is not None:
            subscription = self._new_subscription(customer, recurring, session["_subscription_metadata"])
            total += self.first_period(subscription, session.get("_cycle") or {}) - int(recurring["unit_amount"])
        invoice = self._new_invoice(customer, subscription, total, currency, "subscription_create" if subscription else "manual",
                                    paid=True, metadata=session["metadata"])
        intent = self.new_id("pi")
        invoice["_payment_intent"] = intent
        session.update(status="complete", payment_status="paid", customer=customer["id"], amount_total=total,
                       amount_subtotal=total, currency=currency, invoice=invoice["id"], payment_intent=intent,
                       subscription=subscription["id"] if subscription else None,
                       customer_details={**(session.get("customer_details") or {}), "email": email})
        if subscription:
            subscription["latest_invoice"] = invoice["id"]
            self.emit("customer.subscription.created", subscription)
        self.emit("invoice.paid", invoice)
        self.emit("checkout.session.completed", session)
        return session

    def expire_checkout(self, session_id: str) -> dict[str, Any]:
        self.account = self.objects.get(session_id, {}).get("_account")
        session = self.get(session_id, "checkout.session")
        if session["status"] == "open":
            session["status"] = "expired"
            self.emit("checkout.session.expired", session)
        return session

    def _line(self, item: dict[str, Any]) -> tuple[dict[str, Any] | None, int, int, str]:
        qty = int(item.get("quantity") or 1)
        if item.get("price"):
            price = self.get(item["price"], "price")
            return price, int(price["unit_amount"]), qty, price["currency"]
        data = item["price_data"]
        return None, int(data["unit_amount"]), qty, data["currency"]


    def route(self, method: str, path: str, params: dict[str, Any], key: str | None,
              account: str | None = None) -> tuple[int, Any, str]:
        """(status, body, content type). POSTs with an Idempotency-Key replay the first answer (per account)."""
        with self.lock:
            self.account = account
            key = f"{account}|{key}" if key and account else key
            if method == "POST" and key and key in self.idempotent:
                status, body = self.idempotent[key]
                return status, body, "application/json"
            try:
                status, body, ctype = 200, self._dispatch(method, path, params), "application/json"
            except StripeError as exc:
                status, body, ctype = exc.status, {"error": {"type": "invalid_request_error", "message": exc.message,
                                                              "code": exc.code}}, "application/json"
            if isinstance(body, tuple):
                ctype, body = body
            if method == "POST" and key and ctype == "application/json":
                self.idempotent[key] = (status, body)
            if method in ("POST", "DELETE"):
                self._save()
            return status, body, ctype

    def _dispatch(self, method: str, path: str, p: dict[str, Any]) -> Any:
        parts = [x for x in path.split("/") if x]
        match (method, parts):
            case ("POST", ["v1", "products"]):
                return self.create_product(p)
            case ("POST", ["v1", "products", pid]):
                return self.update_product(pid, p)
            case ("POST", ["v1", "prices"]):
                return self.create_price(p)
            case ("POST", ["v1", "prices", pid]):
                return self.update_price(pid, p)
            case ("POST", ["v1", "checkout", "sessions"]):
                return self.create_checkout(p)
            case ("POST", ["v1", "checkout", "sessions", sid, "expire"]):
                return self.expire_checkout(sid)
            case ("GET", ["v1", "checkout", "sessions", sid]):
                return self.get(sid, "checkout.session")
            case ("GET", ["v1", "subscriptions", sid]):
                return self.retrieve_subscription(sid)
            case ("POST", ["v1", "subscriptions", sid]):
                return self.update_subscription(sid, p)
            case ("POST", ["v1", "subscriptions", sid, "pause"]):
                return self.pause_subscription(sid)
            case ("POST", ["v1", "subscriptions", sid, "resume"]):
                return self.resume_subscription(sid)
            case ("DELETE", ["v1", "subscriptions", sid]):
                return self.cancel_subscription(sid)
            case ("GET", ["v1", "invoices", iid]):
                return self.get(iid, "invoice")
            case ("GET", ["v1", "invoice_payments"]):
                return self.list_invoice_payments(p.get("invoice", ""), (p.get("payment") or {}).get("payment_intent"))
            case ("GET", ["v1", "charges", cid]):
                return self.get(cid, "charge")
            case ("GET", ["v1", "refunds"]):
                return self.list_refunds(p.get("charge", ""))
            case ("POST", ["_local", "refund"]):
                return self.dashboard_refund(p.get("payment_intent", ""), int(p["amount"]) if p.get("amount") else None)
            case ("POST", ["_local", "fail-refund", rid]):
                return self.fail_refund(rid)
            case ("POST", ["v1", "refunds"]):
                return self.create_refund(p)
            case ("GET", ["v1", "customers", cid]):
                return self.get(cid, "customer")
            case ("POST", ["v1", "customers", cid]):
                return self.update_customer(cid, p)
            case ("POST", ["v1", "billing_portal", "sessions"]):
                return self.portal_session(p)
            case ("GET", ["files", "invoices", name]):  # a file link works without the account header, as on Stripe
                self.account = self.objects.get(name.removesuffix(".pdf"), {}).get("_account")
                self.get(name.removesuffix(".pdf"), "invoice")
                return ("application/pdf", PDF)
            case ("GET", ["checkout", sid]):
                s = self.get(sid, "checkout.session")
                page = (f"<html><body><h1>Local checkout</h1><p>{s['customer_email']} — {s['mode']}</p>"
                        f"<form method='post' action='/checkout/{sid}/pay'><button>Pay</button></form></body></html>")
                return ("text/html", page.encode())
            case ("POST", ["checkout", sid, "pay"]):
                return self.pay_checkout(sid)
            case ("POST", ["checkout", sid, "expire"]):
                return self.expire_checkout(sid)
            case ("GET", ["oauth", "authorize"]):
                return self.connect.authorize_page(p)
            case ("POST", ["oauth", "authorize"]):
                return self.connect.approve(p)
            case ("POST", ["oauth", "token"]) | ("POST", ["v1", "oauth", "token"]):
                return self.connect.token(p)
            case ("GET", ["v1", "accounts", aid]):
                return self.connect.retrieve(aid)
            case ("POST", ["_local", "deauthorize", aid]):
                return self.connect.deauthorize(aid)
            case ("GET", ["dashboard", _, _, oid]) | ("GET", ["dashboard", _, oid]) | ("GET", ["portal" | "invoices", oid]):
                return self.objects.get(oid) or {"id": oid, "note": "the local provider's stand-in page"}
            case ("POST", ["_local", "trigger"]):
                return self.trigger(p.get("event", ""), p.get("email", ""))
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).", "unrecognized_url")



def start(port: int, webhook_url: str, secret: str, state_file: Path | None = None) -> tuple[ThreadingHTTPServer, str]:
    """The local stack's provider: ``STRIPE_API_BASE`` is the returned URL. One line in ``local/run.py``."""
    provider = LocalStripe(secret, BackgroundSink(http_sink(webhook_url)), state_file=state_file)
    server = serve(provider, port)
    return server, provider.base_url


def main() -> None:
    parser = argparse.ArgumentParser(description="Play a lifecycle event on the running local payment provider.")
    sub = parser.add_subparsers(dest="command", required=True)
    trig = sub.add_parser("trigger")
    trig.add_argument("event", choices=["renew", "fail", "fail-final", "recover", "cancel", "cancel-at-period-end",
                                        "end-period", "price-change", "reach-cancel-at"])
    trig.add_argument("email")
    pay = sub.add_parser("pay", help="pay an open checkout session (what the checkout page's button does)")
    pay.add_argument("session_id")
    args = parser.parse_args()
    base = os.environ.get("STRIPE_API_BASE") or f"http://127.0.0.1:{os.environ.get('PAYMENTS_PORT', DEFAULT_PORT)}"
    if args.command == "trigger":
        url, body = f"{base}/_local/trigger", json.dumps({"event": args.event, "email": args.email}).encode()
    else:
        url, body = f"{base}/checkout/{args.session_id}/pay", b""
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            obj = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{exc.code}: {exc.read().decode()}")
    print(json.dumps({k: obj.get(k) for k in ("id", "status", "cancel_at_period_end", "payment_status") if k in obj}))


if __name__ == "__main__":
    main()
