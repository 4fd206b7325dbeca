"""Shared pydantic base classes and field types."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..domain.dates import EARLIEST_DAY, LATEST_DAY, check_day, check_instant
from ..domain.errors import InvalidInputError

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", to_upper=True)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
EmailList = Annotated[list[Annotated[str, StringConstraints(max_length=254)]], Field(max_length=1000)]
PastedText = Annotated[str, StringConstraints(max_length=100_000)]


def _in_range_day(value: dt.date) -> dt.date:
    try:
        return check_day(value, "date")
    except InvalidInputError as exc:
        raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}") from exc


def _in_range_instant(value: dt.datetime) -> dt.datetime:
    try:
        return check_instant(value, "datetime")
    except InvalidInputError as exc:
        raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}") from exc


# Dates and datetimes in requests stay within 2000-01-01..2100-12-31: every computed instant
# (end of day, time zone conversion, series steps) then exists, and the 400 names the field.
Day = Annotated[dt.date, AfterValidator(_in_range_day)]
Instant = Annotated[dt.datetime, AfterValidator(_in_range_instant)]
# Redirect targets: http(s) only (no ``javascript:`` or ``data:``), bounded.
WebUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s]+$")]
MinorAmount = Annotated[int, Field(ge=0, le=100_000_000, description="Amount in the currency's minor unit (cents).")]


# Every model defers building its validator to first use: Lambda cold starts import every schema
# (routes register them for OpenAPI) but a given invocation uses only a few.


class Request(BaseModel):
    """Requests reject unknown fields, so a typo is a 400 naming it, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


class Payload(BaseModel):
    """Queue messages and provider events (not HTTP)."""

    model_config = ConfigDict(defer_build=True)
