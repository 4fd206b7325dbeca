"""Waitlist signals end to end (X2): a cancellation queues a promotion only when someone waits, the
promoted email survives a worker dying after the booking, and a lost signal is swept up by the schedule."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token
from tests.stripe_support import drain, rewire, sent_emails, setup_queue_and_mail

BIZ, ANN, BEN = "biz-signals", "ann@example.com", "ben@example.com"
MINE = f"/v1/businesses/{BIZ}/me"
PROMOTION = "waitlist_promotion"


class RecordingQueue:
    """The events queue, recording each kind sent; ``failing`` kinds raise as a queue outage would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.kinds: list[str] = []
        self.failing: set[str] = set()

    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None:
        if kind in self.failing:
            raise ConnectionError("queue unavailable")
        self.kinds.append(kind)
        self.inner.send(kind, body, correlation_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class DyingMailer:
    """The worker dies right before the first "promoted" email (after the booking committed)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.die = True

    def send_once(self, occurrence: str, template: str, to: str, context: dict[str, Any], attachments: Any = ()) -> bool:
        if template == "waitlist_promoted" and self.die:
            self.die = False
            raise SystemExit("worker died")
        return bool(self.inner.send_once(occurrence, template, to, context, attachments))


@pytest.fixture
def shop(api):
    make_business(BIZ, tz="Europe/Berlin")
    staff = staff_token(BIZ)
    url = setup_queue_and_mail()
    queue = RecordingQueue(container().event_queue)
    rewire(event_queue=queue)
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    entry = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "Yoga", "starts_at": "2031-12-02T18:00:00", "ends_at": "2031-12-02T19:00:00",
        "capacity": 1, "tickets": [{"title": "Open day", "price_minor": 0, "currency": "EUR"}]}).json
    return {"api": api, "url": url, "queue": queue, "entry": entry}


def call(shop, method: str, path: str, email: str, body=None):
    return shop["api"].call(method, path, booker_token(email), body)


def book(shop, email: str) -> str:
    e = shop["entry"]
    resp = call(shop, "POST", f"{MINE}/bookings", email, {"entry_id": e["entry_id"], "ticket_id": e["tickets"][0]["ticket_id"]})
    assert resp.status_code == 201, resp.json
    return str(resp.json["bookings"][0]["booking_id"] if "bookings" in resp.json else resp.json["booking_id"])


def cancel(shop, email: str, booking_id: str) -> None:
    assert call(shop, "POST", f"{MINE}/bookings/{booking_id}/cancel", email).status_code == 200


def join(shop, email: str) -> None:
    e = shop["entry"]
    resp = call(shop, "POST", f"{MINE}/waitlist", email, {"entry_id": e["entry_id"], "ticket_id": e["tickets"][0]["ticket_id"]})
    assert resp.status_code == 201, resp.json


def confirmed(shop, email: str) -> list[str]:
    return [b["booking_id"] for b in call(shop, "GET", f"{MINE}/bookings", email).json["items"] if b["status"] == "confirmed"]


def promoted_mails(email: str) -> int:
    return sum(1 for m in sent_emails() if m["to"] == email and "you are booked on Yoga" in m["subject"])


def test_a_cancellation_queues_a_promotion_only_when_someone_waits(shop):
    cancel(shop, ANN, book(shop, ANN))
    assert PROMOTION not in shop["queue"].kinds  # nobody waits: no message

    ann = book(shop, ANN)
    join(shop, BEN)
    cancel(shop, ANN, ann)
    assert shop["queue"].kinds.count(PROMOTION) == 1
    drain(shop["url"])
    assert len(confirmed(shop, BEN)) == 1
    assert container().waitlist_store.waiting(BIZ, shop["entry"]["entry_id"]) == 0

    cancel(shop, BEN, confirmed(shop, BEN)[0])  # the list is empty again: nothing more queued
    assert shop["queue"].kinds.count(PROMOTION) == 1


def test_the_promoted_email_is_sent_once_when_the_worker_dies_between_the_booking_and_the_mail(shop):
    dying = DyingMailer(container().mailer)
    rewire(mailer=dying)
    ann = book(shop, ANN)
    join(shop, BEN)
    shop["queue"].failing.add(PROMOTION)  # the worker is called by hand below
    cancel(shop, ANN, ann)
    entry_id = shop["entry"]["entry_id"]

    with pytest.raises(SystemExit):
        container().waitlist_promotion.promote(BIZ, entry_id)
    assert len(confirmed(shop, BEN)) == 1 and promoted_mails(BEN) == 0
    assert [w.email for w, _ in container().waitlist_store.awaiting_mail(BIZ, entry_id)] == [BEN]

    container().waitlist_promotion.promote(BIZ, entry_id)  # the message comes back
    assert promoted_mails(BEN) == 1 and container().waitlist_store.awaiting_mail(BIZ, entry_id) == []
    container().waitlist_promotion.promote(BIZ, entry_id)  # and again: nothing twice
    assert promoted_mails(BEN) == 1 and len(confirmed(shop, BEN)) == 1


def test_a_signal_lost_after_the_cancellation_is_swept_by_the_schedule(shop):
    ann = book(shop, ANN)
    join(shop, BEN)
    assert container().waitlist_sweep.run() == 0  # full: nothing to promote
    shop["queue"].failing.add(PROMOTION)
    cancel(shop, ANN, ann)
    assert PROMOTION not in shop["queue"].kinds and confirmed(shop, BEN) == []

    shop["queue"].failing.clear()
    assert container().waitlist_sweep.run() == 1
    drain(shop["url"])
    assert len(confirmed(shop, BEN)) == 1 and promoted_mails(BEN) == 1
    assert container().waitlist_sweep.run() == 0  # nobody waits any more
