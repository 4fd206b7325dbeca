"""The end-of-period safety net: find members whose cancelled period is over, one queue message each.

The schedule only reads an index and enqueues; each member is handled by its own message
(``membership_period_end``), so the work never grows inside one invocation.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..schemas.messages import QueueMessage
from ..services.ports import utc_now

LOOKBACK_DAYS = 3  # re-check a few days back: a missed run or a retried one still catches everyone


def enqueue_period_ends(c: Any, now: Any = None) -> int:
    now = now or utc_now()
    members = c.memberships.members
    due: list[tuple[str, str]] = []
    for back in range(LOOKBACK_DAYS + 1):
        day = (now - timedelta(days=back)).date().isoformat()
        due.extend(members.ending_on(day, now))
    c.event_queue.send_many([
        QueueMessage(kind="membership_period_end", body={"business_id": b, "subscription_id": s}) for b, s in due
    ])
    return len(due)
