"""Shared pydantic base classes and field types."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
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
