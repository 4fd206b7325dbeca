"""Passes (P1–P7): staff products, a customer's passes and overrides; bookers buy and list theirs.

A pass is addressed by the customer's email and its pass id, which is exactly its table key
(``<business>#<email>`` / ``pass_id``) with the business taken from the staff context.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.tenancy import Feature
from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, PublicContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..domain.passes import PassProduct, PassView
    from ..schemas.passes import (
        ExpiryOverrideIn,
        IssuePassIn,
        PassCheckoutIn,
        PassProductIn,
        PassProductPatch,
        UsesOverrideIn,
    )

api = ApiBlueprint(__name__, tag="passes", schemas="chalicelib.schemas.passes")
PRODUCTS = "/v1/manage/pass-products"
CUSTOMER_PASSES = "/v1/manage/customers/{email}/passes"
ONE_PASS = CUSTOMER_PASSES + "/{pass_id}"
MINE = "/v1/businesses/{business_id}/me/passes"
GATE = Feature.PASSES


@api.op("POST", PRODUCTS, summary="Create a pass product", role=STAFF, feature=GATE, body="PassProductIn",
        response="PassProductOut", status=201)
def create_product(ctx: StaffContext, body: PassProductIn) -> PassProduct:
    from ..services.passes import NewPassProduct

    return container().passes.create_product(ctx, command(NewPassProduct, body))


@api.op("GET", PRODUCTS, summary="List pass products (archived ones left out)", role=STAFF, feature=GATE,
        response="PassProductOut", paginated=True)
def list_products(ctx: StaffContext, page: PageRequest) -> Page[PassProduct]:
    return container().passes.products_for_staff(ctx, page)


@api.op("GET", f"{PRODUCTS}/{{product_id}}", summary="Get a pass product", role=STAFF, feature=GATE,
        response="PassProductOut")
def get_product(ctx: StaffContext, product_id: str) -> PassProduct:
    return container().passes.product_for_staff(ctx, product_id)


@api.op("PATCH", f"{PRODUCTS}/{{product_id}}", summary="Change a pass product (sold passes keep their terms)", role=STAFF,
        feature=GATE, body="PassProductPatch", response="PassProductOut")
def update_product(ctx: StaffContext, product_id: str, body: PassProductPatch) -> PassProduct:
    from ..services.passes import PassProductChanges

    return container().passes.update_product(ctx, product_id, command(PassProductChanges, body))


@api.op("DELETE", f"{PRODUCTS}/{{product_id}}", summary="Archive a pass product (no longer sold)", role=STAFF, feature=GATE,
        status=204)
def archive_product(ctx: StaffContext, product_id: str) -> None:
    container().passes.archive_product(ctx, product_id)


@api.op("GET", CUSTOMER_PASSES, summary="A customer's passes, newest first, with uses, expiry and state", role=STAFF,
        feature=GATE, response="PassOut", paginated=True)
def customer_passes(ctx: StaffContext, email: str, page: PageRequest) -> Page[PassView]:
    return container().passes.for_customer(ctx, email, page)


@api.op("POST", CUSTOMER_PASSES, summary="Issue a pass to a customer by hand (no payment)", role=STAFF, feature=GATE,
        body="IssuePassIn", response="PassOut", status=201)
def issue(ctx: StaffContext, email: str, body: IssuePassIn) -> PassView:
    from ..services.passes import IssuePass

    return container().passes.issue_by_staff(ctx, email, command(IssuePass, body))


@api.op("POST", f"{ONE_PASS}/expiry", summary="Override expiry: a fixed date, or the whole relative timeframe in days",
        role=STAFF, feature=GATE, body="ExpiryOverrideIn", response="PassOut")
def override_expiry(ctx: StaffContext, email: str, pass_id: str, body: ExpiryOverrideIn) -> PassView:
    from ..services.passes import ExpiryOverride

    return container().passes.override_expiry(ctx, email, pass_id, command(ExpiryOverride, body))


@api.op("POST", f"{ONE_PASS}/uses", summary="Override uses: the new original total (uses taken stay taken)", role=STAFF,
        feature=GATE, body="UsesOverrideIn", response="PassOut")
def override_uses(ctx: StaffContext, email: str, pass_id: str, body: UsesOverrideIn) -> PassView:
    from ..services.passes import UsesOverride

    return container().passes.override_uses(ctx, email, pass_id, command(UsesOverride, body))


@api.op("POST", f"{ONE_PASS}/revoke", summary="Revoke a pass", role=STAFF, feature=GATE, response="PassOut")
def revoke(ctx: StaffContext, email: str, pass_id: str) -> PassView:
    return container().passes.revoke(ctx, email, pass_id)


@api.op("GET", "/v1/businesses/{business_id}/pass-products", summary="Pass products on sale", role=PUBLIC, feature=GATE,
        response="PassProductOut", paginated=True)
def on_sale(ctx: PublicContext, page: PageRequest) -> Page[PassProduct]:
    return container().passes.on_sale(ctx, page)


@api.op("GET", MINE, summary="My passes, newest first", role=BOOKER, feature=GATE, response="PassOut", paginated=True)
def mine(ctx: BookerContext, page: PageRequest) -> Page[PassView]:
    return container().passes.mine(ctx, page)


@api.op("POST", f"{MINE}/checkout", summary="Buy a pass: start a one-off payment checkout", role=BOOKER, feature=GATE,
        body="PassCheckoutIn", response="CheckoutOut", status=201)
def checkout(ctx: BookerContext, body: PassCheckoutIn) -> dict[str, Any]:
    from ..services.passes import BuyPass

    session = container().passes.checkout(ctx, command(BuyPass, body))
    return {"session_id": session.session_id, "checkout_url": session.url, "expires_at": session.expires_at}
