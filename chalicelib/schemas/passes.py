"""Pass products, passes, overrides and pass checkout (P1–P7)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from .common import Currency, Day, Id, MinorAmount, Request, ResponseModel, Text, Title, WebUrl

ExpiryKindName = Literal["fixed_date", "days_from_first_use", "days_from_purchase"]


class EligibleIn(Request):
    """What the pass pays for; at least one list must name something."""

    ticket_ids: list[Id] = Field(default_factory=list, max_length=200)
    entry_ids: list[Id] = Field(default_factory=list, max_length=200)
    page_ids: list[Id] = Field(default_factory=list, max_length=50)


class ExpiryIn(Request):
    kind: ExpiryKindName
    date: Day | None = Field(None, description="fixed_date: the last valid day (end of day, business time zone).")
    days: int | None = Field(None, ge=1, le=3650, description="Relative kinds: the whole timeframe in days.")


class PassProductIn(Request):
    title: Title
    description: Text = ""
    price_minor: MinorAmount
    currency: Currency = "EUR"
    uses: int = Field(ge=1, le=10_000)
    eligible: EligibleIn
    expiry: ExpiryIn
    published: bool = True


class PassProductPatch(Request):
    """Changes apply to passes sold from now on; passes already sold keep their terms."""

    title: Title | None = None
    description: Text | None = None
    price_minor: MinorAmount | None = None
    currency: Currency | None = None
    uses: int | None = Field(None, ge=1, le=10_000)
    eligible: EligibleIn | None = None
    expiry: ExpiryIn | None = None
    published: bool | None = None


class EligibleOut(ResponseModel):
    ticket_ids: list[str]
    entry_ids: list[str]
    page_ids: list[str]


class ExpiryOut(ResponseModel):
    kind: str
    date: dt.date | None = Field(validation_alias=AliasChoices("date", "fixed_date"))  # ExpiryRule.fixed_date
    days: int | None


class PassProductOut(ResponseModel):
    product_id: str
    title: str
    description: str
    price_minor: int
    currency: str
    uses: int
    eligible: EligibleOut
    expiry: ExpiryOut
    published: bool
    archived: bool


class HistoryOut(ResponseModel):
    who: str
    at: dt.datetime
    field: str
    old: Any
    new: Any


class PassOut(ResponseModel):
    pass_id: str
    product_id: str
    title: str
    email: str
    state: Literal["active", "used_up", "expired", "revoked"]
    uses_total: int
    uses_taken: int
    uses_left: int
    purchased_at: dt.datetime
    first_used_at: dt.datetime | None
    expiry: ExpiryOut
    last_valid_day: dt.date | None = Field(description="Local date the pass works through; null until a first-use timeframe starts.")
    expires_at: dt.datetime | None = Field(description="The instant (UTC) the pass stops working.")
    eligible: EligibleOut
    price_minor: int
    currency: str
    issued_by: Literal["purchase", "staff"]
    history: list[HistoryOut]


class ExpiryOverrideIn(Request):
    """Exactly one of ``date`` (P5 fixed date) or ``days`` (P5 whole relative timeframe)."""

    date: Day | None = None
    days: int | None = Field(None, ge=1, le=3650, description="The whole timeframe: 30 + 14 extension = 44.")
    counted_from: Literal["first_use", "purchase"] | None = Field(
        None, description="Anchor for days; default: the pass's current anchor, or first use for a fixed-date pass."
    )

    @model_validator(mode="after")
    def one_of(self) -> "ExpiryOverrideIn":
        if (self.date is None) == (self.days is None):
            raise ValueError("give exactly one of 'date' or 'days'")
        if self.date is not None and self.counted_from is not None:
            raise ValueError("'counted_from' goes with 'days' only")
        return self


class UsesOverrideIn(Request):
    uses_total: int = Field(ge=0, le=10_000, description="The new ORIGINAL total; uses taken stay taken.")


class IssuePassIn(Request):
    product_id: Id


class PassCheckoutIn(Request):
    product_id: Id
    success_url: WebUrl | None = None
    cancel_url: WebUrl | None = None


class CheckoutOut(ResponseModel):
    session_id: str
    checkout_url: str
    expires_at: int | None
