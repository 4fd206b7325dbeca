"""Customer records per business, and the fragments that make partial search an index lookup."""
from __future__ import annotations

import re
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


def normalise_query(text: str) -> str:
    return " ".join(text.lower().split())


def search_fragments(name: str, email: str) -> set[str]:
    """Every suffix (at least MIN_SEARCH long) of every word of the name and the email.

    Stored as sort keys, a ``begins_with`` query on them finds any substring of any word: "ane" finds
    "Jane", "exam" finds "jane@example.com". A query spanning words is narrowed by its first word and
    then checked against the full text.
    """
    words = re.split(r"[\s@._+\-]+", f"{name} {email}".lower())
    fragments = {email.lower()}
    for word in words:
        for i in range(len(word) - MIN_SEARCH + 1):
            fragments.add(word[i:])
    return {f for f in fragments if len(f) >= MIN_SEARCH}


def search_key(query: str) -> str:
    """The fragment to look up for a query: its longest word (the most selective prefix)."""
    q = normalise_query(query)
    if "@" in q and " " not in q:
        return q
    words = [w for w in re.split(r"[\s@._+\-]+", q) if w]
    return max(words, key=len) if words else ""


def matches(query: str, name: str, email: str) -> bool:
    q = normalise_query(query)
    return q in normalise_query(name) or q in email.lower()
