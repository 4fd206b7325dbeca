"""Resolving who a request acts for: the one place tenancy, plan gates, booker linking and the
disabled check happen. The route framework calls it before every handler (``api/framework.py``).
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ..domain.context import BookerContext, OperatorContext, PersonContext, PublicContext, StaffContext
from ..domain.customers import Customer, CustomerKind
from ..domain.errors import ForbiddenError, InvalidInputError
from ..domain.staff import BUSINESS_HEADER
from ..ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from collections.abc import Collection

    from ..domain.tenancy import Business, Caller, Feature
    from ..ports.staff import StaffStore
    from ..ports.tenancy import BusinessStore, CustomerStore

LINK_TTL_SECONDS = 60.0


class AccessService:
    def __init__(self, businesses: BusinessStore, customers: CustomerStore, staff: StaffStore,
                 clock: Clock = utc_now, operators: Collection[str] = ()) -> None:
        self.businesses = businesses
        self.customers = customers
        self.staff_records = staff
        self.clock = clock
        self.operators = frozenset(operators)
        # Per container: (business, email) -> (monotonic expiry, record). Saves the customer read for a
        # minute, so a disabled customer loses access within LINK_TTL_SECONDS on every warm container.
        self._linked: dict[tuple[str, str], tuple[float, Customer]] = {}

    def staff(self, caller: Caller, feature: Feature | None, business_id: str | None = None) -> StaffContext:
        """The business ``caller`` acts for, from the staff records (never a token claim).

        ``business_id`` is the ``X-Business-Id`` header: optional for staff of exactly one business.
        The record is read on every request (no cache): a removed member is refused at once.
        """
        if business_id:
            record = self.staff_records.find(caller.subject, business_id)
            if record is None:
                raise ForbiddenError(f"You are not staff of business '{business_id}'.", code="not_staff")
        else:
            records = self.staff_records.of_person(caller.subject, limit=2)
            if not records:
                raise ForbiddenError("This route is for staff of a business.", code="not_staff")
            if len(records) > 1:
                raise InvalidInputError(f"You are staff of several businesses: name one with the {BUSINESS_HEADER} "
                                        "header.", field=BUSINESS_HEADER, code="business_required")
            record = records[0]
        business = self.businesses.find(record.business_id)
        if business is None:
            raise ForbiddenError("Your account is not staff of an existing business.", code="unknown_business")
        self._gate(business, feature)
        return StaffContext(business=business, subject=caller.subject, role=record.role)

    def person(self, caller: Caller) -> PersonContext:
        return PersonContext(subject=caller.subject, email=caller.email)

    def operator(self, caller: Caller) -> OperatorContext:
        if caller.subject not in self.operators:
            raise ForbiddenError("This route is for platform operators.", code="not_operator")
        return OperatorContext(subject=caller.subject)

    def booker(self, caller: Caller, business_id: str, feature: Feature | None) -> BookerContext:
        if not caller.email:
            raise ForbiddenError("This route is for signed-in bookers with a verified email.")
        business = self.businesses.get(business_id)
        self._gate(business, feature)
        customer = self._link(business_id, caller.email)
        return BookerContext(business=business, subject=caller.subject, email=caller.email, customer=customer,
                             account_email=customer.account_email)

    def public(self, business_id: str, feature: Feature | None) -> PublicContext:
        business = self.businesses.get(business_id)
        self._gate(business, feature)
        return PublicContext(business=business)

    @staticmethod
    def _gate(business: Business, feature: Feature | None) -> None:
        if feature is not None:
            business.require(feature)

    def _link(self, business_id: str, email: str) -> Customer:
        """The booker's record here, created on first sign-in; a disabled one is refused (C5).

        A record created by staff before the booker had an account (G4) is the same record: it is
        keyed by the normalised email, so the access it carries applies from this first sign-in.
        """
        key = (business_id, email)
        hit = self._linked.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        now = self.clock()
        customer = self.customers.find(business_id, email)
        if customer is None:
            customer = Customer(business_id, email, kind=CustomerKind.APP_USER, signed_in_at=now, created_at=now)
            if not self.customers.create_if_missing(customer):
                customer = self.customers.get(business_id, email)
        elif customer.signed_in_at is None:
            self.customers.mark_signed_in(business_id, email, now)
        if customer.disabled or customer.deleting:
            raise ForbiddenError("Your access to this business has been disabled.", code="customer_disabled")
        self._linked[key] = (time.monotonic() + LINK_TTL_SECONDS, customer)
        return customer

    def promoted(self, business_id: str, email: str) -> None:
        """A registration made this booker primary (C1): the cached record says so, no re-read needed."""
        key = (business_id, email)
        hit = self._linked.get(key)
        if hit is not None:
            self._linked[key] = (hit[0], replace(hit[1], kind=CustomerKind.PRIMARY))

    def unlink(self, business_id: str, email: str) -> None:
        """Staff changed the record (e.g. disabled it): this container re-reads it on the next request."""
        self._linked.pop((business_id, email), None)
