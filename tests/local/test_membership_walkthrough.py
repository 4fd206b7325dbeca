"""The newcomer's membership walkthrough on `make run`, as README.md tells it, on free ports.

With the printed booker token: buy the seeded membership with a members-only ticket in the basket
(checkout, then pay at the local provider), see the member in the group as staff, book another
exclusive ticket with an offer use, play `make stripe-trigger EVENT=fail` then `EVENT=cancel`, and
read every email in the outbox. Then a restart on the same data folder: the provider keeps its
objects, so the seeded price still sells and new event ids are not taken for duplicates.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from local.settings import DEMO_BOOKER, ROOT
from tests.local.test_local_stack import RunningStack, alive, bearer, eventually

pytestmark = pytest.mark.xdist_group("local_stack")
BUSINESS = "/v1/businesses/demo-studio"


class Walk:
    """HTTP calls and commands against one running stack, each bounded in time."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        found = re.search(r"local payment provider on http://127\.0\.0\.1:(\d+)", stack.output)
        assert found, stack.output
        self.env = {**os.environ, "PAYMENTS_PORT": found.group(1), "LOCAL_DIR": str(stack_dir(stack))}
        self.staff, self.booker = bearer(stack.token("staff")), bearer(stack.token("booker"))

    def get(self, path: str, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.get(f"{self.stack.api}{path}", headers=headers, timeout=10)

    def post(self, path: str, body: dict, headers: dict[str, str]) -> requests.Response:
        return requests.post(f"{self.stack.api}{path}", headers=headers, json=body, timeout=15)

    def command(self, *args: str) -> str:
        """``make`` as README says; ``-o .venv/.installed`` so a changed requirements file never reinstalls here."""
        done = subprocess.run(["make", "-s", "-o", ".venv/.installed", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def pay(self, session_id: str) -> None:
        done = subprocess.run([sys.executable, "-m", "local.payment_provider", "pay", session_id], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=30)
        assert json.loads(done.stdout)["payment_status"] == "paid", done.stdout + done.stderr

    def group_members(self) -> list[str]:
        return [m["email"] for m in self.get("/v1/manage/groups/ms-demo-membership/members", self.staff).json()["items"]]

    def subscription(self) -> dict:
        mine = self.get(f"{BUSINESS}/me/memberships", self.booker).json()["items"]
        return mine[-1] if mine else {}

    def subjects(self) -> list[str]:
        outbox = stack_dir(self.stack) / "outbox" / "emails.jsonl"
        if not outbox.exists():
            return []
        return [m["subject"] for line in outbox.read_text().splitlines() if line
                for m in [json.loads(line)] if DEMO_BOOKER in m["to"]]

    def member_tickets(self) -> list[tuple[str, str]]:
        entries = self.get(f"{BUSINESS}/pages/demo-classes/entries").json()["items"]
        return [(e["entry_id"], t["ticket_id"]) for e in entries for t in e["tickets"]
                if t["exclusive_group_id"] == "ms-demo-membership"]

    def buy(self, tickets: list[tuple[str, str]]) -> dict:
        checkout = self.post(f"{BUSINESS}/me/membership-checkouts", {
            "membership_id": "demo-membership", "option_id": "demo-monthly",
            "tickets": [{"entry_id": e, "ticket_id": t} for e, t in tickets]}, self.booker)
        assert checkout.status_code == 201, checkout.text
        self.pay(checkout.json()["session_id"])
        return checkout.json()


def stack_dir(stack: RunningStack) -> Path:
    found = re.search(r"data in (\S+)/dynamodb", stack.output)
    assert found, stack.output
    return Path(found.group(1))


def stop(stack: RunningStack) -> None:
    pids = stack.child_pids
    assert stack.stop(signal.SIGINT) == 0, stack.output  # Ctrl-C
    assert [name for name, pid in pids.items() if alive(pid)] == [], stack.output


def test_newcomer_buys_the_membership_books_a_member_class_and_reads_every_email(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        stack.wait_for("Ready:")
        walk = Walk(stack)
        assert "membership demo-membership (option demo-monthly) created" in stack.output

        # The seeded membership is on sale, and members-only classes are on the schedule.
        on_sale = walk.get(f"{BUSINESS}/memberships").json()["items"]
        assert [(m["membership_id"], [o["option_id"] for o in m["price_options"]]) for m in on_sale] == [
            ("demo-membership", ["demo-monthly"])]
        (basket_entry, basket_ticket), (entry, ticket) = walk.member_tickets()[:2]
        refused = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": entry, "ticket_id": ticket}, walk.booker)
        assert (refused.status_code, refused.json()["error"]["reason"]) == (409, "not_a_member")

        # M3/M4: checkout with a member ticket in the basket, paid at the local provider.
        checkout = walk.buy([(basket_entry, basket_ticket)])
        assert eventually(lambda: walk.group_members() == [DEMO_BOOKER], timeout=20), stack.output
        [held] = checkout["held_booking_ids"]
        assert eventually(lambda: [(b["booking_id"], b["status"]) for b in walk.get(f"{BUSINESS}/me/bookings", walk.booker).json()["items"]]
                          == [(held, "confirmed")], timeout=20), stack.output

        # O6: the exclusive ticket is paid with one use of the group's offer.
        booked = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": entry, "ticket_id": ticket}, walk.booker)
        assert booked.status_code == 201, booked.text
        assert booked.json()["paid_with"] == "offer"
        [allowance] = walk.get(f"{BUSINESS}/me/allowances", walk.booker).json()["items"]
        assert (allowance["offer_id"], allowance["uses_taken"], allowance["uses_left"]) == (
            booked.json()["payment"]["offer_id"], 2, 2)  # B7: the basket ticket took the first of the 4 uses

        # M6: a failed payment keeps access while Stripe retries.
        walk.command("stripe-trigger", "EVENT=fail")
        assert eventually(lambda: walk.subscription().get("status") == "past_due", timeout=20), stack.output
        assert walk.subscription()["has_access"] is True
        assert walk.group_members() == [DEMO_BOOKER]

        # M8: cancelled in the dashboard: the member leaves the group and loses access.
        walk.command("stripe-trigger", "EVENT=cancel")
        assert eventually(lambda: walk.group_members() == [], timeout=20), stack.output
        assert (walk.subscription()["status"], walk.subscription()["has_access"]) == ("canceled", False)

        # M4/M5: every email once, in the outbox file and through `make outbox`.
        # Two booking confirmations: the basket's ticket, then the class paid with an offer use.
        expected = ["Your booking at Demo Studio is confirmed", "Your booking at Demo Studio is confirmed",
                    "Welcome to Studio Monthly",
                    "Payment for Studio Monthly failed", "Your Studio Monthly membership has ended"]
        assert eventually(lambda: sorted(walk.subjects()) == sorted(expected), timeout=20), walk.subjects()
        shown = walk.command("outbox")
        assert all(f"Subject: {subject}" in shown for subject in expected), shown
        assert "Attached: invoice-" in shown

        stop(stack)
    finally:
        stack.kill_leftovers()


def test_after_a_restart_the_seeded_membership_still_sells_and_new_events_are_applied(tmp_path):
    first = RunningStack(tmp_path)
    try:
        first.wait_for("Ready:")
        Walk(first).buy([])
        assert eventually(lambda: Walk(first).group_members() == [DEMO_BOOKER], timeout=20), first.output
        # The welcome email goes after the checkout is closed: stopping earlier would leave it open, and the
        # second run's purchase would get that open checkout back (B4: one open checkout per membership).
        assert eventually(lambda: any(s.startswith("Welcome") for s in Walk(first).subjects()), timeout=20), first.output
        stop(first)
    finally:
        first.kill_leftovers()
    assert (tmp_path / "payments" / "state.json").exists()

    second = RunningStack(tmp_path)
    try:
        second.wait_for("Ready:")
        assert "membership demo-membership (option demo-monthly) already there" in second.output
        walk = Walk(second)
        # The provider remembers the subscription: its events get fresh ids, so they are not dropped.
        walk.command("stripe-trigger", "EVENT=cancel")
        assert eventually(lambda: walk.group_members() == [], timeout=20), second.output
        walk.buy([])  # the seeded price is still known to the provider
        assert eventually(lambda: walk.group_members() == [DEMO_BOOKER], timeout=20), second.output
        stop(second)
    finally:
        second.kill_leftovers()
