"""The scheduled function that moves members' stored usage periods forward.

Bookings never depend on it: they compute the current period from the member's anchor. This only
makes the stored counters (and each member's ``next_reset_at``) catch up, reading just the members
due now through the due-day index, from the last watermark. Late, twice, or after a long pause, it
reaches the same state: each roll is computed from the anchor and conditioned on the period it read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..domain.groups import MemberUsage, roll_forward
from ..logs import logger
from ..ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from ..ports.groups import GroupMemberStore
    from ..ports.schedules import ScheduleStateStore

NAME = "usage_periods"
MAX_LOOKBACK_DAYS = 400  # first run ever: a yearly period is the longest a counter can wait
ATTEMPTS = 3


@dataclass(frozen=True)
class RunReport:
    due: int
    rolled: int
    left: int  # left the group between the query and the write: nothing to do
    contended: int  # still racing bookings after retries: the watermark stays, a later run retries


class UsagePeriodService:
    def __init__(self, members: GroupMemberStore, state: ScheduleStateStore, clock: Clock = utc_now) -> None:
        self.members = members
        self.state = state
        self.clock = clock

    def run(self) -> RunReport:
        now = self.clock()
        earliest = now - timedelta(days=MAX_LOOKBACK_DAYS)
        start = max(self.state.watermark(NAME) or earliest, earliest)
        outcomes = {"rolled": 0, "left": 0, "contended": 0}
        day = start.date()
        while day <= now.date():
            for member in self.members.due(day.isoformat(), now):
                outcomes[self._roll(member, now)] += 1
            day += timedelta(days=1)
        if outcomes["contended"] == 0:
            # Only move the watermark when every due member was handled, so none is left behind.
            self.state.advance(NAME, now)
        report = RunReport(due=sum(outcomes.values()), **outcomes)
        logger.info("usage periods moved forward", extra=report.__dict__)
        return report

    def _roll(self, member: MemberUsage | None, now: datetime) -> str:
        for _ in range(ATTEMPTS):
            if member is None:
                return "left"
            if self.members.roll(member, roll_forward(member.anchor, member.usage, now, member.pauses)):
                return "rolled"
            member = self.members.reload(member)  # a booking moved a counter meanwhile: decide again
        return "contended"
