"""Customer records: staff search and edit them; a booker's first call links their verified email."""
from __future__ import annotations

import time
from dataclasses import replace

from ..adapters.dynamodb.customers import CustomerRepository
from ..domain.customers import Customer, CustomerKind, Participant
from ..domain.emails import normalise_email
from ..domain.errors import ForbiddenError, InvalidInputError, NotFoundError
from ..domain.tenancy import Caller
from ..schemas.customers import CustomerIn, CustomerPatch, CustomerSearchQuery, ParticipantIn
from .ports import Clock, new_id, utc_now

LINK_TTL_SECONDS = 60.0


class CustomerService:
    def __init__(self, customers: CustomerRepository, clock: Clock = utc_now) -> None:
        self.customers = customers
        self.clock = clock
        # Per container: (business, email) -> monotonic expiry. Skips the read for a minute, so a disabled
        # customer loses access within LINK_TTL_SECONDS on every warm container.
        self._linked: dict[tuple[str, str], float] = {}

    def link_booker(self, business_id: str, caller: Caller, name: str = "") -> Customer | None:
        """Make sure the booker has a customer record here; refuse a disabled one (C5).

        A record created by staff before the booker had an account (G4) is the same record: it is
        keyed by the normalised email, so the access it carries applies from this first sign-in.
        """
        email = caller.booker_email()
        key = (business_id, email)
        if self._linked.get(key, 0.0) > time.monotonic():
            return None
        existing = self.customers.find(business_id, email)
        now = self.clock()
        if existing is None:
            self.customers.create_if_missing(
                Customer(business_id, email, name=name, kind=CustomerKind.APP_USER, signed_in_at=now, created_at=now)
            )
        else:
            if existing.disabled:
                raise ForbiddenError("Your access to this business has been disabled.", code="customer_disabled")
            if existing.signed_in_at is None:
                self.customers.mark_signed_in(business_id, email, now)
        self._linked[key] = time.monotonic() + LINK_TTL_SECONDS
        return existing

    def forget_links(self) -> None:
        self._linked.clear()

    def create(self, caller: Caller, body: CustomerIn) -> Customer:
        business_id = caller.staff_business()
        email = normalise_email(body.email)
        if not email:
            raise InvalidInputError(f"'{body.email}' is not an email address.", field="email")
        now = self.clock()
        customer = Customer(business_id, email, name=body.name or "", created_at=now)
        if not self.customers.create_if_missing(customer):
            return self.customers.get(business_id, email)
        return customer

    def get(self, caller: Caller, email: str) -> Customer:
        return self.customers.get(caller.staff_business(), self._email(email))

    def update(self, caller: Caller, email: str, patch: CustomerPatch) -> Customer:
        business_id = caller.staff_business()
        before = self.customers.get(business_id, self._email(email))
        after = replace(before, **patch.model_dump(exclude_none=True))
        self.customers.save(before, after)
        self._linked.pop((business_id, before.email), None)
        return after

    def add_participant(self, caller: Caller, email: str, body: ParticipantIn) -> Customer:
        business_id = caller.staff_business()
        before = self.customers.get(business_id, self._email(email))
        after = replace(before, participants=before.participants + (Participant(new_id(), body.name),))
        self.customers.save(before, after)
        return after

    def search(self, caller: Caller, query: CustomerSearchQuery) -> list[Customer]:
        business_id = caller.staff_business()
        kind = CustomerKind(query.kind) if query.kind else None
        if query.q:
            return self.customers.search(business_id, query.q, kind)
        return self.customers.list(business_id, kind)

    @staticmethod
    def _email(raw: str) -> str:
        email = normalise_email(raw)
        if not email:
            raise NotFoundError(f"No customer with email '{raw}'.")
        return email
