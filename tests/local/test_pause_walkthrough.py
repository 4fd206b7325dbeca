"""X1 on `make run`, as README's "Walkthrough: pause a membership" tells it: buy the seeded membership,
staff pause the member from today, a member ticket is refused with `membership_paused` (its end date),
the local provider's Stripe subscription is paused and its events arrive, staff resume, the member
books again; the pause and resume emails are in the outbox once each."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from local.settings import DEMO_BOOKER
from tests.local.test_local_stack import RunningStack, eventually
from tests.local.test_membership_walkthrough import BUSINESS, Walk, stop

pytestmark = pytest.mark.xdist_group("local_stack")


def test_staff_pause_refuses_member_tickets_until_resumed(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        stack.wait_for("Ready:")
        walk = Walk(stack)
        walk.buy([])
        assert eventually(lambda: walk.group_members() == [DEMO_BOOKER], timeout=20), stack.output
        sub = walk.subscription()["subscription_id"]
        tz = ZoneInfo(walk.get("/v1/manage/business", walk.staff).json()["timezone"])
        today = datetime.now(tz).date()
        until = (today + timedelta(days=10)).isoformat()

        paused = walk.post(f"/v1/manage/subscriptions/{sub}/pause", {"starts_on": today.isoformat(), "resumes_on": until},
                           walk.staff)
        assert paused.status_code == 200, paused.text
        assert paused.json()["status"] == "paused"
        entry, ticket = walk.member_tickets()[1]
        refused = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": entry, "ticket_id": ticket}, walk.booker)
        assert refused.status_code == 409, refused.text
        assert (refused.json()["error"]["reason"], refused.json()["error"]["resumes_on"]) == ("membership_paused", until)
        assert walk.group_members() == [DEMO_BOOKER]  # still a member

        resumed = walk.post(f"/v1/manage/subscriptions/{sub}/resume", {}, walk.staff)
        assert resumed.status_code == 200 and resumed.json()["status"] == "active", resumed.text
        assert eventually(lambda: walk.subscription().get("status") == "active", timeout=20), stack.output
        booked = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": entry, "ticket_id": ticket}, walk.booker)
        assert booked.status_code == 201, booked.text

        expected = {"Your Studio Monthly membership is running again"}
        assert eventually(lambda: expected <= set(walk.subjects())
                          and sum(s.startswith("Your Studio Monthly membership is paused from") for s in walk.subjects()) == 1,
                          timeout=20), walk.subjects()
        stop(stack)
    finally:
        stack.kill_leftovers()
