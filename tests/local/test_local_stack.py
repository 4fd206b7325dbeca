"""`make run` end to end, on free ports beside any stack a developer has running on 8000.

Starts ``python -m local.run``, books a free demo ticket with the printed booker token, sees it in
the staff listing, has the worker consume a queue message and the outbox keep an email, stops it
with Ctrl-C (every process it started must be gone), then finds the booking in the DynamoDB data
folder and the email in the outbox. Restarting the whole stack would double the run time; the
seed's idempotence is tested against moto in test_seed_tokens_outbox.py.
"""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import requests

from local import dynamodb_local
from local.settings import ROOT
from local.tokens import mint

pytestmark = pytest.mark.xdist_group("local_stack")


class RunningStack:
    def __init__(self, data_dir: Path) -> None:
        ports: set[int] = set()
        while len(ports) < 4:
            ports.add(dynamodb_local.free_port())
        self.api_port, self.dynamodb_port, self.moto_port, payments_port = sorted(ports)
        env = {**os.environ, "PORT": str(self.api_port), "DYNAMODB_PORT": str(self.dynamodb_port),
               "MOTO_PORT": str(self.moto_port), "PAYMENTS_PORT": str(payments_port), "LOCAL_DIR": str(data_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "local.run"], cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.moto = f"http://127.0.0.1:{self.moto_port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 150) -> None:
        """Generous: a first start creates every table in a cold JVM, slow on a busy 2-CPU box."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                pytest.fail(f"no {text!r} from local.run (exit {self.proc.poll()}):\n{self.output}")
            try:
                self._new.get(timeout=0.5)
            except queue.Empty:
                pass

    def token(self, role: str) -> str:
        found = re.search(rf"^\s*{role} token .*:\n(\S+)$", self.output, re.MULTILINE)
        assert found, self.output
        return found.group(1)

    @property
    def child_pids(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in re.findall(r"started (\S+) \(pid (\d+)\)", self.output)}

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def kill_leftovers(self) -> None:
        """Only when the test failed half-way: end what this stack started, by pid."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.child_pids.values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def queue_is_empty(sqs, url: str) -> bool:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def eventually(check, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def first_answer_on_open(port: int, path: str, token: str, timeout: float = 120) -> requests.Response:
    """Connect the moment the port opens (before tables and seed exist) and ask for ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.02)
            continue
        return requests.get(f"http://127.0.0.1:{port}{path}", headers=bearer(token), timeout=30)
    pytest.fail(f"port {port} did not open within {timeout:.0f} s")


def book_concurrently(api: str, entry_id: str, ticket_id: str, bookers: int) -> list[int | str]:
    """``bookers`` different bookers at once, one connection each; a connection error is returned as its text."""
    tokens = [mint("booker", email=f"racer{i}@example.com") for i in range(bookers)]
    start = threading.Barrier(bookers)

    def book(token: str) -> int | str:
        start.wait()
        try:
            return requests.post(f"{api}/v1/businesses/demo-studio/me/bookings", headers=bearer(token),
                                 json={"entry_id": entry_id, "ticket_id": ticket_id}, timeout=120).status_code
        except requests.RequestException as exc:
            return repr(exc)

    with ThreadPoolExecutor(max_workers=bookers) as pool:
        return list(pool.map(book, tokens))


def test_make_run_serves_the_seeded_api_runs_the_worker_keeps_data_and_stops_cleanly(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        # The API listens early but answers 503 + Retry-After until tables and seed are there: never a 500.
        early = first_answer_on_open(stack.api_port, "/v1/manage/pages", mint("staff", business="demo-studio"))
        assert early.status_code in (200, 503), (early.status_code, early.text)
        if early.status_code == 503:
            assert early.headers["Retry-After"] == "1" and early.json()["error"]["code"] == "starting"
        stack.wait_for("Ready:")
        assert requests.get(f"{stack.api}/v1/manage/pages", headers=bearer(stack.token("staff")), timeout=5).status_code == 200
        assert requests.get(f"{stack.api}/openapi.json", timeout=5).json()["openapi"].startswith("3.")
        pages = requests.get(f"{stack.api}/v1/businesses/demo-studio/pages", timeout=5).json()["items"]
        entries = requests.get(f"{stack.api}/v1/businesses/demo-studio/pages/{pages[0]['page_id']}/entries", timeout=5).json()["items"]
        entry = entries[0]
        free = next(t for t in entry["tickets"] if t["price_minor"] == 0)
        assert any(t["price_minor"] > 0 for e in entries for t in e["tickets"])

        booked = requests.post(f"{stack.api}/v1/businesses/demo-studio/me/bookings", headers=bearer(stack.token("booker")),
                               json={"entry_id": entry["entry_id"], "ticket_id": free["ticket_id"]}, timeout=10)
        assert booked.status_code == 201, booked.text
        staff = bearer(stack.token("staff"))
        listed = requests.get(f"{stack.api}/v1/manage/entries/{entry['entry_id']}/bookings", headers=staff, timeout=5)
        assert [b["booking_id"] for b in listed.json()["items"]] == [booked.json()["booking_id"]]
        assert requests.get(f"{stack.api}/v1/manage/pages", timeout=5).status_code == 401

        # 50 bookers at once for the open studio's free places: exactly those places are booked, no resets.
        studio = next(e for e in entries if e["title"] == "Open studio")
        studio_free = next(t for t in studio["tickets"] if t["price_minor"] == 0)
        started = time.monotonic()
        outcomes = book_concurrently(stack.api, studio["entry_id"], studio_free["ticket_id"], 50)
        print(f"first answer at port open: {early.status_code}; 50 bookings in {time.monotonic() - started:.1f} s: "
              f"{outcomes.count(201)} x 201, {outcomes.count(409)} x 409")
        assert sorted(set(outcomes), key=str) == [201, 409], outcomes
        assert outcomes.count(201) == studio["places_left"] < 50
        listed = requests.get(f"{stack.api}/v1/manage/entries/{studio['entry_id']}/bookings", headers=staff, timeout=10)
        assert len(listed.json()["items"]) == studio["places_left"]

        # Fuzzed over HTTP against the running stack too (the in-process suite is tests/fuzz/): no 5xx,
        # only documented statuses, as staff, as a booker and without a token.
        fuzzed = fuzz_live(stack.api, {"staff": stack.token("staff"), "booker": stack.token("booker"), "anonymous": None})
        print(f"fuzzed the running stack: {fuzzed} requests, no 5xx")
        assert fuzzed > 100

        # The worker hands queue messages to the real consumer, which acknowledges this one.
        sqs = boto3.client("sqs", endpoint_url=stack.moto, region_name="eu-west-1")
        events = sqs.get_queue_url(QueueName="local-events")["QueueUrl"]
        sqs.send_message(QueueUrl=events, MessageBody=json.dumps({"kind": "smoke_test", "body": {}}))
        assert eventually(lambda: queue_is_empty(sqs, events)), stack.output
        assert "[worker] process_events: 1 done" in stack.output

        # An email sent through SES (moto) lands in the outbox file.
        boto3.client("sesv2", endpoint_url=stack.moto, region_name="eu-west-1").send_email(
            FromEmailAddress="no-reply@demo-studio.local", Destination={"ToAddresses": ["booker@example.com"]},
            Content={"Simple": {"Subject": {"Data": "Smoke test mail"}, "Body": {"Text": {"Data": "hello"}}}})
        outbox_file = tmp_path / "outbox" / "emails.jsonl"
        assert eventually(lambda: outbox_file.exists() and "Smoke test mail" in outbox_file.read_text())

        pids = stack.child_pids
        assert set(pids) == {"dynamodb-local", "api", "worker"}
        assert stack.stop(signal.SIGINT) == 0, stack.output  # Ctrl-C
        assert [name for name, pid in pids.items() if alive(pid)] == [], stack.output
        assert "stopped dynamodb-local" in stack.output
    finally:
        stack.kill_leftovers()

    # What was written is on disk for the next run, and the outbox is readable with the stack down.
    dynamodb, endpoint = dynamodb_local.start(db_path=tmp_path / "dynamodb")
    try:
        table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="eu-west-1").Table("local-entries")
        assert table.get_item(Key={"business_id": "demo-studio", "entry_id": entry["entry_id"]})["Item"]["booked"] == 1
    finally:
        dynamodb.terminate()
        dynamodb.wait(timeout=10)
    shown = subprocess.run([sys.executable, "-m", "local.outbox"], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "LOCAL_DIR": str(tmp_path)}, timeout=30)
    assert "Subject: Smoke test mail" in shown.stdout and "To:      booker@example.com" in shown.stdout


def fuzz_live(base: str, tokens: dict[str, str | None], cases_per_route: int = 2) -> int:
    """Schemathesis over the stack's own ``/openapi.json``: every operation, each role; returns requests made."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    made = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for token in tokens.values():
            made += fuzz_operation(base, operation, {"Authorization": f"Bearer {token}"} if token else {}, cases_per_route)
    return made


def fuzz_operation(base: str, operation: object, headers: dict[str, str], cases: int) -> int:
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

    made = 0

    @settings(max_examples=cases, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    def one(case: object) -> None:
        nonlocal made
        response = case.call(base_url=base, headers=headers, timeout=10)  # type: ignore[attr-defined]
        made += 1
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance],  # type: ignore[attr-defined]
                               headers=headers)

    one()
    return made
