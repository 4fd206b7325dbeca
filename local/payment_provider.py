"""The local payment provider: a small Stripe look-alike the production adapter talks to unchanged.

``StripeClient(base_addresses={"api": url})`` sends its usual form-encoded requests here, so the
code path of production (``chalicelib/adapters/stripe_payments.py``) runs locally too. Objects are
Stripe's own examples (``fixtures3.json``) with our fields filled in; events are signed with the
webhook secret exactly as Stripe signs them and posted to ``POST /webhooks/stripe``.

Beyond the API: ``GET /checkout/<id>`` is a checkout page whose button pays (``POST /checkout/<id>/pay``),
and ``POST /_local/trigger`` plays lifecycle events like ``stripe trigger``: renew, fail,
fail-final, recover, cancel (in the dashboard), cancel-at-period-end, end-period, price-change.

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
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "stripe" / "fixtures3.json"
VENDORED_FIXTURES = Path(__file__).resolve().parent / "stripe_fixtures.json"
API_VERSION = "2026-10-28.endive"
DEFAULT_PORT = 8003
PERIOD_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
Sink = Callable[[bytes, str], None]  # (payload, Stripe-Signature header)


def fixtures() -> dict[str, Any]:
    path = SHARED_FIXTURES if SHARED_FIXTURES.exists() else VENDORED_FIXTURES
    return json.loads(path.read_text())["resources"]


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = value if last else ([] if parts[i + 1].isdigit() else {})
            if isinstance(node, list):
                idx = int(part)
                while len(node) <= idx:
                    node.append(None)
                if node[idx] is None or last:
                    node[idx] = nxt
                node = node[idx]
            else:
                if part not in node or last:
                    node[part] = nxt
                node = node[part]
    return out


def signed_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def http_sink(url: str) -> Sink:
    def post(payload: bytes, header: str) -> None:
        req = urllib.request.Request(url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json", "Stripe-Signature": header})
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    return post


class StripeError(Exception):
    def __init__(self, status: int, message: str, code: str = "resource_missing") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class LocalStripe:
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

    def _new_subscription(self, customer: dict[str, Any], price: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        sub = self.make("subscription", "sub", customer=customer["id"], status="active", cancel_at_period_end=False,
                        cancel_at=None, canceled_at=None, ended_at=None, trial_start=None, trial_end=None,
                        start_date=now, billing_cycle_anchor=now, metadata=metadata, pause_collection=None,
                        pending_update=None, schedule=None, currency=price["currency"], latest_invoice=None,
                        next_pending_invoice_item_invoice=None, transfer_data=None, billing_schedules=[])
        item = copy.deepcopy(sub["items"]["data"][0])
        item.update(id=self.new_id("si"), created=now, price=copy.deepcopy(price), subscription=sub["id"],
                    current_period_start=now, current_period_end=now + self._period(price), plan=None)
        sub["items"] = {"object": "list", "data": [item], "has_more": False, "url": f"/v1/subscription_items?subscription={sub['id']}"}
        return sub

    def _period(self, price: dict[str, Any]) -> int:
        rec = price["recurring"]
        return PERIOD_SECONDS[rec["interval"]] * int(rec.get("interval_count") or 1)

    def _new_invoice(self, customer: dict[str, Any], sub: dict[str, Any] | None, amount: int, currency: str,
                     reason: str, paid: bool, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        inv = self.make("invoice", "in", customer=customer["id"], customer_email=customer["email"], currency=currency,
                        amount_due=amount, amount_paid=amount if paid else 0, amount_remaining=0 if paid else amount,
                        billing_reason=reason, status="paid" if paid else "open", attempted=True,
                        attempt_count=1 if paid else 0, total=amount, subtotal=amount, metadata=metadata or {},
                        last_finalization_error=None, from_invoice=None, shipping_cost=None, next_payment_attempt=None)
        inv["hosted_invoice_url"] = f"{self.base_url}/invoices/{inv['id']}"
        inv["invoice_pdf"] = f"{self.base_url}/files/invoices/{inv['id']}.pdf"
        inv["parent"] = {"type": "subscription_details", "quote_details": None, "subscription_details": {
            "subscription": sub["id"] if sub else None, "metadata": sub["metadata"] if sub else None}} if sub else None
        inv["lines"]["data"] = []
        return inv

    def retrieve_subscription(self, sub_id: str) -> dict[str, Any]:
        return self.get(sub_id, "subscription")

    def update_subscription(self, sub_id: str, p: dict[str, Any]) -> dict[str, Any]:
        sub = self.get(sub_id, "subscription")
        if sub["status"] == "canceled":
            raise StripeError(400, "A canceled subscription can only update its metadata.", "subscription_canceled")
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in p:
            cancel = p["cancel_at_period_end"] == "true"
            previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
            item = sub["items"]["data"][0]
            sub.update(cancel_at_period_end=cancel, cancel_at=item["current_period_end"] if cancel else None,
                       canceled_at=self.now() if cancel else None)
        if (p.get("billing_cycle_anchor") or {}).get("type") == "now":
            previous["billing_cycle_anchor"] = sub["billing_cycle_anchor"]
            self._advance(sub, reason="subscription_update", start=self.now())
            return sub
        self.emit("customer.subscription.updated", sub, previous)
        return sub

    def cancel_subscription(self, sub_id: str) -> dict[str, Any]:
        sub = self.get(sub_id, "subscription")
        if sub["status"] != "canceled":
            now = self.now()
            sub.update(status="canceled", canceled_at=sub.get("canceled_at") or now, ended_at=now, cancel_at_period_end=False)
            self.emit("customer.subscription.deleted", sub)
        return sub

    def _advance(self, sub: dict[str, Any], reason: str, start: int | None = None) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        begin = start if start is not None else item["current_period_end"]
        item.update(current_period_start=begin, current_period_end=begin + self._period(item["price"]))
        if start is not None:
            sub["billing_cycle_anchor"] = start
        customer = self.get(sub["customer"], "customer")
        inv = self._new_invoice(customer, sub, int(item["price"]["unit_amount"]), sub["currency"], reason, paid=True)
        inv["_payment_intent"] = self.new_id("pi")
        sub.update(latest_invoice=inv["id"], status="active")
        self.emit("invoice.paid", inv)
        self.emit("customer.subscription.updated", sub)
        return inv

    def list_invoice_payments(self, invoice_id: str) -> dict[str, Any]:
        inv = self.get(invoice_id, "invoice")
        data = []
        if inv["status"] == "paid" and inv.get("_payment_intent"):
            payment = copy.deepcopy(self.fx["invoice_payment"])
            payment.update(id=self.new_id("inpay"), invoice=invoice_id, status="paid", amount_paid=inv["amount_paid"],
                           currency=inv["currency"], payment={"type": "payment_intent", "payment_intent": inv["_payment_intent"]})
            data.append(payment)
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/invoice_payments"}

    def create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        intent = p.get("payment_intent")
        inv = next((o for o in self.objects.values() if o.get("object") == "invoice" and o.get("_payment_intent") == intent
                    and o.get("_account") == self.account), None)
        if inv is None:
            raise StripeError(404, f"No such payment_intent: '{intent}'")
        amount = int(p.get("amount") or inv["amount_paid"])  # a partial refund names its amount
        refund = self.make("refund", "re", payment_intent=intent, amount=amount, currency=inv["currency"],
                           status="succeeded", metadata=p.get("metadata") or {}, charge=None)
        charge = self.make("charge", "ch", payment_intent=intent, amount=inv["amount_paid"], amount_refunded=amount,
                           refunded=True, currency=inv["currency"], customer=inv["customer"], source=None)
        self.emit("charge.refunded", charge)
        return refund

    def portal_session(self, p: dict[str, Any]) -> dict[str, Any]:
        session = self.make("billing_portal.session", "bps", customer=p["customer"], return_url=p.get("return_url"),
                            flow=None, configuration="bpc_local")
        session["url"] = f"{self.base_url}/portal/{session['id']}"
        return session

    # --- lifecycle triggers (make stripe-trigger) ---------------------------------------------------

    def subscription_of(self, email: str) -> dict[str, Any]:
        subs = [o for o in self.objects.values() if o.get("object") == "subscription"
                and self.objects[o["customer"]]["email"] == email]
        if not subs:
            raise StripeError(404, f"No subscription for customer '{email}'")
        live = [s for s in subs if s["status"] != "canceled"]
        return (live or subs)[-1]

    def trigger(self, event: str, email: str) -> dict[str, Any]:
        sub = self.subscription_of(email)
        self.account = sub.get("_account")  # a trigger plays on the account the subscription lives on
        customer = self.get(sub["customer"], "customer")
        item = sub["items"]["data"][0]
        if event == "renew":
            self._advance(sub, reason="subscription_cycle")
        elif event == "fail":
            inv = self._open_invoice(sub) or self._new_invoice(customer, sub, int(item["price"]["unit_amount"]),
                                                               sub["currency"], "subscription_cycle", paid=False)
            inv["attempt_count"] += 1
            inv["next_payment_attempt"] = self.now() + 3 * 86400
            sub.update(status="past_due", latest_invoice=inv["id"])
            self.emit("invoice.payment_failed", inv)
            self.emit("customer.subscription.updated", sub, {"status": "active"})
        elif event == "fail-final":
            inv = self._open_invoice(sub)
            if inv:
                inv["next_payment_attempt"] = None
            sub["status"] = "unpaid"
            self.emit("customer.subscription.updated", sub, {"status": "past_due"})
        elif event == "recover":
            inv = self._open_invoice(sub)
            if inv is None:
                raise StripeError(400, "No open invoice to recover.", "no_open_invoice")
            inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0, _payment_intent=self.new_id("pi"))
            previous = sub["status"]
            item.update(current_period_start=item["current_period_end"],
                        current_period_end=item["current_period_end"] + self._period(item["price"]))
            sub["status"] = "active"
            self.emit("invoice.paid", inv)
            self.emit("customer.subscription.updated", sub, {"status": previous})
        elif event == "cancel":
            self.cancel_subscription(sub["id"])
        elif event == "cancel-at-period-end":
            self.update_subscription(sub["id"], {"cancel_at_period_end": "true"})
        elif event == "end-period":
            item["current_period_end"] = self.now()
            self.cancel_subscription(sub["id"])
        elif event == "price-change":
            self.update_price(item["price"]["id"], {"unit_amount": str(int(item["price"]["unit_amount"]) + 500)})
            item["price"] = copy.deepcopy(self.get(item["price"]["id"], "price"))
        else:
            raise StripeError(400, f"Unknown trigger '{event}'.", "unknown_trigger")
        return self.get(sub["id"], "subscription")

    def _open_invoice(self, sub: dict[str, Any]) -> dict[str, Any] | None:
        latest = self.objects.get(sub.get("latest_invoice") or "")
        return latest if latest and latest["status"] == "open" else None

    # --- HTTP dispatch ------------------------------------------------------------------------------

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
            case ("GET", ["v1", "checkout", "sessions", sid]):
                return self.get(sid, "checkout.session")
            case ("GET", ["v1", "subscriptions", sid]):
                return self.retrieve_subscription(sid)
            case ("POST", ["v1", "subscriptions", sid]):
                return self.update_subscription(sid, p)
            case ("DELETE", ["v1", "subscriptions", sid]):
                return self.cancel_subscription(sid)
            case ("GET", ["v1", "invoices", iid]):
                return self.get(iid, "invoice")
            case ("GET", ["v1", "invoice_payments"]):
                return self.list_invoice_payments(p.get("invoice", ""))
            case ("POST", ["v1", "refunds"]):
                return self.create_refund(p)
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


def public(obj: Any) -> Any:
    """Drop the provider's private bookkeeping (keys starting with '_')."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


