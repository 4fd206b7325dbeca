"""The local payment provider's wire: Stripe's form encoding, signed webhook deliveries, the HTTP face.

Split from ``local/payment_provider.py`` (the state and behaviour) so each file says one thing.
"""
from __future__ import annotations

import json
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .payment_provider import LocalStripe

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "stripe" / "fixtures3.json"
VENDORED_FIXTURES = Path(__file__).resolve().parent / "stripe_fixtures.json"
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
