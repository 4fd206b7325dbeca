"""The end-of-period safety net: find members whose cancelled period is over, one queue message each.

The schedule only reads an index and enqueues; each member is handled by its own message
(``membership_period_end``), so the work never grows inside one invocation.
"""
from __future__ import annotations

from typing import Any

from ..domain.periods import days_to_scan
from ..ports.clock import utc_now
from ..ports.messaging import Message

NAME = "membership_period_ends"
FIRST_RUN_DAYS = 3


def enqueue_period_ends(c: Any, now: Any = None) -> int:
    """Read the period-end index from the last run's day to today; the watermark moves only once
    every due member is on the queue (each message is idempotent, so re-reading a day is harmless)."""
    now = now or utc_now()
    members = c.member_store
    due: list[tuple[str, str]] = []
    for day in days_to_scan(c.schedule_state.watermark(NAME), now, FIRST_RUN_DAYS):
        due.extend(members.ending_on(day, now))
    c.event_queue.send_many([
        Message("membership_period_end", {"business_id": b, "subscription_id": s}) for b, s in due
    ])
    c.schedule_state.advance(NAME, now)
    return len(due)


PAUSES = "membership_pauses"


def enqueue_pause_steps(c: Any, now: Any = None) -> int:
    """X1: members whose pause starts, nears its end or ends on a day since the last run, one message
    each (``membership_pause_step``: idempotent, so a day read twice is harmless)."""
    now = now or utc_now()
    due: list[tuple[str, str]] = []
    for day in days_to_scan(c.schedule_state.watermark(PAUSES), now, FIRST_RUN_DAYS):
        due.extend(c.member_store.pausing_on(day))
    c.event_queue.send_many([Message("membership_pause_step", {"business_id": b, "subscription_id": s}) for b, s in due])
    c.schedule_state.advance(PAUSES, now)
    return len(due)
