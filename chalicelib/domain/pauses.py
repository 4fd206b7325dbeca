"""Pausing (freezing) a membership (X1): the rules a new pause must pass, and what a pause means.

A pause runs from ``starts_on`` (the first paused day) to ``resumes_on`` (the first day back; None:
open-ended, until staff resume it). Days are the business's wall-clock days. During a pause the
member stays in the group but cannot book member tickets; the allowance periods are shifted by the
paused days (``periods.period_at``), so a member comes back to the period they left, with its uses.
Staff may pause any running membership; a member may pause their own only if the business allows
it, with notice, an end date and within the yearly number of days.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from .errors import ConflictError, ForbiddenError, InvalidInputError, RuleRefusedError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

PAUSABLE_STATUSES = frozenset({"active", "trialing", "paused"})  # paused: a later pause after the current one
REMINDER_DAYS = 3  # the member is told this many days before a pause ends
MAX_PAUSE_DAYS = 366  # a single pause by staff; longer is a cancellation
STRIPE_PAUSE = "stripe-"  # the pause id's prefix of a pause made on Stripe (its dashboard), none of ours


@dataclass(frozen=True)
class PausePolicy:
    """The business's settings for pauses its members ask for themselves."""

    members_may_pause: bool = False
    max_days_per_year: int = 30
    notice_days: int = 7


@dataclass(frozen=True)
class PauseWindow:
    pause_id: str
    starts_on: date
    resumes_on: date | None  # the first day back; None: until staff resume it
    by_member: bool = False

    @property
    def from_stripe(self) -> bool:
        """Stands for Stripe's ``paused`` status with no pause of ours: open-ended until Stripe resumes."""
        return self.pause_id.startswith(STRIPE_PAUSE)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.resumes_on is None or day < self.resumes_on)

    def days(self, until: date | None = None) -> int:
        """Paused days before ``until`` (all of them when the pause has an end and ``until`` is None)."""
        end = self.resumes_on if until is None else min(self.resumes_on or until, until)
        return max(0, (end - self.starts_on).days) if end else 0

    def overlaps(self, other: PauseWindow) -> bool:
        a_end, b_end = self.resumes_on or date.max, other.resumes_on or date.max
        return self.starts_on < b_end and other.starts_on < a_end


def pause_covering(pauses: tuple[PauseWindow, ...], day: date) -> PauseWindow | None:
    return next((p for p in pauses if p.covers(day)), None)


def follow_stripe(pauses: tuple[PauseWindow, ...], status: str, today: date) -> tuple[PauseWindow, ...]:
    """A subscription paused on Stripe with no pause of ours covering today books nothing, like an open-ended
    pause from today; once Stripe's status leaves ``paused``, that pause ends today (its days shift the
    allowance periods, as any pause's)."""
    running = next((p for p in pauses if p.from_stripe and p.resumes_on is None), None)
    if status == "paused":
        if running is not None or pause_covering(pauses, today) is not None:
            return pauses
        return pauses + (PauseWindow(f"{STRIPE_PAUSE}{today.isoformat()}-{len(pauses)}", today, None),)
    if running is None:
        return pauses
    return tuple(replace(p, resumes_on=max(today, p.starts_on)) if p is running else p for p in pauses)


def action_days(p: PauseWindow) -> list[date]:
    """Days the pause schedule acts on: the start, the reminder before the end, the end (none for Stripe's:
    Stripe paused it and resumes it; no email of ours either)."""
    if p.from_stripe:
        return []
    if p.resumes_on is None:
        return [p.starts_on]
    reminder = p.resumes_on - timedelta(days=REMINDER_DAYS)
    return [p.starts_on] + ([reminder] if reminder > p.starts_on else []) + [p.resumes_on]


def next_action_day(pauses: tuple[PauseWindow, ...], after: date) -> date | None:
    """The first day on or after ``after`` the schedule must act on (None: nothing left to do)."""
    return min((d for p in pauses for d in action_days(p) if d >= after), default=None)


def check_not_paused(pauses: tuple[PauseWindow, ...], tz: ZoneInfo, now: datetime, starts_at: datetime | None) -> None:
    """No member ticket while the membership is paused, nor for a date inside a pause."""
    days = [now.astimezone(tz).date()] + ([starts_at.astimezone(tz).date()] if starts_at else [])
    pause = next((p for p in (pause_covering(pauses, d) for d in days) if p), None)
    if pause is not None:
        until = pause.resumes_on.isoformat() if pause.resumes_on else None
        raise RuleRefusedError("membership_paused", f"Your membership is paused from {pause.starts_on} "
                               + (f"until {until}." if until else "until the business resumes it."),
                               starts_on=pause.starts_on.isoformat(), resumes_on=until)


def paused_days_before(pauses: tuple[PauseWindow, ...], anchor: date, day: date) -> int:
    """Days paused from ``anchor`` up to (not including) ``day``: what the allowance periods shift by."""
    return sum(p.days(until=day) for p in pauses if p.starts_on >= anchor)


def days_in_year(pauses: tuple[PauseWindow, ...], year: int) -> int:
    """Paused days a member asked for themselves that start in ``year`` (what the yearly limit counts)."""
    return sum(p.days() for p in pauses if p.by_member and p.starts_on.year == year)


def check_new_pause(new: PauseWindow, existing: tuple[PauseWindow, ...], status: str, today: date,
                    policy: PausePolicy) -> None:
    """Refuse a pause that breaks a rule, naming it (field or reason); the member's limits only bind members."""
    if status not in PAUSABLE_STATUSES:
        raise RuleRefusedError("not_active", f"Only a running membership can be paused (it is {status}).",
                               membership_status=status)
    if new.starts_on < today:
        raise InvalidInputError(f"starts_on {new.starts_on} is in the past (today is {today}).", field="starts_on",
                                code="start_in_the_past")
    if new.resumes_on is not None and new.resumes_on <= new.starts_on:
        raise InvalidInputError("resumes_on must be after starts_on.", field="resumes_on", code="end_before_start")
    if new.days() > MAX_PAUSE_DAYS:
        raise InvalidInputError(f"A pause lasts at most {MAX_PAUSE_DAYS} days.", field="resumes_on", code="too_long")
    clash = next((p for p in existing if p.overlaps(new)), None)
    if clash is not None:
        until = clash.resumes_on.isoformat() if clash.resumes_on else None
        raise ConflictError(f"This membership is already paused from {clash.starts_on} ({until or 'open-ended'}).",
                            code="already_paused", details={"pause_id": clash.pause_id, "resumes_on": until})
    if not new.by_member:
        return
    if not policy.members_may_pause:
        raise ForbiddenError("This business does not let members pause their membership; ask the staff.",
                             code="pause_not_allowed")
    if new.resumes_on is None:
        raise InvalidInputError("A pause you ask for needs an end date (resumes_on).", field="resumes_on")
    earliest = today + timedelta(days=policy.notice_days)
    if new.starts_on < earliest:
        raise RuleRefusedError("too_little_notice", f"A pause needs {policy.notice_days} days' notice: start on "
                               f"{earliest} or later.", notice_days=policy.notice_days, earliest=earliest.isoformat())
    used = days_in_year(existing, new.starts_on.year)
    if used + new.days() > policy.max_days_per_year:
        raise RuleRefusedError("over_yearly_limit", f"Members may pause {policy.max_days_per_year} days a year; "
                               f"{used} are taken in {new.starts_on.year}, this pause is {new.days()}.",
                               max_days_per_year=policy.max_days_per_year, days_left=policy.max_days_per_year - used)
