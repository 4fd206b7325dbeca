"""Watermarks of the catch-up schedules: how far each timed job has got, so a job that was down for
days resumes where it stopped instead of looking back a fixed window."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from .base import find, is_condition_failure, register, table_meta

if TYPE_CHECKING:
    from datetime import datetime


@register
class ScheduleStateModel(Model):
    Meta = table_meta("schedule-state")
    name = UnicodeAttribute(hash_key=True)
    watermark = UTCDateTimeAttribute()


class ScheduleState:
    def watermark(self, name: str) -> datetime | None:
        item = find(ScheduleStateModel, name, consistent_read=True)
        return item.watermark if item else None

    def advance(self, name: str, to: datetime) -> None:
        M = ScheduleStateModel
        try:
            M(name).update(actions=[M.watermark.set(to)], condition=M.watermark.does_not_exist() | (M.watermark < to))
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise


# --- the booking transaction's part (SettlementKind.OFFER) -----------------------------------------