def serve(provider: LocalStripe, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if self.headers.get("Content-Type", "").startswith("application/json") and raw:
                params = json.loads(raw)
            else:
                params = parse_form(raw or url.query)
            status, body, ctype = provider.route(self.command, url.path, params, self.headers.get("Idempotency-Key"),
                                                 self.headers.get("Stripe-Account"))
            if ctype == "redirect":
                self.send_response(302)
                self.send_header("Location", body)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = body if isinstance(body, bytes) else json.dumps(public(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_local{time.time_ns()}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    provider.base_url = provider.base_url or f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, name="local-payment-provider", daemon=True).start()
    return server


class BackgroundSink:
    """Delivers events from a thread, in order, retrying like Stripe: the API never waits on the app."""

    def __init__(self, deliver: Sink, attempts: int = 5) -> None:
        self.deliver = deliver
        self.attempts = attempts
        self.pending: queue.Queue[tuple[bytes, str]] = queue.Queue()
        threading.Thread(target=self._run, name="webhook-delivery", daemon=True).start()

    def __call__(self, payload: bytes, header: str) -> None:
        self.pending.put((payload, header))

    def _run(self) -> None:
        while True:
            payload, header = self.pending.get()
            for attempt in range(self.attempts):
                try:
                    self.deliver(payload, header)
                    break
                except (OSError, urllib.error.URLError) as exc:
                    print(f"[payments] webhook delivery failed ({exc}); retry {attempt + 1}", flush=True)
                    time.sleep(2**attempt)


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
                                        "end-period", "price-change"])
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
