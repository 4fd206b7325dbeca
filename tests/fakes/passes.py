"""In-memory pass products and passes: the ``ports.passes`` shapes, for use-case tests without a table."""
from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.errors import NotFoundError, PassChangedError
from chalicelib.domain.paging import Page, PageRequest
from chalicelib.domain.passes import Pass, PassProduct
from tests.fakes.core import page_of


class InMemoryPassProducts:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], PassProduct] = {}

    def get(self, business_id: str, product_id: str) -> PassProduct:
        try:
            return self.items[business_id, product_id]
        except KeyError:
            raise NotFoundError(f"Pass product '{product_id}' does not exist.") from None

    def save(self, product: PassProduct) -> None:
        self.items[product.business_id, product.product_id] = product

    def list(self, business_id: str) -> list[PassProduct]:
        return [p for (b, _), p in sorted(self.items.items()) if b == business_id]

    def list_page(self, business_id: str, page: PageRequest, on_sale_only: bool) -> Page[PassProduct]:
        return page_of([p for p in self.list(business_id) if (p.on_sale if on_sale_only else not p.archived)], page)


class InMemoryPasses:
    """Keyed like the table (business, email, pass id); a purchase ref issues at most once."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], Pass] = {}
        self.purchases: set[str] = set()

    def for_customer(self, business_id: str, email: str) -> list[Pass]:
        mine = [p for (b, e, _), p in self.items.items() if (b, e) == (business_id, email)]
        return sorted(mine, key=lambda p: p.pass_id, reverse=True)

    def customer_page(self, business_id: str, email: str, page: PageRequest) -> Page[Pass]:
        return page_of(self.for_customer(business_id, email), page)

    def get(self, business_id: str, email: str, pass_id: str) -> Pass:
        try:
            return self.items[business_id, email, pass_id]
        except KeyError:
            raise NotFoundError(f"Pass '{pass_id}' does not exist.") from None

    def issue(self, p: Pass) -> bool:
        if p.purchase_ref:
            if p.purchase_ref in self.purchases:
                return False
            self.purchases.add(p.purchase_ref)
        self.items[p.business_id, p.email, p.pass_id] = p
        return True

    def save_override(self, before: Pass, after: Pass) -> None:
        now = self.get(before.business_id, before.email, before.pass_id)
        if now.revision != before.revision or (after.uses_total < before.uses_total and now.uses_taken > after.uses_total):
            raise PassChangedError("The pass changed while it was being edited; try again.")
        self.items[before.business_id, before.email, before.pass_id] = replace(after, uses_taken=now.uses_taken)
