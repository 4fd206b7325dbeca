"""Customer records per business, and the fragments that make partial search an index lookup."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from .errors import ConflictError, ForbiddenError, InvalidInputError

MIN_SEARCH = 2


class CustomerKind(str, Enum):
    PRIMARY = "primary"  # has shown interest or bought
    APP_USER = "app_user"  # signed in, never bought
    ADDITIONAL_USER = "additional_user"


@dataclass(frozen=True)
class Participant:
    participant_id: str
    name: str


@dataclass(frozen=True)
class Customer:
    business_id: str
    email: str
    name: str = ""
    kind: CustomerKind = CustomerKind.PRIMARY
    participants: tuple[Participant, ...] = field(default_factory=tuple)
    signed_in_at: datetime | None = None
    disabled: bool = False
    created_at: datetime | None = None
    primary_email: str | None = None  # additional users only: whose account they see and book on
    deleting: bool = False  # an additional user whose history is being moved to the primary (C6)
    phone: str | None = None  # E.164 (C4 SMS)
    sms_opt_out: bool = False  # the customer asked for no SMS
    marketing_opt_out: bool = False  # unsubscribed from marketing messages (transactional ones still go)
    erased: bool = False  # GDPR art. 17 done: this record is the pseudonymous remainder (C6)
    erased_as: str | None = None  # erasure under way: the pseudonymous id the history moves to

    @property
    def account_email(self) -> str:
        """The account this person acts on: their primary's for an additional user, else their own."""
        return self.primary_email or self.email


def check_deletable(customer: Customer) -> None:
    """C6: only app users and additional users can be deleted; primary customers can be disabled."""
    if customer.kind is CustomerKind.PRIMARY:
        raise ConflictError(
            "Primary customers cannot be deleted (they registered or bought); disable them instead.",
            code="primary_customer_not_deletable",
        )


ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never resolves, so nothing is ever mailed there
ERASED_NAME = "Erased participant"
ERASURE_BLOCKING_STATUSES = frozenset({"active", "trialing", "past_due", "incomplete", "unpaid", "paused"})


def pseudonym(token: str) -> str:
    """The id an erased customer's kept records move to: shaped as an address, so every list and route
    that shows or takes a customer email still works, but says nothing about the person."""
    return f"erased-{token}@{ERASED_DOMAIN}"


def check_erasable(customer: Customer, live_memberships: int, open_checkouts: int) -> None:
    """C6 erasure: a running subscription or an unpaid checkout would keep writing under the email."""
    if live_memberships:
        raise ConflictError("The customer has an active membership; cancel it before erasing them.",
                            code="active_membership")
    if open_checkouts:
        raise ConflictError("The customer has an unpaid checkout open; it must expire or be cancelled first.",
                            code="open_checkout")
    if customer.deleting and not customer.erased_as:
        raise ConflictError("The customer is being deleted.", code="deletion_in_progress")


def check_changeable(customer: Customer) -> None:
    """An erased remainder (or one being erased) takes no new personal data."""
    if customer.erased or customer.erased_as:
        raise ConflictError("This customer was erased on request; their record cannot be changed.",
                            code="customer_erased")


def erased_record(customer: Customer, as_id: str) -> Customer:
    """What stays of the record: its kind, dates and participant ids (bookings refer to them), no name."""
    return Customer(customer.business_id, as_id, name="", kind=customer.kind,
                    participants=tuple(Participant(p.participant_id, ERASED_NAME) for p in customer.participants),
                    disabled=True, created_at=customer.created_at, erased=True)


def check_can_invite(inviter: Customer, invitee: Customer | None) -> None:
    """C1: a primary customer invites additional users; an existing customer record is not taken over."""
    if inviter.kind is not CustomerKind.PRIMARY or inviter.primary_email:
        raise ForbiddenError("Only a primary customer can invite additional users.", code="not_a_primary_customer")
    if invitee is not None and invitee.email == inviter.email:
        raise InvalidInputError("You cannot invite yourself.", field="email")
    if invitee is not None and (invitee.kind is not CustomerKind.APP_USER or invitee.primary_email):
        raise ConflictError(f"'{invitee.email}' is already a customer here and cannot become an additional user.",
                            code="already_a_customer")


def fold(text: str) -> str:
    """Lower case without accents: "José" and "jose" are the same to search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_query(text: str) -> str:
    return " ".join(fold(text).split())


def search_fragments(name: str, email: str) -> set[str]:
    """Every suffix (at least MIN_SEARCH long) of the whole email and of every word of the name.

    Stored as sort keys, a ``begins_with`` query on them finds any substring of the email, across the
    "@" too ("smith@exam", "@example.net", "example.net"), and of any name word ("ane" finds "Jane",
    "jose" finds "José"). A query spanning name words is narrowed by its longest word and then
    checked against the full text.
    """
    address = fold(email)
    fragments = {address[i:] for i in range(len(address))}
    for word in fold(name).split():
        fragments.update(word[i:] for i in range(len(word)))
    return {f for f in fragments if len(f) >= MIN_SEARCH}


def search_key(query: str) -> str:
    """The fragment to look up: the whole query if it is one word, else its longest word."""
    words = normalise_query(query).split()
    return max(words, key=len) if words else ""


def matches(query: str, name: str, email: str) -> bool:
    q = normalise_query(query)
    return q in normalise_query(name) or q in fold(email)


@dataclass(frozen=True)
class ContactChanges:
    """A change to how a customer is messaged (C4); None leaves a field as it is."""

    phone: str | None = None  # E.164, or "" to remove the number
    sms_opt_out: bool | None = None
    marketing_opt_out: bool | None = None
