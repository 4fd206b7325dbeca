"""Customer records: staff add, search and edit them (bookers are linked by the request context)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from ..domain.customers import Customer, CustomerKind, Participant, check_can_invite, check_changeable
from ..domain.emails import normalise_email
from ..domain.errors import InvalidInputError, NotFoundError
from ..ports.clock import Clock, new_id, utc_now
from .phones import normalise_phone

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import BookerContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..ports.customers import CustomerKinds
    from ..ports.tenancy import CustomerStore
    from .access import AccessService


@dataclass(frozen=True)
class NewCustomer:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class CustomerChanges:
    name: str | None = None
    disabled: bool | None = None
    phone: str | None = None  # "" removes the number
    sms_opt_out: bool | None = None


@dataclass(frozen=True)
class NewAdditionalUser:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class CustomerQuery:
    q: str | None = None
    kind: str | None = None


class LinkCache(Protocol):
    def unlink(self, business_id: str, email: str) -> None: ...


class KindPromotion:
    """C1 promotion through the store, with the request-context cache told, so the booker's next
    request within the cache's minute does not try the write again."""

    def __init__(self, kinds: CustomerKinds, access: AccessService) -> None:
        self.kinds = kinds
        self.access = access

    def promote_to_primary(self, business_id: str, email: str) -> bool:
        changed = self.kinds.promote_to_primary(business_id, email)
        self.access.promoted(business_id, email)
        return changed


class CustomerService:
    def __init__(self, customers: CustomerStore, links: LinkCache, clock: Clock = utc_now,
                 invited: Callable[[Customer], None] | None = None) -> None:
        self.customers = customers
        self.links = links
        self.clock = clock
        self.invited = invited or (lambda customer: None)  # C1: the invitation email, queued

    def create(self, ctx: StaffContext, body: NewCustomer) -> Customer:
        email = normalise_email(body.email)
        if not email:
            raise InvalidInputError(f"'{body.email}' is not an email address.", field="email")
        customer = Customer(ctx.business_id, email, name=body.name or "", created_at=self.clock())
        if not self.customers.create_if_missing(customer):
            return self.customers.get(ctx.business_id, email)
        return customer

    def get(self, ctx: StaffContext, email: str) -> Customer:
        return self.customers.get(ctx.business_id, self._email(email))

    def update(self, ctx: StaffContext, email: str, patch: CustomerChanges) -> Customer:
        before = self.customers.get(ctx.business_id, self._email(email))
        check_changeable(before)
        changes = {k: v for k, v in vars(patch).items() if v is not None}
        if patch.phone is not None:
            changes["phone"] = normalise_phone(patch.phone, ctx.business.country) if patch.phone.strip() else None
        after = replace(before, **changes)
        self.customers.save(before, after)
        self.links.unlink(ctx.business_id, before.email)  # a disabled booker is refused from the next request
        return after

    def add_participant(self, ctx: StaffContext, email: str, name: str) -> Customer:
        before = self.customers.get(ctx.business_id, self._email(email))
        check_changeable(before)
        after = replace(before, participants=before.participants + (Participant(new_id(), name),))
        self.customers.save(before, after)
        return after

    def invite_additional_user(self, ctx: BookerContext, body: NewAdditionalUser) -> Customer:
        """C1: a primary customer gives someone access to their account (bookings, passes, memberships,
        never the payment method). A new email gets a record; an app user's record is converted."""
        email = normalise_email(body.email)
        if not email:
            raise InvalidInputError(f"'{body.email}' is not an email address.", field="email")
        inviter = self.customers.get(ctx.business_id, ctx.email)  # fresh: a first booking just made them primary
        existing = self.customers.find(ctx.business_id, email)
        check_can_invite(inviter, existing)
        invited = Customer(ctx.business_id, email, name=body.name or "", kind=CustomerKind.ADDITIONAL_USER,
                           created_at=self.clock(), primary_email=ctx.email)
        if existing is None:
            if self.customers.create_if_missing(invited):
                self.invited(invited)
                return invited
            existing = self.customers.get(ctx.business_id, email)  # signed in meanwhile: convert that record
            check_can_invite(inviter, existing)
        after = replace(existing, kind=CustomerKind.ADDITIONAL_USER, primary_email=ctx.email,
                        name=existing.name or invited.name)
        self.customers.save(existing, after)
        self.links.unlink(ctx.business_id, email)
        self.invited(after)
        return after

    def search(self, ctx: StaffContext, query: CustomerQuery, page: PageRequest) -> Page[Customer]:
        """Search by part of a name or email, or list (by kind); one page either way (L1)."""
        kind = CustomerKind(query.kind) if query.kind else None
        if query.q:
            return self.customers.search(ctx.business_id, query.q, kind, page)
        return self.customers.list(ctx.business_id, kind, page)

    @staticmethod
    def _email(raw: str) -> str:
        email = normalise_email(raw)
        if not email:
            raise NotFoundError(f"No customer with email '{raw}'.")
        return email
