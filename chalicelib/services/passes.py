"""Passes: staff sell products, bookers buy and use passes, staff find and override them (P1–P7).

``PassPayment`` is the booking ``PaymentMethod`` for ``pay_with == "pass"``; the use itself is
written by ``PassSettlementWriter`` in the booking's own transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..domain import passes as rules
from ..domain.bookings import PassUseRef, Settlement, SettlementKind
from ..domain.emails import normalise_email
from ..domain.errors import NotFoundError, PassChangedError
from ..domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass, PassProduct, PassView
from ..domain.tenancy import Business, Feature
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now
from ..ports.payments import BusinessPayments, CheckoutLine, CheckoutRequest, CheckoutSession, CompletedCheckout
from .bookings import SettledAtOnce, pass_applies

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.catalogue import Entry, Ticket
    from ..domain.context import BookerContext, PublicContext, StaffContext
    from ..domain.customers import Customer
    from ..domain.paging import Page, PageRequest
    from ..ports.passes import PassProductStore, PassStore
    from ..ports.tenancy import CustomerStore

OVERRIDE_ATTEMPTS = 3


@dataclass(frozen=True)
class EligibleTerms:
    ticket_ids: tuple[str, ...] = ()
    entry_ids: tuple[str, ...] = ()
    page_ids: tuple[str, ...] = ()

    def rule(self) -> Eligibility:
        return Eligibility(self.ticket_ids, self.entry_ids, self.page_ids)


@dataclass(frozen=True)
class ExpiryTerms:
    kind: str
    date: dt.date | None = None
    days: int | None = None

    def rule(self) -> ExpiryRule:
        return ExpiryRule(ExpiryKind(self.kind), fixed_date=self.date, days=self.days)


@dataclass(frozen=True)
class NewPassProduct:
    title: str
    price_minor: int
    uses: int
    eligible: EligibleTerms
    expiry: ExpiryTerms
    description: str = ""
    currency: str = "EUR"
    published: bool = True


@dataclass(frozen=True)
class PassProductChanges:
    title: str | None = None
    description: str | None = None
    price_minor: int | None = None
    currency: str | None = None
    uses: int | None = None
    eligible: EligibleTerms | None = None
    expiry: ExpiryTerms | None = None
    published: bool | None = None


@dataclass(frozen=True)
class IssuePass:
    product_id: str


@dataclass(frozen=True)
class ExpiryOverride:
    """Exactly one of ``date`` or ``days`` (the request schema checks it)."""

    date: dt.date | None = None
    days: int | None = None
    counted_from: str | None = None  # "first_use" | "purchase"


@dataclass(frozen=True)
class UsesOverride:
    uses_total: int


@dataclass(frozen=True)
class BuyPass:
    product_id: str
    success_url: str | None = None
    cancel_url: str | None = None


class PassService:
    def __init__(
        self,
        products: PassProductStore,
        passes: PassStore,
        customers: CustomerStore,
        payments: BusinessPayments,
        clock: Clock = utc_now,
    ) -> None:
        """``payments`` gives the business's own Stripe account (T4), or refuses while it is not connected (T6)."""
        self.products = products
        self.passes = passes
        self.customers = customers
        self.payments = payments
        self.clock = clock

    # P1 — products (staff)

    def create_product(self, ctx: StaffContext, body: NewPassProduct) -> PassProduct:
        business = ctx.business
        rules.validate_product_terms(body.uses, body.price_minor)
        product = PassProduct(
            business_id=business.business_id,
            product_id=new_id(),
            title=body.title,
            description=body.description,
            price_minor=body.price_minor,
            currency=body.currency,
            uses=body.uses,
            eligibility=body.eligible.rule(),
            expiry=body.expiry.rule(),
            published=body.published,
            created_at=self.clock(),
        )
        self.products.save(product)
        return product

    def update_product(self, ctx: StaffContext, product_id: str, patch: PassProductChanges) -> PassProduct:
        """Only products change; passes already sold keep the terms they were bought with."""
        before = self._live_product(ctx.business_id, product_id)
        changes = {k: v for k, v in vars(patch).items() if v is not None and k not in ("eligible", "expiry")}
        if patch.eligible is not None:
            changes["eligibility"] = patch.eligible.rule()
        if patch.expiry is not None:
            changes["expiry"] = patch.expiry.rule()
        after = replace(before, **changes)
        rules.validate_product_terms(after.uses, after.price_minor)
        self.products.save(after)
        return after

    def archive_product(self, ctx: StaffContext, product_id: str) -> None:
        """Archived, not deleted: checkouts in flight still need the product to issue their pass."""
        product = self._live_product(ctx.business_id, product_id)
        self.products.save(replace(product, archived=True, published=False))

    def products_for_staff(self, ctx: StaffContext, page: PageRequest) -> Page[PassProduct]:
        return self.products.list_page(ctx.business_id, page, on_sale_only=False)

    def product_for_staff(self, ctx: StaffContext, product_id: str) -> PassProduct:
        return self._live_product(ctx.business_id, product_id)

    def on_sale(self, ctx: PublicContext, page: PageRequest) -> Page[PassProduct]:
        return self.products.list_page(ctx.business_id, page, on_sale_only=True)

    # P3 — finding passes

    def for_customer(self, ctx: StaffContext, email: str, page: PageRequest) -> Page[PassView]:
        """One Query; the customer record is read only to tell "no passes" from "no such customer"."""
        business = ctx.business
        address = self._email(email)
        passes = self.passes.customer_page(business.business_id, address, page)
        if not passes.items and page.start is None:
            self.customers.get(business.business_id, address)
        return self._views(business, passes)

    def mine(self, ctx: BookerContext, page: PageRequest) -> Page[PassView]:
        return self._views(ctx.business, self.passes.customer_page(ctx.business_id, ctx.account_email, page))

    # P2 — purchase, and issuing by hand

    def checkout(self, ctx: BookerContext, body: BuyPass) -> CheckoutSession:
        email, business_id = ctx.account_email, ctx.business_id  # C1: an additional user buys for the account
        product = self.products.get(business_id, body.product_id)
        if not product.on_sale:
            raise NotFoundError(f"Pass product '{body.product_id}' is not on sale.")
        port = self.payments.for_business(business_id)
        return port.create_checkout(
            CheckoutRequest(
                business_id=business_id,
                customer_email=email,
                mode="payment",
                lines=(CheckoutLine(title=product.title, amount_minor=product.price_minor, currency=product.currency),),
                purpose="pass",
                reference=f"pass-{new_id()}",
                metadata={"product_id": product.product_id},
                success_url=body.success_url or "",
                cancel_url=body.cancel_url or "",
            )
        )

    def complete_checkout(self, done: CompletedCheckout) -> None:
        """The ``checkout_handlers["pass"]`` entry: issue the pass once per paid checkout.

        Redelivered or replayed events find the purchase record and change nothing. The pass takes
        the product's terms as they are now (minutes after the checkout started).
        """
        product_id = done.metadata.get("product_id")
        email = normalise_email(done.customer_email or "")
        if not product_id or not email:
            raise ValueError(f"checkout {done.session_id} has no product_id or customer email")
        product = self.products.get(done.business_id, product_id)
        self._make_primary(done.business_id, email)
        issued = self.passes.issue(
            self._new_pass(product, email, purchase_ref=done.session_id, price_minor=done.amount_total, currency=done.currency.upper())
        )
        logger.info("pass checkout completed", extra={"session_id": done.session_id, "issued": issued})

    def issue_by_staff(self, ctx: StaffContext, email: str, body: IssuePass) -> PassView:
        business = ctx.business
        customer = self._customer(business.business_id, email)
        product = self._live_product(business.business_id, body.product_id)
        p = self._new_pass(product, customer.email, purchase_ref=None, price_minor=0, currency=product.currency)
        self.passes.issue(p)
        return rules.view(p, self.clock(), business.tz)

    # P5–P7 — overrides, each recorded in the pass's history

    def override_expiry(self, ctx: StaffContext, email: str, pass_id: str, body: ExpiryOverride) -> PassView:
        anchor = {"first_use": ExpiryKind.DAYS_FROM_FIRST_USE, "purchase": ExpiryKind.DAYS_FROM_PURCHASE}
        if body.date is not None:
            day = body.date
            return self._override(ctx, email, pass_id, lambda p, who, at: rules.set_fixed_expiry(p, day, who, at))
        days, counted_from = body.days, anchor.get(body.counted_from or "")
        assert days is not None  # the schema allows exactly one of date/days
        return self._override(ctx, email, pass_id, lambda p, who, at: rules.set_relative_expiry(p, days, who, at, counted_from))

    def override_uses(self, ctx: StaffContext, email: str, pass_id: str, body: UsesOverride) -> PassView:
        return self._override(ctx, email, pass_id, lambda p, who, at: rules.set_uses_total(p, body.uses_total, who, at))

    def revoke(self, ctx: StaffContext, email: str, pass_id: str) -> PassView:
        return self._override(ctx, email, pass_id, rules.revoke)

    # helpers

    def _override(self, ctx: StaffContext, email: str, pass_id: str, change: Callable[[Pass, str, dt.datetime], Pass]) -> PassView:
        business = ctx.business
        address = self._email(email)
        for attempt in range(OVERRIDE_ATTEMPTS):
            before = self.passes.get(business.business_id, address, pass_id)
            now = self.clock()
            after = change(before, ctx.subject, now)
            try:
                self.passes.save_override(before, after)
                return rules.view(after, now, business.tz)
            except PassChangedError:
                if attempt == OVERRIDE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _new_pass(self, product: PassProduct, email: str, *, purchase_ref: str | None, price_minor: int, currency: str) -> Pass:
        now = self.clock()
        return Pass(
            business_id=product.business_id,
            email=email,
            pass_id=rules.pass_id_for(now, new_id()[:8]),
            product_id=product.product_id,
            title=product.title,
            uses_total=product.uses,
            uses_taken=0,
            eligibility=product.eligibility,
            expiry=product.expiry,
            purchased_at=now,
            purchase_ref=purchase_ref,
            price_minor=price_minor,
            currency=currency,
        )

    def _make_primary(self, business_id: str, email: str) -> None:
        self.customers.make_primary(business_id, email, self.clock())

    def _views(self, business: Business, passes: Page[Pass]) -> Page[PassView]:
        now = self.clock()
        return passes.map(lambda p: rules.view(p, now, business.tz))

    def _live_product(self, business_id: str, product_id: str) -> PassProduct:
        product = self.products.get(business_id, product_id)
        if product.archived:
            raise NotFoundError(f"Pass product '{product_id}' does not exist.")
        return product

    def _customer(self, business_id: str, email: str) -> Customer:
        return self.customers.get(business_id, self._email(email))

    @staticmethod
    def _email(raw: str) -> str:
        email = normalise_email(raw)
        if not email:
            raise NotFoundError(f"No customer with email '{raw}'.")
        return email


class PassPayment(SettledAtOnce):
    """Booking ``PaymentMethod``: the customer's oldest eligible pass pays, one use per seat (P4, B2)."""

    def __init__(self, passes: PassStore, clock: Clock = utc_now) -> None:
        self.passes = passes
        self.clock = clock

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return pass_applies(ticket, pay_with)

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        business.require(Feature.PASSES)
        chosen = rules.choose_pass(
            self.passes.for_customer(business.business_id, email), entry, ticket, seats, self.clock(), business.tz
        )
        return Settlement(
            SettlementKind.PASS,
            ref=PassUseRef(chosen.pass_id, chosen.title, chosen.revision, chosen.uses_total),
        )
