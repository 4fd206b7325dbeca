"""The membership catalogue (M1, M2): a membership is a customer group plus a Stripe product and prices."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ...domain.errors import InvalidInputError, StripeNotConnectedError
from ...domain.memberships import Membership, PriceOption, check_billing_period
from ...ports.clock import new_id
from ...ports.payments import BusinessPayments, RecurringPrice

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...domain.context import PublicContext, StaffContext
    from ...domain.paging import Page, PageRequest
    from ...ports.catalogue import CatalogueStore
    from ...ports.memberships import MembershipGroups, MembershipStore


@dataclass(frozen=True)
class NewPriceOption:
    title: str
    amount_minor: int
    currency: str
    interval: Literal["week", "month", "year"] | None
    interval_count: int = 1


@dataclass(frozen=True)
class NewMembership:
    title: str
    description: str = ""
    published: bool = False
    page_ids: tuple[str, ...] = ()
    price_options: tuple[NewPriceOption, ...] = ()


@dataclass(frozen=True)
class MembershipChanges:
    title: str | None = None
    description: str | None = None
    published: bool | None = None
    page_ids: tuple[str, ...] | None = None


class MembershipCatalogue:
    def __init__(self, memberships: MembershipStore, catalogue: CatalogueStore,
                 groups: Callable[[], MembershipGroups], payments: BusinessPayments) -> None:
        self.memberships = memberships
        self.catalogue = catalogue
        self.groups = groups
        self.payments = payments

    def create(self, ctx: StaffContext, body: NewMembership) -> Membership:
        business_id = ctx.business_id
        for page_id in body.page_ids:
            self.catalogue.get_page(business_id, page_id)
        for i, option in enumerate(body.price_options):
            try:
                check_billing_period(option.interval, option.interval_count)
            except InvalidInputError as exc:
                raise InvalidInputError(exc.message, field=f"price_options.{i}.{exc.details.get('field')}")
        port = self.payments.for_business(business_id)  # T6: refused before anything is made
        membership_id = new_id()
        group = self.groups().create_membership_group(business_id, membership_id, body.title, body.description)
        product_id = port.create_product(business_id, membership_id, body.title, body.description)
        membership = Membership(business_id, membership_id, body.title, body.description, body.published,
                                tuple(body.page_ids), group.group_id, product_id)
        for option in body.price_options:
            membership = self._with_new_option(membership, option)
        self.memberships.save(membership)
        return membership

    def _with_new_option(self, membership: Membership, body: NewPriceOption) -> Membership:
        check_billing_period(body.interval, body.interval_count)
        option_id = new_id()
        price = RecurringPrice(body.amount_minor, body.currency, body.interval, body.interval_count)
        price_id = self.payments.for_business(membership.business_id).create_price(
            membership.business_id, option_id, membership.provider_product_id or "", body.title, price)
        option = PriceOption(option_id, body.title, body.amount_minor, body.currency, body.interval,
                             body.interval_count, price_id)
        return replace(membership, options=membership.options + (option,))

    def add_option(self, ctx: StaffContext, membership_id: str, body: NewPriceOption) -> Membership:
        membership = self._with_new_option(self.memberships.get(ctx.business_id, membership_id), body)
        self.memberships.save(membership)
        return membership

    def rename_option(self, ctx: StaffContext, membership_id: str, option_id: str, title: str) -> Membership:
        membership = self.memberships.get(ctx.business_id, membership_id)
        option = membership.option(option_id)
        if option.provider_price_id:
            self.payments.for_business(ctx.business_id).update_price_title(option.provider_price_id, title)
        renamed = replace(option, title=title)
        membership = replace(membership, options=tuple(renamed if o.option_id == option_id else o for o in membership.options))
        self.memberships.save(membership)
        return membership

    def update(self, ctx: StaffContext, membership_id: str, patch: MembershipChanges) -> Membership:
        before = self.memberships.get(ctx.business_id, membership_id)
        changes = {k: v for k, v in vars(patch).items() if v is not None}
        for page_id in changes.get("page_ids", ()):
            self.catalogue.get_page(ctx.business_id, page_id)
        after = replace(before, **changes)
        if (after.title, after.description) != (before.title, before.description) and after.provider_product_id:
            self.payments.for_business(ctx.business_id).update_product(after.provider_product_id, after.title, after.description, True)
        self.memberships.save(after)
        return after

    def get(self, ctx: StaffContext, membership_id: str) -> Membership:
        return self.memberships.get(ctx.business_id, membership_id)

    def list_for(self, ctx: StaffContext, page: PageRequest) -> Page[Membership]:
        return self.memberships.list_page(ctx.business_id, page, published_only=False)

    def dashboard_url(self, business_id: str, kind: Literal["products", "prices"], object_id: str | None) -> str | None:
        """'Open on Stripe' for staff views, into the business's own account (none while it is not connected)."""
        if not object_id:
            return None
        try:
            return self.payments.for_business(business_id).dashboard_url(kind, object_id)
        except StripeNotConnectedError:
            return None

    def published(self, ctx: PublicContext, page: PageRequest) -> Page[Membership]:
        return self.memberships.list_page(ctx.business_id, page, published_only=True)
