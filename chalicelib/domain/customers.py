"""Customer records per business, and the fragments that make partial search an index lookup."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

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
