"""C1 kinds and additional users, C6 deletion, through the API on moto (DynamoDB writes included)."""
from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.config import settings
from tests.conftest import booker_token
from tests.e2e.test_catalogue_and_bookings import setup_entry
from tests.fakes.memberships import FakeQueue

BIZ = "biz-a"
PAT, HAL, AMY = "pat@example.com", "hal@example.com", "amy@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


def book(api, email, entry):
    resp = api.call("POST", f"{MINE}/bookings", booker_token(email),
                    {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]})
    assert resp.status_code == 201, resp.body
    return resp.json


def kind(api, staff, email):
    return api.call("GET", f"/v1/manage/customers/{email}", staff).json["kind"]


def test_kinds_additional_users_and_deletion(api):
    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    staff, _, entry = setup_entry(api, capacity=20)
    assert api.call("GET", f"{MINE}/bookings", booker_token(AMY)).status_code == 200
    assert kind(api, staff, AMY) == "app_user"  # signed in only

    book(api, PAT, entry)  # a free registration makes a primary customer
    assert kind(api, staff, PAT) == "primary"

    invited = api.call("POST", f"{MINE}/additional-users", booker_token(PAT), {"email": HAL, "name": "Hal"})
    assert invited.status_code == 201, invited.body
    assert (invited.json["kind"], invited.json["primary_email"]) == ("additional_user", PAT)
    refused = api.call("POST", f"{MINE}/additional-users", booker_token(AMY), {"email": "x@example.com"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "not_a_primary_customer")

    helper_booking = book(api, HAL, entry)  # on the primary's account
    assert {b["booking_id"] for b in api.call("GET", f"{MINE}/bookings", booker_token(PAT)).json["items"]} >= {
        helper_booking["booking_id"]}
    assert kind(api, staff, HAL) == "additional_user"

    no = api.call("DELETE", f"/v1/manage/customers/{PAT}", staff)
    assert (no.status_code, no.json["error"]["code"]) == (409, "primary_customer_not_deletable")
    gone = api.call("DELETE", f"/v1/manage/customers/{AMY}", staff)
    assert (gone.status_code, gone.json["state"]) == (202, "deleted")
    assert api.call("GET", f"/v1/manage/customers/{AMY}", staff).status_code == 404

    moving = api.call("DELETE", f"/v1/manage/customers/{HAL}", staff)
    assert (moving.status_code, moving.json["state"], moving.json["moved_to"]) == (202, "moving_history", PAT)
    assert api.call("GET", f"{MINE}/bookings", booker_token(HAL)).status_code == 403  # refused while moving
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind_, body = queue.sent.pop(0)
        handlers[kind_](body)
    assert api.call("GET", f"/v1/manage/customers/{HAL}", staff).status_code == 404
    assert api.call("GET", f"/v1/manage/customers/{PAT}/bookings", staff).status_code == 200


def test_bookings_made_before_becoming_an_additional_user_move_to_the_primary(api):
    """The adapter's transaction on moto: an app user's own bookings move when deleted as an additional user."""
    from chalicelib.adapters.dynamodb.account_history import AccountHistoryRepository
    from chalicelib.adapters.dynamodb.bookings import BookingModel

    staff, _, entry = setup_entry(api, capacity=20)
    api.call("POST", "/v1/manage/customers", staff, {"email": PAT})
    ids = [book(api, HAL, entry)["booking_id"] for _ in range(3)]
    history = AccountHistoryRepository()
    assert history.move_bookings(BIZ, HAL, PAT, limit=2) == 2
    assert history.move_bookings(BIZ, HAL, PAT, limit=2) == 1
    assert history.move_bookings(BIZ, HAL, PAT, limit=2) == 0
    assert {BookingModel.get(BIZ, i).booker_email for i in ids} == {PAT}
    assert len(api.call("GET", f"/v1/manage/customers/{PAT}/bookings", staff).json["items"]) == 3


def test_a_customers_data_export_holds_their_record_registrations_and_payments(api):
    staff, _, entry = setup_entry(api, capacity=20)
    booking = book(api, PAT, entry)
    data = api.call("GET", f"/v1/manage/customers/{PAT}/data-export", staff)
    assert data.status_code == 200, data.body
    assert data.json["customer"]["email"] == PAT and data.json["customer"]["kind"] == "primary"
    assert [r["booking_id"] for r in data.json["registrations"]] == [booking["booking_id"]]
    assert data.json["payments"] == [] and data.json["messages"] == []
    assert api.call("GET", "/v1/manage/customers/nobody@example.com/data-export", staff).status_code == 404


def test_an_invited_additional_user_is_mailed_once(api):
    from tests.conftest import verify_sender
    from tests.stripe_support import sent_emails

    queue = FakeQueue()
    bootstrap.install(bootstrap.build(settings(), event_queue=queue))
    verify_sender()
    staff, _, entry = setup_entry(api, capacity=20)
    api.call("POST", "/v1/manage/customers", staff, {"email": PAT, "name": "Pat Smith"})
    assert api.call("GET", f"{MINE}/bookings", booker_token(AMY)).status_code == 200  # an app user first
    for email in (HAL, AMY):  # a new person, and an app user converted
        assert api.call("POST", f"{MINE}/additional-users", booker_token(PAT), {"email": email}).status_code == 201
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind_, body = queue.sent.pop(0)
        handlers[kind_](body)
        handlers[kind_](body)  # redelivered: the email ledger sends nothing more
    mails = sent_emails()
    assert sorted(m["to"] for m in mails) == [AMY, HAL]
    assert all(m["subject"] == "Pat Smith gave you access to their account at Studio biz-a" for m in mails)
    assert all("payment method" in m["text"] for m in mails)
