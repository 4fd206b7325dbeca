"""The small studio most paid-booking tests start from: a business, its staff, the events queue and mail,
the local payment provider, a "Classes" page and one "Yoga" entry (Tue 2 Dec 2031, 18:00) with the tickets asked."""
from __future__ import annotations

from typing import Any

from tests.conftest import make_business, staff_token
from tests.stripe_support import local_stripe, setup_queue_and_mail

DROP_IN = {"title": "Drop-in", "price_minor": 1500, "currency": "EUR"}
OPEN_DAY = {"title": "Open day", "price_minor": 0, "currency": "EUR"}


def yoga_shop(api: Any, biz: str, *, capacity: int, tickets: list[dict[str, Any]],
              payments: bool = True) -> dict[str, Any]:
    """``shop`` of the tests: api, staff, queue, page, entry, and with ``payments`` the provider and ``seen``."""
    make_business(biz)  # Europe/Berlin
    staff = staff_token(biz)
    shop: dict[str, Any] = {"api": api, "staff": staff, "queue": setup_queue_and_mail()}
    if payments:
        shop["provider"] = local_stripe()
    shop["page"] = api.call("POST", "/v1/manage/pages", staff, {"title": "Classes"}).json
    shop["entry"] = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": shop["page"]["page_id"], "title": "Yoga", "starts_at": "2031-12-02T18:00:00",
        "ends_at": "2031-12-02T19:00:00", "capacity": capacity, "tickets": tickets}).json
    if payments:
        shop["seen"] = len(shop["provider"].events)
    return shop
