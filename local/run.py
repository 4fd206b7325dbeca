"""``make run``: the whole system on this machine, stopped with Ctrl-C (or SIGTERM).

Starts, in order: DynamoDB Local (data kept in ``.local/dynamodb``), a moto server for SQS, SES
and SNS (in memory: queues and the SES sender are recreated at every start), the tables and queues
that are missing, the demo data (``local.seed``), the API on ``PORT`` (8000: ``local.api_server``,
Chalice's local gateway on a threaded server that answers 503 until the tables and seed are ready) and the
worker (``local.worker``: SQS consumers and schedules), and the local payment provider
(``local.payment_provider``, its objects kept in ``.local/payments``). Prints a staff and a booker token, then
copies sent emails into the outbox file until it is stopped; stopping ends every child process.

Ports: ``PORT`` (API, 8000), ``DYNAMODB_PORT`` (8001), ``MOTO_PORT`` (8002), ``PAYMENTS_PORT`` (the
local payment provider, 8003); ``LOCAL_DIR`` moves the data folder. The tests run a second stack
beside yours this way.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.utils import parseaddr
from typing import Any

from . import dynamodb_local, payment_provider
from .outbox import Outbox
from .settings import DEMO_BOOKER, DEMO_BUSINESS, ROOT, Layout, environment

MAX_RECEIVE_COUNT = 5  # as deployed: the sixth failure moves a message to the DLQ
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
STOP_ORDER = ["worker", "api", "dynamodb-local"]


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def create_queues(sqs: Any, names: list[str], visibility_seconds: int) -> dict[str, str]:
    """Each consumed queue with its DLQ and redrive policy; returns name -> URL."""
    urls = {}
    for name in names:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq", Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
        urls[name] = sqs.create_queue(
            QueueName=name, Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_seconds)}
        )["QueueUrl"]
    return urls


def wait_for_api(url: str, api: "subprocess.Popen[bytes]", timeout: float = 60) -> None:
    """Until the API serves (any answer but the 503 it gives before it has seen the ready file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise RuntimeError(f"the API server exited with code {api.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/openapi.json", timeout=2):
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 503:
                return
            time.sleep(0.2)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the API did not answer on {url} within {timeout:.0f} s")


class Stack:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.dynamodb: Future[None] | None = None
        self.moto: Any = None

    def start(self) -> None:
        layout = self.layout
        ports = {"PORT": layout.api_port, "DYNAMODB_PORT": layout.dynamodb_port, "MOTO_PORT": layout.moto_port,
                 "PAYMENTS_PORT": layout.payments_port}
        busy = [f"{var}={port}" for var, port in ports.items() if port_in_use(port)]
        if busy:
            raise RuntimeError(f"port(s) in use: {', '.join(busy)}. Stop what uses them, or choose others, "
                               f"e.g. PORT=8080 make run.")
        # The JVM takes seconds to start: let it, while moto, the queues and the API come up.
        self.dynamodb = ThreadPoolExecutor(max_workers=1).submit(self._start_dynamodb)

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request (the outbox polls it)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=layout.moto_port, verbose=False)
        self.moto.start()
        say(f"moto (SQS, SES, SNS, S3) on {layout.moto_url}")

        # Before importing the app: the PynamoDB models and the consumer's queue name read the environment.
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(environment(layout))
        import boto3

        from app import app
        from chalicelib import bootstrap
        from chalicelib.adapters.dynamodb.base import create_missing_tables

        from .seed import MEMBERSHIP_ID, OPTION_ID, seed
        from .tokens import mint
        from .worker import queue_names

        sqs = boto3.client("sqs")
        visibility = int(os.environ.get("LOCAL_VISIBILITY_TIMEOUT") or 30)
        urls = create_queues(sqs, queue_names(app), visibility)
        os.environ["EVENTS_QUEUE_URL"] = urls.get(os.environ["EVENTS_QUEUE_NAME"], "")
        say(f"queues: {', '.join(urls)} (each with a -dlq, maxReceiveCount {MAX_RECEIVE_COUNT})")
        sender = parseaddr(os.environ["EMAIL_SENDER"])[1]
        boto3.client("ses").verify_email_identity(EmailAddress=sender)
        # The local payment provider (Stripe's API for the production adapter; posts signed webhooks to the API).
        os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_local_only_secret")
        _, os.environ["STRIPE_API_BASE"] = payment_provider.start(
            layout.payments_port, f"{layout.api_url}/webhooks/stripe", os.environ["STRIPE_WEBHOOK_SECRET"],
            layout.payments_state_file)
        say(f"local payment provider on {os.environ['STRIPE_API_BASE']} (make stripe-trigger EVENT=... EMAIL=...)")
        blobs = os.environ["BLOB_BUCKET"]
        region = sqs.meta.region_name
        boto3.client("s3").create_bucket(Bucket=blobs, **({} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}))
        say(f"bucket: {blobs} (webhook bodies too large for SQS)")
        # The API listens now, answering 503 + Retry-After until the ready file says tables and seed are there.
        ready_file = layout.data_dir / "api-ready"
        ready_file.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "CHALICE_WORKER"}
        api = subprocess.Popen(
            [sys.executable, "-m", "local.api_server", "--host", "127.0.0.1", "--port", str(layout.api_port),
             "--ready-file", str(ready_file)],
            cwd=ROOT, env=env,
        )
        self._started("api", api, f"API (Chalice local gateway, threaded) on {layout.api_url}, 503 until ready")
        worker = subprocess.Popen([sys.executable, "-m", "local.worker"], cwd=ROOT, env=env)
        self._started("worker", worker, "SQS consumers and schedules")

        self.dynamodb.result()
        created = create_missing_tables(wait=True)
        say(f"tables: {len(created)} created" + (f" ({', '.join(created)})" if created else ", all there"))
        bootstrap.reset()
        seeded = seed(with_membership=True)
        say(f"seed: business {DEMO_BUSINESS} {'created' if seeded.business_created else 'already there'}, "
            f"{seeded.entries_created} new entries; membership {MEMBERSHIP_ID} (option {OPTION_ID}) "
            f"{'created' if seeded.membership_created else 'already there'}, "
            f"{seeded.member_entries_created} new members-only entries")
        ready_file.parent.mkdir(parents=True, exist_ok=True)
        ready_file.touch()
        wait_for_api(layout.api_url, api)

        staff, booker = mint("staff", business=DEMO_BUSINESS), mint("booker", email=DEMO_BOOKER, name="Demo Booker")
        print(f"""
Ready: {layout.api_url}/openapi.json   (docs: {layout.api_url}/docs)
  staff token  (staff of {DEMO_BUSINESS}; tokens name no business, the staff records do):
{staff}
  owner tokens: make token ROLE=owner BUSINESS={DEMO_BUSINESS} (or demo-free); operator: make token ROLE=operator
  booker token ({DEMO_BOOKER}):
{booker}
  e.g. curl -H "Authorization: Bearer $TOKEN" {layout.api_url}/v1/manage/pages
  more tokens: make token ROLE=booker EMAIL=you@example.com; emails and SMS sent: make outbox; stop: Ctrl-C
""", flush=True)

    def _start_dynamodb(self) -> None:
        proc, _ = dynamodb_local.start(self.layout.dynamodb_port, self.layout.dynamodb_dir)
        self._started("dynamodb-local", proc, f"{self.layout.dynamodb_url}, data in {self.layout.dynamodb_dir}")

    def _started(self, name: str, proc: "subprocess.Popen[bytes]", what: str) -> None:
        self.children[name] = proc
        say(f"started {name} (pid {proc.pid}): {what}")

    def supervise(self) -> None:
        """Copy new emails to the outbox file; stop if a child dies."""
        outbox = Outbox(self.layout.outbox_file)
        while True:
            for name, proc in list(self.children.items()):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {proc.returncode}")
            try:
                outbox.sync(self.layout.moto_url)
            except OSError as exc:
                say(f"outbox: moto did not answer ({exc})")
            time.sleep(0.5)

    def stop(self) -> None:
        """Worker, API, then DynamoDB (each given 10 s to exit), then moto."""
        if self.dynamodb is not None:
            wait([self.dynamodb])  # a JVM still starting would otherwise outlive us
        for name in STOP_ORDER:
            proc = self.children.pop(name, None)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            say(f"stopped {name}")
        if self.moto is not None:
            self.moto.stop()
            self.moto = None


def main() -> int:
    def on_signal(*_: object) -> None:
        raise Stopped()

    # Set explicitly: a shell that starts us in the background ignores SIGINT, and we would inherit that.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = Stack(Layout.from_env())
    code = 0
    try:
        stack.start()
        stack.supervise()
    except Stopped:
        say("stopping")
    except RuntimeError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
