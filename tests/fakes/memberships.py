"""In-memory stores of the membership ports, with the same conditional semantics as the tables."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from chalicelib.domain.bookings import MAX_OPEN_CHECKOUTS
from chalicelib.domain.errors import RuleRefusedError
from chalicelib.domain.memberships import Checkout, MemberRecord, Membership, StaleSnapshotError
from chalicelib.domain.paging import Page, PageRequest
from tests.fakes.core import page_of


class InMemoryMemberships:
    def __init__(self, *memberships: Membership) -> None:
        self.rows = {(m.business_id, m.membership_id): m for m in memberships}
        self.reads = 0

    def get(self, business_id: str, membership_id: str) -> Membership:
        from chalicelib.domain.errors import NotFoundError

        self.reads += 1
        try:
            return self.rows[(business_id, membership_id)]
        except KeyError:
            raise NotFoundError(f"Membership '{membership_id}' does not exist.") from None

    def get_recent(self, business_id: str, membership_id: str) -> Membership:
        return self.get(business_id, membership_id)

    def list(self, business_id: str) -> list[Membership]:
        return [m for (b, _), m in self.rows.items() if b == business_id]

    def list_page(self, business_id: str, page: PageRequest, published_only: bool) -> Page[Membership]:
        rows = sorted(self.list(business_id), key=lambda m: m.membership_id)
        return page_of([m for m in rows if m.published or not published_only], page)

    def by_product(self, product_id: str) -> Membership | None:
        return next((m for m in self.rows.values() if m.provider_product_id == product_id), None)

    def save(self, m: Membership) -> None:
        self.rows[(m.business_id, m.membership_id)] = m


class InMemoryMembers:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], MemberRecord] = {}

    def find(self, business_id: str, subscription_id: str) -> MemberRecord | None:
        return self.rows.get((business_id, subscription_id))

    def get(self, business_id: str, subscription_id: str) -> MemberRecord:
        from chalicelib.domain.errors import NotFoundError

        found = self.find(business_id, subscription_id)
        if found is None:
            raise NotFoundError(f"Member subscription '{subscription_id}' does not exist.")
        return found

    def replace(self, old: MemberRecord | None, new: MemberRecord) -> None:
        current = self.rows.get((new.business_id, new.subscription_id))
        if (old is None and current is not None) or (
                old is not None and (current is None or current.synced_ms != old.synced_ms
                                     or current.pause_rev != old.pause_rev)):
            raise StaleSnapshotError(new.subscription_id)
        self.rows[(new.business_id, new.subscription_id)] = new

    def mark_drained(self, record: MemberRecord, sent: int) -> MemberRecord:
        current = self.rows[(record.business_id, record.subscription_id)]
        if current.synced_ms != record.synced_ms or current.pause_rev != record.pause_rev:
            raise StaleSnapshotError(record.subscription_id)
        drained = replace(record, group_synced=True, outbox=record.outbox[sent:])
        self.rows[(record.business_id, record.subscription_id)] = drained
        return drained

    def for_membership(self, business_id: str, membership_id: str) -> list[MemberRecord]:
        return [r for r in self.rows.values() if r.business_id == business_id and r.membership_id == membership_id]

    def for_booker(self, business_id: str, email: str) -> list[MemberRecord]:
        return [r for r in self.rows.values() if r.business_id == business_id and r.email == email]

    def membership_page(self, business_id: str, membership_id: str, page: PageRequest) -> Page[MemberRecord]:
        return page_of(sorted(self.for_membership(business_id, membership_id), key=lambda r: r.subscription_id), page)

    def booker_page(self, business_id: str, email: str, page: PageRequest) -> Page[MemberRecord]:
        return page_of(sorted(self.for_booker(business_id, email), key=lambda r: r.subscription_id), page)

    def page_by_price(self, price_id: str, cursor: dict[str, Any] | None,
                      limit: int) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
        keys = sorted(k for k, r in self.rows.items() if r.price_id == price_id)
        start = int((cursor or {}).get("index", 0))
        page = keys[start:start + limit]
        return page, ({"index": start + limit} if start + limit < len(keys) else None)

    def find_many(self, keys: list[tuple[str, str]]) -> list[MemberRecord]:
        return [self.rows[k] for k in keys if k in self.rows]

    def ending_on(self, day: str, before: datetime) -> list[tuple[str, str]]:
        return [k for k, r in self.rows.items() if r.current_period_end and r.current_period_end.date().isoformat() == day
                and r.current_period_end <= before]

    def pausing_on(self, day: str) -> list[tuple[str, str]]:
        return [k for k, r in self.rows.items() if r.pause_day and r.pause_day.isoformat() == day]


class InMemoryCheckouts:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Checkout] = {}
        self.claims: dict[tuple[str, str, str], str] = {}

    def create(self, checkout: Checkout, at: datetime) -> None:
        assert (checkout.business_id, checkout.checkout_id) not in self.rows
        open_ = [c for c in self.rows.values() if c.email == checkout.email and c.state == "open"
                 and c.business_id == checkout.business_id]
        if len(open_) >= MAX_OPEN_CHECKOUTS:
            raise RuleRefusedError("too_many_open_checkouts", "Too many open checkouts.")
        self.rows[(checkout.business_id, checkout.checkout_id)] = checkout

    def claim_membership(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> str | None:
        held = self.claims.setdefault((business_id, membership_id, email), checkout_id)
        return None if held == checkout_id else held

    def drop_claim(self, business_id: str, membership_id: str, email: str, checkout_id: str) -> None:
        if self.claims.get((business_id, membership_id, email)) == checkout_id:
            del self.claims[(business_id, membership_id, email)]

    def set_session(self, business_id: str, checkout_id: str, session_id: str, url: str | None = None,
                    expires_at: int | None = None) -> None:
        self.rows[(business_id, checkout_id)] = replace(self.rows[(business_id, checkout_id)], session_id=session_id,
                                                        url=url, expires_at=expires_at)

    def find(self, business_id: str, checkout_id: str) -> Checkout | None:
        return self.rows.get((business_id, checkout_id))

    def close(self, business_id: str, checkout_id: str, state: str) -> bool:
        current = self.rows.get((business_id, checkout_id))
        if current is None or current.state != "open":
            return False
        self.rows[(business_id, checkout_id)] = replace(current, state=state)
        self.drop_claim(business_id, current.membership_id, current.email, checkout_id)
        return True

    def record_payment(self, business_id: str, checkout_id: str, payment_intent_id: str | None,
                       invoice_id: str | None) -> None:
        current = self.rows[(business_id, checkout_id)]
        self.rows[(business_id, checkout_id)] = replace(current, payment_intent_id=payment_intent_id or current.payment_intent_id,
                                                        invoice_id=invoice_id or current.invoice_id)


class InMemoryProcessedEvents:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def claim(self, event_id: str, event_type: str, at: datetime) -> bool:
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        return True

    def release(self, event_id: str) -> None:
        self.ids.discard(event_id)

    def seen(self, event_id: str) -> bool:
        return event_id in self.ids


@dataclass
class FakeGroups:
    """The four methods memberships call on the groups service; ``members`` holds (email, subscription)."""

    members: set[tuple[str, str]] = field(default_factory=set)
    created: list[str] = field(default_factory=list)
    pauses: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def create_membership_group(self, business_id: str, membership_id: str, name: str, description: str) -> Any:
        self.created.append(membership_id)
        return type("Group", (), {"group_id": f"g_{membership_id}"})()

    def join_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str,
                            joined_at: datetime, anchor: date | None) -> None:
        self.members.add((email, subscription_id))

    def leave_via_membership(self, business_id: str, group_id: str, email: str, subscription_id: str) -> None:
        self.members.discard((email, subscription_id))

    def release_membership_group(self, business_id: str, group_id: str) -> None:
        pass

    def set_membership_pauses(self, business_id: str, group_id: str, email: str, pauses: tuple[Any, ...]) -> None:
        self.pauses[email] = pauses


class FakeMailer:
    """``MailerPort``: occurrence keys sent once; ``outbox`` keeps (template, to, context, attachments)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.outbox: list[tuple[str, str, dict[str, Any], tuple[Any, ...]]] = []

    @property
    def sent(self) -> dict[str, str]:
        return {k: k.split("#")[-2] for k in self.keys}

    def send_once(self, occurrence: str, template: str, to: str, context: dict[str, Any],
                  attachments: tuple[Any, ...] = ()) -> bool:
        key = f"{occurrence}#{template}#{to}"
        if key in self.keys:
            return False
        self.keys.add(key)
        self.outbox.append((template, to, context, attachments))
        return True


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None:
        self.sent.append((kind, body))

    def send_many(self, messages: list[Any]) -> None:
        self.sent.extend((m.kind, m.body) for m in messages)


class FakeBusinesses:
    def __init__(self, name: str = "Studio", tz: Any = None) -> None:
        from datetime import UTC

        self.name, self.tz = name, tz or UTC

    def get(self, business_id: str) -> Any:
        return type("Business", (), {"business_id": business_id, "name": self.name, "tz": self.tz})()

    def find(self, business_id: str) -> Any:
        return self.get(business_id)

    def save(self, business: Any) -> None:
        pass


class FakeCustomers:
    def __init__(self) -> None:
        self.primary: list[tuple[str, str]] = []

    def make_primary(self, business_id: str, email: str, at: datetime) -> None:
        self.primary.append((business_id, email))
