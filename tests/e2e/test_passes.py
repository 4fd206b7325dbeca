"""Passes end to end through chalice.test.Client on moto, with time frozen (P1–P7).

Payments use an in-memory port recording the checkouts it was asked for; the paid checkout then
comes back as the ``CompletedCheckout`` the webhook pipeline hands to ``checkout_handlers["pass"]``.
"""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.customers import CustomerModel
from chalicelib.adapters.dynamodb.passes import PassModel
from chalicelib.bootstrap import container
from chalicelib.config import settings
from chalicelib.ports.payments import CheckoutRequest, CheckoutSession, CompletedCheckout
from tests.conftest import booker_token, make_business, staff_token

T0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
JANE = "jane@example.com"
MINE = "/v1/businesses/biz-a/me"
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json"


class RecordingPayments:
    """The payment port's contract, in memory: what a checkout asked for, and a session url."""

    def __init__(self) -> None:
        self.requests: list[CheckoutRequest] = []
        self.accounts: list[str] = []

    def for_account(self, account_id: str, application_fee_bps: int = 0) -> RecordingPayments:
        self.accounts.append(account_id)  # the business's own Stripe account (T4)
        return self

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        n = len(self.requests)
        return CheckoutSession(session_id=f"cs_test_{n}", url=f"https://pay.example/cs_test_{n}", expires_at=1_900_000_000)


def use_payments(payments: RecordingPayments) -> None:
    """A fresh container with this payment provider: fakes go in through ``build``, never by assignment."""
    bootstrap.install(bootstrap.build(settings(), payments=payments))


def paid(request: CheckoutRequest, session_id: str) -> CompletedCheckout:
    """What the provider reports once the booker has paid that checkout."""
    return CompletedCheckout(
        session_id=session_id,
        business_id=request.business_id,
        customer_email=request.customer_email,
        purpose=request.purpose,
        reference=request.reference,
        metadata=dict(request.metadata),
        amount_total=sum(line.amount_minor * line.quantity for line in request.lines),
        currency=request.lines[0].currency.lower(),
        payment_intent_id="pi_test_1",
    )


def staff_a() -> str:
    """A fresh token per call: tests move the clock past a token's 12 h lifetime."""
    return staff_token("biz-a")


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def studio(api, frozen):
    """Business A with a yoga entry (paid ticket) and a spin entry, and a 10-class yoga pass product."""
    make_business("biz-a")
    page = api.call("POST", "/v1/manage/pages", staff_a(), {"title": "Classes"}).json

    def entry(title: str, day: str) -> dict:
        resp = api.call("POST", "/v1/manage/entries", staff_a(), {
            "page_id": page["page_id"], "title": title, "starts_at": f"{day}T18:00:00", "ends_at": f"{day}T19:00:00",
            "capacity": 20, "tickets": [{"title": "Drop-in", "price_minor": 1500, "currency": "EUR"}]})
        assert resp.status_code == 201, resp.body
        return resp.json

    yoga, spin = entry("Yoga", "2030-01-20"), entry("Spin", "2030-01-21")
    product = api.call("POST", "/v1/manage/pass-products", staff_a(), {
        "title": "10 yoga classes", "price_minor": 12000, "currency": "eur", "uses": 10,
        "eligible": {"ticket_ids": [yoga["tickets"][0]["ticket_id"]]},
        "expiry": {"kind": "days_from_first_use", "days": 30}})
    assert product.status_code == 201, product.body
    return {"yoga": yoga, "spin": spin, "product": product.json}


def book(api, entry: dict, email: str = JANE, participants: list[str] | None = None):
    return api.call("POST", f"{MINE}/bookings", booker_token(email), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "pay_with": "pass",
        "participants": participants or []})


