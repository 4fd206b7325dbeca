"""The course walkthrough on `make run` (S1–S7), as README.md tells it, on free ports.

Staff make a 12-session weekly series and a course on it (billed every 4 weeks, ending with the series);
the demo booker buys it at the local payment provider and is enrolled in every remaining session; leaves
one; staff move another (the booker is emailed); then the course's end passes at the provider
(`make stripe-trigger EVENT=reach-cancel-at`) and the subscription ends by itself.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from tests.local.test_local_stack import RunningStack, eventually
from tests.local.test_membership_walkthrough import BUSINESS, Walk, stop

pytestmark = pytest.mark.xdist_group("local_stack")


def test_buy_a_course_leave_one_session_staff_move_one_and_billing_ends_with_the_course(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        stack.wait_for("Ready:")
        walk = Walk(stack)
        first = date.today() + timedelta(days=1)
        page = walk.post("/v1/manage/pages", {"title": "Courses"}, walk.staff).json()
        series = walk.post("/v1/manage/series", {
            "page_id": page["page_id"], "title": "Pottery", "first_starts_at": f"{first.isoformat()}T18:00:00",
            "duration_minutes": 90, "until": (first + timedelta(weeks=11)).isoformat(), "capacity": 8,
            "tickets": [{"title": "Course place"}]}, walk.staff).json()
        sessions = series["entries"]
        assert len(sessions) == 12
        course = walk.post("/v1/manage/courses", {
            "title": "Pottery term", "series_id": series["series_id"], "ticket_id": sessions[0]["tickets"][0]["ticket_id"],
            "amount_minor": 6000, "currency": "EUR", "interval": "week", "interval_count": 4,
            "starts_on": (date.today() - timedelta(days=10)).isoformat(),
            "ends_on": (first + timedelta(weeks=11)).isoformat()}, walk.staff)
        assert course.status_code == 201, course.text
        course_id = course.json()["course_id"]

        checkout = walk.post(f"{BUSINESS}/me/courses/{course_id}/checkout", {}, walk.booker)
        assert checkout.status_code == 201, checkout.text
        assert len(checkout.json()["held_booking_ids"]) == 12 and checkout.json()["billing"]["charges"][0]["prorated"]
        walk.pay(checkout.json()["session_id"])

        def confirmed() -> list[str]:
            items = walk.get(f"{BUSINESS}/me/bookings?limit=50", walk.booker).json()["items"]
            return sorted(b["entry_id"] for b in items if b["status"] == "confirmed")

        assert eventually(lambda: confirmed() == sorted(s["entry_id"] for s in sessions), timeout=20), stack.output
        roster = f"/v1/manage/courses/{course_id}/roster"
        assert eventually(lambda: [r["state"] for r in walk.get(roster, walk.staff).json()["items"]] == ["enrolled"],
                          timeout=20), stack.output

        left = requests.delete(f"{stack.api}{BUSINESS}/me/courses/{course_id}/sessions/{sessions[2]['entry_id']}",
                               headers=walk.booker, timeout=10)
        assert left.status_code == 200 and left.json()["status"] == "cancelled", left.text
        assert len(confirmed()) == 11

        moved = requests.patch(f"{stack.api}/v1/manage/courses/{course_id}/sessions/{sessions[5]['entry_id']}",
                               headers=walk.staff, timeout=10, json={
                                   "starts_at": f"{(first + timedelta(weeks=5, days=1)).isoformat()}T19:00:00",
                                   "ends_at": f"{(first + timedelta(weeks=5, days=1)).isoformat()}T20:30:00"})
        assert moved.status_code == 200 and moved.json()["booked"] == 1, moved.text
        assert eventually(lambda: "Pottery term: a session has moved" in walk.subjects(), timeout=20), walk.subjects()

        walk.command("stripe-trigger", "EVENT=reach-cancel-at")
        assert eventually(lambda: walk.subscription().get("status") == "canceled", timeout=20), stack.output
        stop(stack)
    finally:
        stack.kill_leftovers()
