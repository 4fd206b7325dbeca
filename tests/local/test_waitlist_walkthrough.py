"""The waitlist walkthrough on `make run` (X2), as README.md tells it, on free ports.

Staff open a one-place class; the demo booker takes the place; a second booker joins the waitlist
and sees place 1; the demo booker cancels; the worker promotes the waiter (booked, one email).
"""
from __future__ import annotations

import json

import pytest

from tests.local.test_local_stack import RunningStack, bearer, eventually
from tests.local.test_membership_walkthrough import BUSINESS, Walk, stack_dir, stop

pytestmark = pytest.mark.xdist_group("local_stack")
WAITER = "waiter@example.com"


def test_fill_a_class_wait_cancel_and_the_waiter_is_booked_and_mailed(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        stack.wait_for("Ready:")
        walk = Walk(stack)
        waiter = bearer(walk.command("token", "ROLE=booker", f"EMAIL={WAITER}").strip())
        entry = walk.post("/v1/manage/entries", {
            "page_id": "demo-classes", "title": "Sold-out sauna", "starts_at": "2031-03-04T18:00:00",
            "ends_at": "2031-03-04T19:00:00", "capacity": 1, "tickets": [{"title": "Free"}]}, walk.staff).json()
        choice = {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}

        taken = walk.post(f"{BUSINESS}/me/bookings", choice, walk.booker)
        assert taken.status_code == 201, taken.text
        joined = walk.post(f"{BUSINESS}/me/waitlist", choice, waiter)
        assert joined.status_code == 201 and joined.json()["place"] == 1, joined.text
        line = walk.get(f"/v1/manage/entries/{entry['entry_id']}/waitlist", walk.staff).json()["items"]
        assert [w["email"] for w in line] == [WAITER]

        cancelled = walk.post(f"{BUSINESS}/me/bookings/{taken.json()['booking_id']}/cancel", {}, walk.booker)
        assert cancelled.status_code == 200, cancelled.text

        def waiter_booked() -> bool:
            items = walk.get(f"{BUSINESS}/me/bookings", waiter).json()["items"]
            return [b["status"] for b in items] == ["confirmed"]

        assert eventually(waiter_booked, timeout=30), stack.output
        assert walk.get(f"/v1/manage/entries/{entry['entry_id']}/waitlist", walk.staff).json()["items"] == []

        def mailed() -> list[str]:
            outbox = stack_dir(stack) / "outbox" / "emails.jsonl"
            lines = outbox.read_text().splitlines() if outbox.exists() else []
            return [m["subject"] for m in map(json.loads, filter(None, lines)) if WAITER in m["to"]]

        assert eventually(lambda: mailed() == ["A place came free: you are booked on Sold-out sauna"], timeout=20), mailed()
        stop(stack)
    finally:
        stack.kill_leftovers()
