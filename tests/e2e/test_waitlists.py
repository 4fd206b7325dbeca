"""Waitlists end to end (X2): join a full entry, see the place, staff reorder, a freed place books the first
waiter through the events queue (once, whatever the redeliveries), card waiters get a held place and a link."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib.domain.dates import in_words
from tests.conftest import booker_token
from tests.e2e.shops import DROP_IN, OPEN_DAY, yoga_shop
from tests.stripe_support import deliver_new_events, drain, local_stripe, sent_emails

BIZ, ANN, BEN, CAT = "biz-wait", "ann@example.com", "ben@example.com", "cat@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    return yoga_shop(api, BIZ, capacity=1, tickets=[OPEN_DAY, DROP_IN], payments=False)


def call(shop, method: str, path: str, email: str | None = None, body=None):
    return shop["api"].call(method, path, booker_token(email) if email else shop["staff"], body)


def join(shop, email: str, ticket: int = 0, **extra):
    entry = shop["entry"]
    return call(shop, "POST", f"{MINE}/waitlist", email, {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][ticket]["ticket_id"], **extra})


def book(shop, email: str, ticket: int = 0, **extra):
    entry = shop["entry"]
    return call(shop, "POST", f"{MINE}/bookings", email, {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][ticket]["ticket_id"], **extra})


def waiting(shop) -> list[str]:
    resp = call(shop, "GET", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist?limit=1")
    emails: list[str] = []
    for _ in range(20):  # paginated: walk every page
        emails += [w["email"] for w in resp.json["items"]]
        cursor = resp.json.get("next")
        if not cursor:
            return emails
        resp = call(shop, "GET", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist?limit=1&cursor={cursor}")
    raise AssertionError("the waitlist pages never ended")


def place(shop, email: str) -> int:
    return int(call(shop, "GET", f"{MINE}/waitlist/{shop['entry']['entry_id']}", email).json["place"])


def my_bookings(shop, email: str) -> list[dict]:
    return [b for b in call(shop, "GET", f"{MINE}/bookings", email).json["items"] if b["status"] != "cancelled"]


def booked(shop) -> int:
    return call(shop, "GET", f"/v1/manage/entries/{shop['entry']['entry_id']}").json["booked"]


def mails_to(email: str, subject_part: str) -> list[dict]:
    return [m for m in sent_emails() if m["to"] == email and subject_part in m["subject"]]


def test_a_cancellation_books_the_first_waiter_once_and_the_rest_stay_queued(shop):
    early = join(shop, BEN)
    assert early.status_code == 409 and early.json["error"]["reason"] == "places_free"
    assert book(shop, ANN).status_code == 201

    assert join(shop, BEN).json["place"] == 1
    assert join(shop, CAT, participants=[]).json["place"] == 2
    again = join(shop, BEN)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_waiting"
    assert waiting(shop) == [BEN, CAT] and (place(shop, BEN), place(shop, CAT)) == (1, 2)

    moved = call(shop, "POST", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist/move", body={
        "email": CAT, "place": 1})
    assert moved.status_code == 200 and moved.json["place"] == 1
    assert waiting(shop) == [CAT, BEN] and (place(shop, CAT), place(shop, BEN)) == (1, 2)
    mine = call(shop, "GET", f"{MINE}/waitlist", BEN).json["items"]
    assert [(w["entry_id"], w["place"]) for w in mine] == [(shop["entry"]["entry_id"], 2)]

    ann_booking = my_bookings(shop, ANN)[0]["booking_id"]
    assert call(shop, "POST", f"{MINE}/bookings/{ann_booking}/cancel", ANN).status_code == 200
    drain(shop["queue"])

    assert [b["status"] for b in my_bookings(shop, CAT)] == ["confirmed"] and booked(shop) == 1
    assert waiting(shop) == [BEN] and place(shop, BEN) == 1
    promoted = mails_to(CAT, "you are booked on Yoga")
    assert len(promoted) == 1 and "Tue 2 Dec, 18:00" in promoted[0]["text"]

    # The signal is redelivered (or another place-freeing write races it): nothing more happens.
    sqs = boto3.client("sqs", region_name="eu-west-1")
    from chalicelib.adapters.event_queue import EventQueue

    EventQueue(shop["queue"], "eu-west-1").send("waitlist_promotion", {"business_id": BIZ,
                                                                       "entry_id": shop["entry"]["entry_id"]})
    assert sqs.get_queue_attributes(QueueUrl=shop["queue"], AttributeNames=["ApproximateNumberOfMessages"])
    drain(shop["queue"])
    assert len(my_bookings(shop, CAT)) == 1 and my_bookings(shop, BEN) == [] and booked(shop) == 1
    assert len(mails_to(CAT, "you are booked on Yoga")) == 1

    left = call(shop, "POST", f"{MINE}/waitlist/{shop['entry']['entry_id']}/leave", BEN)
    assert left.status_code == 200 and waiting(shop) == []
    assert call(shop, "POST", f"{MINE}/waitlist/{shop['entry']['entry_id']}/leave", BEN).status_code == 404


def test_a_capacity_raise_promotes_and_staff_remove_a_waiter(shop):
    assert book(shop, ANN).status_code == 201
    assert join(shop, BEN).status_code == 201 and join(shop, CAT).status_code == 201
    removed = call(shop, "POST", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist/remove", body={"email": BEN})
    assert removed.status_code == 200 and waiting(shop) == [CAT]

    raised = call(shop, "PATCH", f"/v1/manage/entries/{shop['entry']['entry_id']}", body={"capacity": 3})
    assert raised.status_code == 200, raised.body
    drain(shop["queue"])
    assert [b["status"] for b in my_bookings(shop, CAT)] == ["confirmed"] and my_bookings(shop, BEN) == []
    assert booked(shop) == 2 and waiting(shop) == []


def test_a_card_waiter_gets_a_held_place_and_a_checkout_link_until_the_hold_ends(shop):
    provider = local_stripe()
    seen = len(provider.events)
    assert book(shop, ANN).status_code == 201
    assert join(shop, BEN, ticket=1, pay_with="card").status_code == 201
    ann_booking = my_bookings(shop, ANN)[0]["booking_id"]
    assert call(shop, "POST", f"/v1/manage/bookings/{ann_booking}/cancel").status_code == 200
    drain(shop["queue"])

    [held] = my_bookings(shop, BEN)
    assert (held["status"], held["paid_with"]) == ("held", "card") and booked(shop) == 1
    [offer] = mails_to(BEN, "pay by")
    until = in_words(datetime.fromisoformat(held["expires_at"]), ZoneInfo("Europe/Berlin"))
    assert until in offer["subject"] and until in offer["text"]
    session_id = next(s for s in provider.objects if s.startswith("cs_") and s in offer["text"])

    provider.pay_checkout(session_id)
    deliver_new_events(shop["api"], provider, shop["queue"], seen)
    assert [b["status"] for b in my_bookings(shop, BEN)] == ["confirmed"] and booked(shop) == 1


def test_bad_waitlist_requests_name_the_rule_or_field(shop):
    assert book(shop, ANN).status_code == 201
    offer = join(shop, BEN, pay_with="offer")
    assert offer.status_code == 409 and offer.json["error"]["reason"] == "offer_not_for_ticket"
    wrong = join(shop, BEN, pay_with="cash")
    assert wrong.status_code == 400 and "pay_with" in wrong.body.decode()
    assert join(shop, BEN).status_code == 201
    zero = call(shop, "POST", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist/move", body={
        "email": BEN, "place": 0})
    assert zero.status_code == 400 and "place" in zero.body.decode()
    nobody = call(shop, "POST", f"/v1/manage/entries/{shop['entry']['entry_id']}/waitlist/remove", body={
        "email": "nobody@example.com"})
    assert nobody.status_code == 404
