"""Moving members' stored usage counters forward (the scheduler's rule), paused days not counted (X1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .pauses import PauseWindow, paused_days_before
from .periods import PeriodUnit, period_at


@dataclass(frozen=True)
class Roll:
    """What the scheduler writes for one member: counters to restart, their old periods, next due time."""

    restarted: dict[str, dict[str, Any]]
    old_periods: dict[str, str]
    next_reset_at: datetime | None


def roll_forward(anchor: date, stored: dict[str, dict[str, Any]], now: datetime,
                 pauses: tuple[PauseWindow, ...] = ()) -> Roll:
    """Restart every resetting counter whose stored period is not the one containing ``now``.

    Computed from the anchor, so a run that is late (or skipped for months) lands on the right
    period at once, and running twice changes nothing the second time.
    """
    restarted: dict[str, dict[str, Any]] = {}
    old: dict[str, str] = {}
    ends: list[datetime] = []
    for offer_id, counter in stored.items():
        if not counter.get("unit"):
            continue  # one-time totals never reset
        tz = ZoneInfo(counter["tz"])
        period = period_at(anchor, PeriodUnit(counter["unit"]), now, tz, paused_days_before(pauses, anchor, now.astimezone(tz).date()))
        assert period.ends_at is not None
        ends.append(period.ends_at)
        if counter.get("period") != period.key:
            restarted[offer_id] = {**counter, "period": period.key, "used": 0, "ends_at": period.ends_at.isoformat()}
            old[offer_id] = counter.get("period", "")
    return Roll(restarted, old, min(ends) if ends else None)
