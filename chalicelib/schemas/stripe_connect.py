"""Stripe Connect (T4): the connection's state for staff, the OAuth start and callback."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Request, ResponseModel


class StripeConnectionOut(ResponseModel):
    state: Literal["not_connected", "connected", "disconnected"] = Field(
        description="'disconnected': the business revoked access in Stripe; records are kept, payments stop.")
    account_id: str | None = Field(None, description="The business's own Stripe account (acct_...).")
    livemode: bool
    charges_enabled: bool
    dashboard_url: str | None = Field(None, description="The account's Stripe dashboard.")


class StripeConnectStartOut(ResponseModel):
    url: str = Field(description="Open this in the browser: Stripe asks the owner to approve the connection.")


class StripeConnectCallbackQuery(Request):
    code: str = Field(min_length=1, max_length=255, description="The OAuth authorization code from Stripe.")
    state: str = Field(min_length=1, max_length=1024, description="The signed state this API handed out.")
    scope: str | None = Field(None, max_length=64, description="Granted scope (Stripe sends 'read_write').")
