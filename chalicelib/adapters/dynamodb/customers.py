"""Customers per business keyed by normalised email, plus search-fragment items for partial search."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from ...domain.customers import (
    MIN_SEARCH,
    Customer,
    CustomerKind,
    Participant,
    matches,
    search_fragments,
    search_key,
)
from ...domain.paging import Page
from .base import find, is_condition_failure, load, query_page, register, table_meta

if TYPE_CHECKING:
    from datetime import datetime

    from ...domain.paging import PageRequest

class ParticipantMap(MapAttribute[str, Any]):
    participant_id = UnicodeAttribute()
    name = UnicodeAttribute()


@register
class CustomerModel(Model):
    Meta = table_meta("customers")
    business_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(default="")
    kind = UnicodeAttribute(default=CustomerKind.PRIMARY.value)
    participants = ListAttribute(of=ParticipantMap, default=list)
    signed_in_at = UTCDateTimeAttribute(null=True)
    disabled = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute(null=True)
    primary_email = UnicodeAttribute(null=True)
    deleting = BooleanAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    sms_opt_out = BooleanAttribute(null=True)
    marketing_opt_out = BooleanAttribute(null=True)
    erased = BooleanAttribute(null=True)
    erased_as = UnicodeAttribute(null=True)


@register
class CustomerSearchModel(Model):
    """One item per (fragment, customer): ``begins_with(fragment_key, q)`` is a substring search."""

    Meta = table_meta("customer-search")
    business_id = UnicodeAttribute(hash_key=True)
    fragment_key = UnicodeAttribute(range_key=True)  # "<fragment>#<email>"
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")


def customer_from(m: CustomerModel) -> Customer:
    return Customer(
        business_id=m.business_id,
        email=m.email,
        name=m.name or "",
        kind=CustomerKind(m.kind),
        participants=tuple(Participant(p.participant_id, p.name) for p in (m.participants or [])),
        signed_in_at=m.signed_in_at,
        disabled=bool(m.disabled),
        created_at=m.created_at,
        primary_email=m.primary_email or None,
        deleting=bool(m.deleting),
        phone=m.phone or None,
        sms_opt_out=bool(m.sms_opt_out),
        marketing_opt_out=bool(m.marketing_opt_out),
        erased=bool(m.erased),
        erased_as=m.erased_as or None,
    )


class CustomerRepository:
    def get(self, business_id: str, email: str) -> Customer:
        return customer_from(load(CustomerModel, business_id, email, missing=f"No customer with email '{email}'."))

    def find(self, business_id: str, email: str) -> Customer | None:
        item = find(CustomerModel, business_id, email)
        return customer_from(item) if item else None

    def create_if_missing(self, customer: Customer) -> bool:
        """Insert unless the email is known; True if created (so search fragments get written once)."""
        try:
            self._model(customer).save(condition=CustomerModel.email.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        self._index(customer, old_name=None)
        return True

    def make_primary(self, business_id: str, email: str, at: datetime) -> None:
        """A buyer is a primary customer (C1): create the record, or promote an app user."""
        existing = self.find(business_id, email)
        if existing is None:
            self.create_if_missing(Customer(business_id, email, kind=CustomerKind.PRIMARY, created_at=at))
        elif existing.kind is CustomerKind.APP_USER:
            self.save(existing, replace(existing, kind=CustomerKind.PRIMARY))

    def promote_to_primary(self, business_id: str, email: str) -> bool:
        """One conditional write: an app user becomes primary (C1); False if it already was something else."""
        try:
            CustomerModel(business_id, email).update(
                actions=[CustomerModel.kind.set(CustomerKind.PRIMARY.value)],
                condition=CustomerModel.kind == CustomerKind.APP_USER.value,
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def mark_deleting(self, business_id: str, email: str) -> None:
        CustomerModel(business_id, email).update(actions=[CustomerModel.deleting.set(True)],
                                                 condition=CustomerModel.email.exists())

    def delete(self, customer: Customer) -> None:
        """The record and its search fragments."""
        CustomerModel(customer.business_id, customer.email).delete()
        with CustomerSearchModel.batch_write() as batch:
            for frag in search_fragments(customer.name, customer.email):
                batch.delete(CustomerSearchModel(customer.business_id, f"{frag}#{customer.email}"))

    def put_unindexed(self, customer: Customer) -> None:
        """The record alone, no search fragments (an erased customer's remainder, C6)."""
        self._model(customer).save()

    def mark_signed_in(self, business_id: str, email: str, at: datetime) -> None:
        CustomerModel(business_id, email).update(
            actions=[CustomerModel.signed_in_at.set(CustomerModel.signed_in_at | at)]
        )

    def save(self, before: Customer | None, after: Customer) -> None:
        self._model(after).save()
        if before is None or before.name != after.name:
            self._index(after, old_name=before.name if before else None)

    def search(self, business_id: str, query: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]:
        """One page of fragment hits, checked against the whole query, deduplicated within the page
        and read back as records (the kind filter applies to those): the page can be shorter than
        ``limit``. A customer whose name and email both hold the query can show on two pages."""
        key = search_key(query)
        if len(key) < MIN_SEARCH:
            return Page()
        hits = query_page(CustomerSearchModel, business_id, lambda hit: hit, page,
                          CustomerSearchModel.fragment_key.startswith(key))
        emails = list(dict.fromkeys(h.email for h in hits.items if matches(query, h.name, h.email)))
        found = {m.email: customer_from(m) for m in CustomerModel.batch_get([(business_id, e) for e in emails])}
        customers = [found[e] for e in emails if e in found and (kind is None or found[e].kind is kind)]
        return Page(customers, hits.next_key)

    def list(self, business_id: str, kind: CustomerKind | None, page: PageRequest) -> Page[Customer]:
        """By email; ``kind`` is a filter expression (DynamoDB reads, then drops other kinds)."""
        cond = CustomerModel.kind == kind.value if kind else None
        return query_page(CustomerModel, business_id, customer_from, page, filter_condition=cond)

    def reindex(self, business_id: str) -> tuple[int, int]:
        """Rewrite every customer's search fragments and delete fragments no record explains (older
        fragment schemes); idempotent. Returns (customers indexed, stale fragments deleted)."""
        wanted: set[str] = set()
        count = 0
        for m in CustomerModel.query(business_id):
            self._index(customer_from(m), old_name=None)
            wanted.update(f"{frag}#{m.email}" for frag in search_fragments(m.name or "", m.email))
            count += 1
        stale = [item for item in CustomerSearchModel.query(business_id) if item.fragment_key not in wanted]
        with CustomerSearchModel.batch_write() as batch:
            for item in stale:
                batch.delete(item)
        return count, len(stale)

    def _model(self, c: Customer) -> CustomerModel:
        return CustomerModel(
            c.business_id,
            c.email,
            name=c.name,
            kind=c.kind.value,
            participants=[ParticipantMap(participant_id=p.participant_id, name=p.name) for p in c.participants],
            signed_in_at=c.signed_in_at,
            disabled=c.disabled,
            created_at=c.created_at,
            primary_email=c.primary_email,
            deleting=c.deleting or None,
            phone=c.phone,
            sms_opt_out=c.sms_opt_out or None,
            marketing_opt_out=c.marketing_opt_out or None,
            erased=c.erased or None,
            erased_as=c.erased_as,
        )

    def _index(self, c: Customer, old_name: str | None) -> None:
        new = search_fragments(c.name, c.email)
        old = search_fragments(old_name, c.email) if old_name is not None else set()
        with CustomerSearchModel.batch_write() as batch:
            for frag in old - new:
                batch.delete(CustomerSearchModel(c.business_id, f"{frag}#{c.email}"))
            for frag in new:
                batch.save(CustomerSearchModel(c.business_id, f"{frag}#{c.email}", email=c.email, name=c.name))
