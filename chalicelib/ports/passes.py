"""Pass products and sold passes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.paging import Page, PageRequest
    from ..domain.passes import Pass, PassProduct


class PassProductStore(Protocol):
    def get(self, business_id: str, product_id: str) -> PassProduct:
        """The product, or ``NotFoundError``."""
        ...

    def list(self, business_id: str) -> list[PassProduct]: ...

    def list_page(self, business_id: str, page: PageRequest, on_sale_only: bool) -> Page[PassProduct]:
        """Never archived ones; with ``on_sale_only`` only published ones too."""
        ...

    def save(self, product: PassProduct) -> None: ...


class PassStore(Protocol):
    def for_customer(self, business_id: str, email: str) -> list[Pass]:
        """Newest first."""
        ...

    def customer_page(self, business_id: str, email: str, page: PageRequest) -> Page[Pass]:
        """Newest first."""
        ...

    def get(self, business_id: str, email: str, pass_id: str) -> Pass:
        """The pass, or ``NotFoundError``."""
        ...

    def issue(self, p: Pass) -> bool:
        """Write a new pass; with a ``purchase_ref``, at most once per ref. False if already issued."""
        ...

    def save_override(self, before: Pass, after: Pass) -> None:
        """Write one override unless the pass changed since ``before`` (``PassChangedError``)."""
        ...
