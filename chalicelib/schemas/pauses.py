"""X1 request and response bodies: pausing memberships."""
from __future__ import annotations

from datetime import date

from pydantic import Field

from .common import Request, ResponseModel


class PauseIn(Request):
    starts_on: date = Field(description="First paused day (the business's calendar): today or later.")
    resumes_on: date | None = Field(
        None, description="First day back, after starts_on. Omitted: open-ended, until staff resume (staff only).")


class BulkPauseOut(ResponseModel):
    pause_id: str
    membership_id: str
    starts_on: date
    resumes_on: date | None
    queued: bool = Field(description="Every running member is paused by the queue, a page at a time.")
