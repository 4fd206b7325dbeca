"""Memberships: the catalogue, member records, checkouts, the processed-events ledger and groups."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import date, datetime

    from ..domain.memberships import Checkout, MemberRecord, Membership
    from ..domain.paging import Page, PageRequest
    from ..domain.pauses import PauseWindow


class MembershipStore(Protocol):
    def get(self, business_id: str, membership_id: str) -> Membership: ...

    def get_recent(self, business_id: str, membership_id: str) -> Membership:
        """May be a few seconds old (a warm cache): for events and emails, never for staff edits."""
        ...

    def list(self, business_id: str) -> list[Membership]: ...

    def list_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[Membership]: ...

    def by_product(self, product_id: str) -> Membership | None: ...

    def save(self, m: Membership) -> None: ...


class MemberStore(Protocol):
    def find(self, business_id: str, subscription_id: str) -> MemberRecord | None: ...

    def get(self, business_id: str, subscription_id: str) -> MemberRecord: ...

    def replace(self, old: MemberRecord | None, new: MemberRecord) -> None:
        """Write ``new`` only if the stored record is still ``old``; else ``StaleSnapshotError``."""
        ...

    def mark_drained(self, record: MemberRecord, sent: int) -> MemberRecord:
        """Clear the first ``sent`` pending emails and mark the group synced (``StaleSnapshotError`` if changed)."""
        ...

    def for_membership(self, business_id: str, membership_id: str) -> list[MemberRecord]: ...

    def for_booker(self, business_id: str, email: str) -> list[MemberRecord]: ...

    def membership_page(self, business_id: str, membership_id: str, page: PageRequest) -> Page[MemberRecord]: ...

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[MemberRecord]: ...

    def page_by_price(self, price_id: str, cursor: dict[str, Any] | None,
                      limit: int) -> tuple[list[tuple[str, str]], dict[str, Any] | None]: ...

    def find_many(self, keys: list[tuple[str, str]]) -> list[MemberRecord]:
        """The records of (business_id, subscription_id) keys that exist, in one batch read."""
        ...

    def ending_on(self, day: str, before: datetime) -> list[tuple[str, str]]: ...

    def pausing_on(self, day: str) -> list[tuple[str, str]]:
        """X1: the members whose ``pause_day`` is ``day``."""
        ...


class CheckoutStore(Protocol):
    def create(self, checkout: Checkout, at: datetime) -> None:
        """Store it and count it among the booker's open checkouts, in one transaction: a booker at
        ``MAX_OPEN_CHECKOUTS`` is refused (``RuleRefusedError("too_many_open_checkouts")``)."""
        ...

    def claim_membership(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> str | None:
        """Make ``checkout_id`` the booker's one open checkout for the membership (one conditional write);
        returns the id of the one already open instead, if there is one (B4)."""
        ...

    def drop_claim(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> None:
        """Free a membership claim whose checkout was never created."""
        ...

    def set_session(self, business_id: str, checkout_id: str, session_id: str, url: str | None = None,
                    expires_at: int | None = None) -> None: ...

    def find(self, business_id: str, checkout_id: str) -> Checkout | None: ...

    def close(self, business_id: str, checkout_id: str, state: str) -> bool:
        """Move an open checkout to ``state``, no longer counted as open nor as its membership's open
        checkout (one transaction); False if it was already closed (a redelivered event)."""
        ...

    def record_payment(self, business_id: str, checkout_id: str, payment_intent_id: str | None,
                       invoice_id: str | None) -> None:
        """Keep what paid the checkout (a later refund needs it); the same values on a redelivery."""
        ...


class HeldPlaces(Protocol):
    def confirm(self, business_id: str, booking_id: str) -> bool:
        """Turn a held place into a booking; False when it is no longer held."""
        ...


class ProcessedEventLedger(Protocol):
    def claim(self, event_id: str, event_type: str, at: datetime) -> bool:
        """Record the event id unless already there (one conditional put); True when this call did."""
        ...

    def release(self, event_id: str) -> None:
        """Forget a claim whose handling failed, so the retry runs it again."""
        ...

    def seen(self, event_id: str) -> bool: ...


class MembershipGroups(Protocol):
    """What memberships need from customer groups (``GroupService``, as it is today)."""

    def create_membership_group(self, business_id: str, membership_id: str, name: str, description: str) -> Any: ...

    def join_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str,
                            joined_at: datetime, anchor: date | None) -> Any: ...

    def leave_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str) -> Any: ...

    def release_membership_group(self, business_id: str, group_id: str) -> Any: ...

    def set_membership_pauses(self, business_id: str, group_id: str, email: str,
                              pauses: tuple[PauseWindow, ...]) -> Any: ...
