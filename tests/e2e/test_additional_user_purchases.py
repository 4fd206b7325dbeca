"""C1: an additional user's own pass purchase goes on the primary's account; deleting the additional
user (C6) moves a pass bought under their own email, with its purchase record (moto)."""
from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.account_history import AccountHistoryRepository
from chalicelib.adapters.dynamodb.passes import PassPurchaseModel
from chalicelib.bootstrap import container
from chalicelib.config import settings
from tests.conftest import booker_token
from tests.e2e.test_passes import RecordingPayments, frozen, paid, staff_a, studio, use_payments  # noqa: F401
from tests.fakes.memberships import FakeQueue

PAT, HAL = "pat@example.com", "hal@example.com"
MINE = "/v1/businesses/biz-a/me"


def buy_pass(api, email: str, product_id: str, payments: RecordingPayments) -> str:
    resp = api.call("POST", f"{MINE}/passes/checkout", booker_token(email), {"product_id": product_id})
    assert resp.status_code == 201, resp.body
    container().checkout_handlers["pass"](paid(payments.requests[-1], resp.json["session_id"]))
    return resp.json["session_id"]


def test_an_additional_users_pass_is_bought_for_the_account(api, studio):  # noqa: F811
    payments = RecordingPayments()
    use_payments(payments)
    product_id = studio["product"]["product_id"]
    api.call("POST", "/v1/manage/customers", staff_a(), {"email": PAT})
    invited = api.call("POST", f"{MINE}/additional-users", booker_token(PAT), {"email": HAL})
    assert invited.status_code == 201, invited.body
    buy_pass(api, HAL, product_id, payments)
    assert payments.requests[-1].customer_email == PAT  # the primary's Stripe customer
    assert len(api.call("GET", f"/v1/manage/customers/{PAT}/passes", staff_a()).json["items"]) == 1
    assert api.call("GET", f"/v1/manage/customers/{HAL}/passes", staff_a()).json["items"] == []
    assert len(api.call("GET", f"{MINE}/passes", booker_token(HAL)).json["items"]) == 1  # seen on the account


def test_deleting_an_additional_user_moves_their_own_passes_with_the_purchase(api, studio):  # noqa: F811
    """A checkout HAL opened before being invited pays later, under HAL's own email; staff also issued
    one by hand. Deleting HAL moves both to PAT, bookings first, in the queue's bounded transactions."""
    payments, queue = RecordingPayments(), FakeQueue()
    bootstrap.install(bootstrap.build(settings(), payments=payments, event_queue=queue))
    product_id = studio["product"]["product_id"]
    api.call("POST", "/v1/manage/customers", staff_a(), {"email": PAT})
    opened = api.call("POST", f"{MINE}/passes/checkout", booker_token(HAL), {"product_id": product_id})
    assert opened.status_code == 201, opened.body
    assert api.call("POST", f"{MINE}/additional-users", booker_token(PAT), {"email": HAL}).status_code == 201
    container().checkout_handlers["pass"](paid(payments.requests[-1], opened.json["session_id"]))
    api.call("POST", f"/v1/manage/customers/{HAL}/passes", staff_a(), {"product_id": product_id})
    assert len(api.call("GET", f"/v1/manage/customers/{HAL}/passes", staff_a()).json["items"]) == 2

    deleted = api.call("DELETE", f"/v1/manage/customers/{HAL}", staff_a())
    assert (deleted.status_code, deleted.json["state"]) == (202, "moving_history")
    handlers = container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
        handlers[kind](body)  # redelivered: finds nothing left to move
    assert api.call("GET", f"/v1/manage/customers/{HAL}", staff_a()).status_code == 404
    kept = api.call("GET", f"/v1/manage/customers/{PAT}/passes", staff_a()).json["items"]
    assert sorted(p["issued_by"] for p in kept) == ["purchase", "staff"]
    assert PassPurchaseModel.get(opened.json["session_id"]).email == PAT


def test_the_pass_move_is_bounded_and_repeatable(api, studio):  # noqa: F811
    payments = RecordingPayments()
    use_payments(payments)
    product_id = studio["product"]["product_id"]
    sessions = [buy_pass(api, HAL, product_id, payments) for _ in range(3)]
    history = AccountHistoryRepository()
    assert [history.move_passes("biz-a", HAL, PAT, limit=2) for _ in range(3)] == [2, 1, 0]
    assert {PassPurchaseModel.get(s).email for s in sessions} == {PAT}
    kept = api.call("GET", f"/v1/manage/customers/{PAT}/passes", staff_a()).json["items"]
    assert [(p["price_minor"], p["issued_by"]) for p in kept] == [(12000, "purchase")] * 3
