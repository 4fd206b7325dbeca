"""Passes (P1–P7): staff products, a customer's passes and overrides; bookers buy and list theirs.

A pass is addressed by the customer's email and its pass id, which is exactly its table key
(``<business>#<email>`` / ``pass_id``) with the business taken from the staff token.
"""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.passes import (
    CheckoutOut,
    ExpiryOverrideIn,
    IssuePassIn,
    PassCheckoutIn,
    PassOut,
    PassProductIn,
    PassProductOut,
    PassProductPatch,
    UsesOverrideIn,
)
from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, container
from .presenters import pass_out, pass_product_out

api = ApiBlueprint(__name__, tag="passes")
PRODUCTS = "/v1/manage/pass-products"
CUSTOMER_PASSES = "/v1/manage/customers/{email}/passes"
ONE_PASS = CUSTOMER_PASSES + "/{pass_id}"
MINE = "/v1/businesses/{business_id}/me/passes"


@api.op("POST", PRODUCTS, summary="Create a pass product", role=STAFF, body=PassProductIn, response=PassProductOut, status=201)
def create_product(caller: Caller, body: PassProductIn) -> PassProductOut:
    return pass_product_out(container().passes.create_product(caller, body))


@api.op("GET", PRODUCTS, summary="List pass products (archived ones left out)", role=STAFF, response=list[PassProductOut])
def list_products(caller: Caller) -> list[PassProductOut]:
    return [pass_product_out(p) for p in container().passes.products_for_staff(caller)]


@api.op("GET", f"{PRODUCTS}/{{product_id}}", summary="Get a pass product", role=STAFF, response=PassProductOut)
def get_product(caller: Caller, product_id: str) -> PassProductOut:
    return pass_product_out(container().passes.product_for_staff(caller, product_id))


@api.op("PATCH", f"{PRODUCTS}/{{product_id}}", summary="Change a pass product (sold passes keep their terms)", role=STAFF,
        body=PassProductPatch, response=PassProductOut)
def update_product(caller: Caller, product_id: str, body: PassProductPatch) -> PassProductOut:
    return pass_product_out(container().passes.update_product(caller, product_id, body))


@api.op("DELETE", f"{PRODUCTS}/{{product_id}}", summary="Archive a pass product (no longer sold)", role=STAFF, status=204)
def archive_product(caller: Caller, product_id: str) -> None:
    container().passes.archive_product(caller, product_id)


@api.op("GET", CUSTOMER_PASSES, summary="A customer's passes, newest first, with uses, expiry and state", role=STAFF,
        response=list[PassOut])
def customer_passes(caller: Caller, email: str) -> list[PassOut]:
    return [pass_out(v) for v in container().passes.for_customer(caller, email)]


@api.op("POST", CUSTOMER_PASSES, summary="Issue a pass to a customer by hand (no payment)", role=STAFF, body=IssuePassIn,
        response=PassOut, status=201)
def issue(caller: Caller, email: str, body: IssuePassIn) -> PassOut:
    return pass_out(container().passes.issue_by_staff(caller, email, body))


@api.op("POST", f"{ONE_PASS}/expiry", summary="Override expiry: a fixed date, or the whole relative timeframe in days",
        role=STAFF, body=ExpiryOverrideIn, response=PassOut)
def override_expiry(caller: Caller, email: str, pass_id: str, body: ExpiryOverrideIn) -> PassOut:
    return pass_out(container().passes.override_expiry(caller, email, pass_id, body))


@api.op("POST", f"{ONE_PASS}/uses", summary="Override uses: the new original total (uses taken stay taken)", role=STAFF,
        body=UsesOverrideIn, response=PassOut)
def override_uses(caller: Caller, email: str, pass_id: str, body: UsesOverrideIn) -> PassOut:
    return pass_out(container().passes.override_uses(caller, email, pass_id, body))


@api.op("POST", f"{ONE_PASS}/revoke", summary="Revoke a pass", role=STAFF, response=PassOut)
def revoke(caller: Caller, email: str, pass_id: str) -> PassOut:
    return pass_out(container().passes.revoke(caller, email, pass_id))


@api.op("GET", "/v1/businesses/{business_id}/pass-products", summary="Pass products on sale", role=PUBLIC,
        response=list[PassProductOut])
def on_sale(caller: Caller | None, business_id: str) -> list[PassProductOut]:
    return [pass_product_out(p) for p in container().passes.on_sale(business_id)]


def _linked(caller: Caller, business_id: str) -> None:
    """Unknown business first (404), then the booker's customer record (as the bookings routes do)."""
    container().businesses.get(business_id)
    container().customers.link_booker(business_id, caller)


@api.op("GET", MINE, summary="My passes, newest first", role=BOOKER, response=list[PassOut])
def mine(caller: Caller, business_id: str) -> list[PassOut]:
    _linked(caller, business_id)
    return [pass_out(v) for v in container().passes.mine(caller, business_id)]


@api.op("POST", f"{MINE}/checkout", summary="Buy a pass: start a one-off payment checkout", role=BOOKER, body=PassCheckoutIn,
        response=CheckoutOut, status=201)
def checkout(caller: Caller, business_id: str, body: PassCheckoutIn) -> CheckoutOut:
    _linked(caller, business_id)
    session = container().passes.checkout(caller, business_id, body)
    return CheckoutOut(session_id=session.session_id, checkout_url=session.url, expires_at=session.expires_at)