def issue(api, studio, email: str = JANE, product_id: str | None = None) -> dict:
    api.call("POST", "/v1/manage/customers", staff_a(), {"email": email})
    resp = api.call("POST", f"/v1/manage/customers/{email}/passes", staff_a(),
                    {"product_id": product_id or studio["product"]["product_id"]})
    assert resp.status_code == 201, resp.body
    return resp.json


def test_product_crud_and_public_list(api, studio):
    product = studio["product"]
    assert product["expiry"] == {"kind": "days_from_first_use", "date": None, "days": 30}
    public = api.call("GET", "/v1/businesses/biz-a/pass-products")
    assert [p["product_id"] for p in public.json["items"]] == [product["product_id"]]
    hidden = api.call("PATCH", f"/v1/manage/pass-products/{product['product_id']}", staff_a(), {"published": False})
    assert hidden.status_code == 200 and hidden.json["published"] is False
    assert api.call("GET", "/v1/businesses/biz-a/pass-products").json["items"] == []
    fixed = api.call("POST", "/v1/manage/pass-products", staff_a(), {
        "title": "Summer", "price_minor": 5000, "uses": 5, "eligible": {"page_ids": [studio["yoga"]["page_id"]]},
        "expiry": {"kind": "fixed_date", "date": "2030-08-31"}})
    assert fixed.status_code == 201 and fixed.json["expiry"]["date"] == "2030-08-31"
    assert api.call("DELETE", f"/v1/manage/pass-products/{fixed.json['product_id']}", staff_a()).status_code == 204
    listed = api.call("GET", "/v1/manage/pass-products", staff_a()).json["items"]
    assert [p["product_id"] for p in listed] == [product["product_id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uses": 0}, "uses"),
        ({"expiry": {"kind": "fixed_date"}}, "expiry.date"),
        ({"expiry": {"kind": "days_from_purchase", "days": 0}}, "expiry.days"),
        ({"eligible": {}}, "eligible"),
        ({"price_minor": 0}, "price_minor"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_product_is_a_400_naming_the_field(api, studio, change, field):
    body = {"title": "X", "price_minor": 1000, "uses": 5, "eligible": {"ticket_ids": ["t1"]},
            "expiry": {"kind": "days_from_first_use", "days": 30}, **change}
    resp = api.call("POST", "/v1/manage/pass-products", staff_a(), body)
    assert resp.status_code == 400, resp.body
    error = resp.json["error"]
    named = [f["field"] for f in error.get("fields", [])] + [error.get("field")]
    assert any(n and n.removeprefix("body.").startswith(field) for n in named), error


def test_free_plan_gets_402_naming_the_plan(api, frozen):
    make_business("biz-free", plan="free")
    resp = api.call("GET", "/v1/manage/pass-products", staff_token("biz-free"))
    assert resp.status_code == 402 and resp.json["error"]["required_plan"] == "standard"


def test_purchase_issues_the_pass_once_however_often_the_event_arrives(api, studio):
    payments = RecordingPayments()
    use_payments(payments)
    resp = api.call("POST", f"{MINE}/passes/checkout", booker_token(JANE), {"product_id": studio["product"]["product_id"]})
    assert resp.status_code == 201, resp.body
    assert resp.json["checkout_url"] == "https://pay.example/cs_test_1"
    (request,) = payments.requests
    assert (request.mode, request.purpose, request.customer_email) == ("payment", "pass", JANE)
    assert (request.lines[0].amount_minor, request.lines[0].currency) == (12000, "EUR")
    assert api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"] == []  # not paid yet

    completed = paid(request, resp.json["session_id"])
    handler = container().checkout_handlers["pass"]
    handler(completed)
    handler(completed)  # redelivered

    mine = api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"]
    assert len(mine) == 1
    assert mine[0] | {"history": None} == mine[0] | {
        "title": "10 yoga classes", "state": "active", "uses_total": 10, "uses_taken": 0, "uses_left": 10,
        "first_used_at": None, "last_valid_day": None, "expires_at": None, "price_minor": 12000, "currency": "EUR",
        "issued_by": "purchase", "purchased_at": "2030-01-10T09:00:00Z", "history": None}
    # P2: it appears on the customer record, and the buyer is now a primary customer.
    assert len(api.call("GET", f"/v1/manage/customers/{JANE}/passes", staff_a()).json["items"]) == 1
    assert CustomerModel.get("biz-a", JANE).kind == "primary"


def test_checkout_refuses_products_not_on_sale(api, studio):
    use_payments(RecordingPayments())
    pid = studio["product"]["product_id"]
    api.call("PATCH", f"/v1/manage/pass-products/{pid}", staff_a(), {"published": False})
    resp = api.call("POST", f"{MINE}/passes/checkout", booker_token(JANE), {"product_id": pid})
    assert resp.status_code == 404


def test_staff_find_customer_and_list_passes_newest_first_with_uses_expiry_state(api, studio, frozen):
    first = issue(api, studio)
    frozen.move_to(datetime(2030, 1, 12, 9, 0, tzinfo=UTC))
    second = issue(api, studio)
    assert book(api, studio["yoga"]).status_code == 201  # uses the OLDEST: first

    found = api.call("GET", "/v1/manage/customers?q=JANE", staff_a()).json["items"]
    assert [c["email"] for c in found] == [JANE]
    listed = api.call("GET", f"/v1/manage/customers/{JANE}/passes", staff_a()).json["items"]
    assert [p["pass_id"] for p in listed] == [second["pass_id"], first["pass_id"]]
    newest, oldest = listed
    assert (oldest["uses_taken"], oldest["uses_left"], oldest["state"]) == (1, 9, "active")
    assert oldest["first_used_at"] == "2030-01-12T09:00:00Z"
    # 30 days from first use on 12 Jan (Berlin) → works through 11 Feb, ends at local midnight.
    assert (oldest["last_valid_day"], oldest["expires_at"]) == ("2030-02-11", "2030-02-11T23:00:00Z")
    assert (newest["uses_taken"], newest["first_used_at"], newest["last_valid_day"]) == (0, None, None)


def test_booking_uses_oldest_pass_even_if_a_newer_one_expires_sooner(api, studio, frozen):
    ticket = studio["yoga"]["tickets"][0]["ticket_id"]
    soon = api.call("POST", "/v1/manage/pass-products", staff_a(), {
        "title": "Short", "price_minor": 3000, "uses": 3, "eligible": {"ticket_ids": [ticket]},
        "expiry": {"kind": "fixed_date", "date": "2030-01-25"}}).json
    oldest = issue(api, studio)  # 30 days from first use: would expire later
    frozen.move_to(datetime(2030, 1, 11, 9, 0, tzinfo=UTC))
    newer = issue(api, studio, product_id=soon["product_id"])
    resp = book(api, studio["yoga"])
    assert resp.status_code == 201, resp.body
    assert resp.json["paid_with"] == "pass" and resp.json["payment"]["pass_id"] == oldest["pass_id"]
    passes = {p["pass_id"]: p for p in api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"]}
    assert passes[oldest["pass_id"]]["uses_taken"] == 1 and passes[newer["pass_id"]]["uses_taken"] == 0


def test_refusals_name_the_rule_and_leave_nothing_written(api, studio, frozen):
    assert book(api, studio["yoga"]).json["error"]["reason"] == "no_eligible_pass"
    p = issue(api, studio)
    spin = book(api, studio["spin"])  # the pass covers yoga only
    assert spin.status_code == 409 and spin.json["error"]["reason"] == "no_eligible_pass"
    api.call("POST", f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}/uses", staff_a(), {"uses_total": 1})
    two_seats = book(api, studio["yoga"], participants=["Kid"])
    assert two_seats.status_code == 409 and two_seats.json["error"]["reason"] == "pass_used_up"
    api.call("POST", f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}/revoke", staff_a())
    revoked = book(api, studio["yoga"])
    assert revoked.status_code == 409 and revoked.json["error"]["reason"] == "pass_revoked"
    entry = api.call("GET", f"/v1/manage/entries/{studio['yoga']['entry_id']}", staff_a()).json
    assert entry["booked"] == 0
    assert PassModel.get(f"biz-a#{JANE}", p["pass_id"]).uses_taken == 0


def test_expired_pass_is_refused_after_end_of_day_in_business_zone(api, studio, frozen):
    p = issue(api, studio)
    api.call("POST", f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}/expiry", staff_a(), {"date": "2030-01-15"})
    frozen.move_to(datetime(2030, 1, 15, 22, 59, tzinfo=UTC))  # 23:59 in Berlin: still valid today...
    listed = api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"]
    assert listed[0]["state"] == "active"
    frozen.move_to(datetime(2030, 1, 15, 23, 0, tzinfo=UTC))  # ...midnight in Berlin: expired
    assert api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"][0]["state"] == "expired"
    refused = book(api, studio["yoga"])
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "pass_expired"


def test_cancelling_gives_the_use_back_by_business_setting(api, studio, frozen):
    p = issue(api, studio)
    booked = book(api, studio["yoga"], participants=["Kid"]).json
    assert booked["seats"] == 2
    cancel = api.call("POST", f"{MINE}/bookings/{booked['booking_id']}/cancel", booker_token(JANE))
    assert cancel.status_code == 200 and cancel.json["use_returned"] is True
    assert PassModel.get(f"biz-a#{JANE}", p["pass_id"]).uses_taken == 0
    # The first use fixed the timeframe's start; giving the use back does not undo that.
    assert PassModel.get(f"biz-a#{JANE}", p["pass_id"]).first_used_at == T0

    businesses = container().businesses
    businesses.save(replace(businesses.get("biz-a"), return_use_on_cancel=False))  # drops the cached business
    again = book(api, studio["yoga"]).json
    cancel = api.call("POST", f"/v1/manage/bookings/{again['booking_id']}/cancel", staff_a())
    assert cancel.json["use_returned"] is False
    assert PassModel.get(f"biz-a#{JANE}", p["pass_id"]).uses_taken == 1


def test_overrides_through_the_api_with_history(api, studio, frozen):
    product = api.call("POST", "/v1/manage/pass-products", staff_a(), {
        "title": "23 classes", "price_minor": 20000, "uses": 23,
        "eligible": {"ticket_ids": [studio["yoga"]["tickets"][0]["ticket_id"]]},
        "expiry": {"kind": "days_from_first_use", "days": 30}}).json
    p = issue(api, studio, product_id=product["product_id"])
    url = f"/v1/manage/customers/{JANE}/passes/{p['pass_id']}"
    for _ in range(5):
        assert book(api, studio["yoga"]).status_code == 201

    frozen.move_to(datetime(2030, 1, 11, 8, 0, tzinfo=UTC))
    uses = api.call("POST", f"{url}/uses", staff_a(), {"uses_total": 22})
    assert uses.status_code == 200, uses.body
    assert (uses.json["uses_total"], uses.json["uses_taken"], uses.json["uses_left"]) == (22, 5, 17)
    below = api.call("POST", f"{url}/uses", staff_a(), {"uses_total": 4})
    assert below.status_code == 409 and below.json["error"]["code"] == "uses_below_taken"
    assert "5 use(s) already taken" in below.json["error"]["message"] and below.json["error"]["field"] == "uses_total"

    extended = api.call("POST", f"{url}/expiry", staff_a(), {"days": 44})
    assert extended.json["expiry"] == {"kind": "days_from_first_use", "date": None, "days": 44}
    assert extended.json["last_valid_day"] == "2030-02-23"  # first use 10 Jan + 44 days
    fixed = api.call("POST", f"{url}/expiry", staff_a(), {"date": "2030-06-30"})
    assert fixed.json["last_valid_day"] == "2030-06-30"
    both = api.call("POST", f"{url}/expiry", staff_a(), {"date": "2030-06-30", "days": 3})
    assert both.status_code == 400

    revoked = api.call("POST", f"{url}/revoke", staff_a())
    assert revoked.json["state"] == "revoked"
    again = api.call("POST", f"{url}/revoke", staff_a())
    assert again.status_code == 409

    history = api.call("GET", f"/v1/manage/customers/{JANE}/passes", staff_a()).json["items"][0]["history"]
    assert [(h["field"], h["old"], h["new"]) for h in history] == [
        ("uses_total", 23, 22),
        ("expiry", {"kind": "days_from_first_use", "date": None, "days": 30},
         {"kind": "days_from_first_use", "date": None, "days": 44}),
        ("expiry", {"kind": "days_from_first_use", "date": None, "days": 44},
         {"kind": "fixed_date", "date": "2030-06-30", "days": None}),
        ("revoked", False, True),
    ]
    assert {h["who"] for h in history} == {"staff-biz-a"} and history[0]["at"] == "2030-01-11T08:00:00Z"


def test_product_changes_do_not_change_sold_passes(api, studio):
    p = issue(api, studio)
    api.call("PATCH", f"/v1/manage/pass-products/{studio['product']['product_id']}", staff_a(),
             {"uses": 3, "expiry": {"kind": "fixed_date", "date": "2030-02-01"}})
    sold = api.call("GET", f"/v1/manage/customers/{JANE}/passes", staff_a()).json["items"][0]
    assert sold["pass_id"] == p["pass_id"]
    assert (sold["uses_total"], sold["expiry"]["kind"]) == (10, "days_from_first_use")


def stripe_checkout_completed(event_id: str, request: CheckoutRequest, session_id: str) -> dict:
    """A ``checkout.session.completed`` event built from Stripe's own example objects, carrying the
    metadata the Stripe adapter puts on a session (business, purpose, reference, email)."""
    resources = json.loads(FIXTURES.read_text())["resources"]
    session = copy.deepcopy(resources["checkout.session"]) | {
        "id": session_id, "mode": "payment", "status": "complete", "payment_status": "paid",
        "amount_total": request.lines[0].amount_minor, "currency": request.lines[0].currency.lower(),
        "customer_email": request.customer_email, "client_reference_id": request.reference,
        "metadata": {**request.metadata, "business_id": request.business_id, "purpose": request.purpose,
                     "reference": request.reference, "customer_email": request.customer_email},
    }
    event = copy.deepcopy(resources["event"])
    event.update(id=event_id, type="checkout.session.completed", data={"object": session},
                 account=f"acct_{request.business_id}", livemode=False)  # a Connect event of the business's account
    return event


@pytest.mark.skipif(not FIXTURES.exists(), reason="shared Stripe fixtures not beside the repo")
def test_purchase_through_the_stripe_event_consumer_issues_once(api, studio):
    payments = RecordingPayments()
    use_payments(payments)
    session = api.call("POST", f"{MINE}/passes/checkout", booker_token(JANE), {"product_id": studio["product"]["product_id"]}).json
    (request,) = payments.requests
    consumer = container().stripe_events
    assert consumer is not None
    # Delivered twice with the same id, and once more under another event id for the same session.
    consumer.handle(stripe_checkout_completed("evt_pass_1", request, session["session_id"]))
    consumer.handle(stripe_checkout_completed("evt_pass_1", request, session["session_id"]))
    consumer.handle(stripe_checkout_completed("evt_pass_2", request, session["session_id"]))
    mine = api.call("GET", f"{MINE}/passes", booker_token(JANE)).json["items"]
    assert [(p["title"], p["issued_by"], p["price_minor"]) for p in mine] == [("10 yoga classes", "purchase", 12000)]
