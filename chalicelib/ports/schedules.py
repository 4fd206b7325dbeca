"""Watermarks of the catch-up schedules (usage periods, period ends, held places)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime


class ScheduleStateStore(Protocol):
    def watermark(self, name: str) -> datetime | None: ...

    def advance(self, name: str, to: datetime) -> None:
        """Move the watermark forward (never back) to ``to``."""
        ...
