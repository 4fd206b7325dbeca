"""Stripe Connect (T4): staff see and start the connection; Stripe's OAuth redirect completes it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .framework import PUBLIC, STAFF, ApiBlueprint, container

if TYPE_CHECKING:
    from ..domain.context import StaffContext
    from ..domain.tenancy import Business
    from ..schemas.stripe_connect import StripeConnectCallbackQuery

api = ApiBlueprint(__name__, tag="stripe-connect", schemas="chalicelib.schemas.stripe_connect")
CONNECTION = "/v1/manage/stripe-connection"


def connection_view(b: Business) -> dict[str, Any]:
    connected = b.stripe_connection.value == "connected" and b.stripe_account_id
    return {"state": b.stripe_connection.value, "account_id": b.stripe_account_id, "livemode": b.stripe_livemode,
            "charges_enabled": b.stripe_charges_enabled,
            "dashboard_url": (f"https://dashboard.stripe.com/{b.stripe_account_id}{'' if b.stripe_livemode else '/test'}"
                              if connected else None)}


@api.op("GET", CONNECTION, summary="The business's Stripe connection", role=STAFF, response="StripeConnectionOut")
def get_connection(ctx: StaffContext) -> dict[str, Any]:
    return connection_view(container().stripe_connect.status(ctx))


@api.op("POST", CONNECTION, summary="Start connecting a Stripe account (OAuth, Standard accounts)", role=STAFF,
        response="StripeConnectStartOut")
def start_connection(ctx: StaffContext) -> dict[str, Any]:
    return {"url": container().stripe_connect.start(ctx)}


@api.op("GET", "/v1/stripe/connect/callback", summary="Stripe's OAuth redirect: completes the connection", role=PUBLIC,
        query="StripeConnectCallbackQuery", response="StripeConnectionOut")
def connect_callback(ctx: None, query: StripeConnectCallbackQuery) -> dict[str, Any]:
    return connection_view(container().stripe_connect.complete(query.code, query.state))
