"""Stripe Connect (T4–T6) end to end: each business's own account on the local provider, Connect
events routed by account only, deauthorisation, and the OAuth state that cannot be forged."""
from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
import stripe

from chalicelib.adapters.dynamodb.memberships import MemberRepository, MembershipRepository
from chalicelib.adapters.dynamodb.tenancy import BusinessRepository
from chalicelib.bootstrap import container
from tests.conftest import booker_token, grant_staff, make_business, staff_token
from tests.stripe_support import (
    deliver_new_events,
    event,
    local_stripe,
    post_webhook,
    resource,
    sent_emails,
    setup_queue_and_mail,
    signed,
)

CONNECTION = "/v1/manage/stripe-connection"
PASS = {"title": "5 classes", "price_minor": 5000, "currency": "eur", "uses": 5, "eligible": {"ticket_ids": ["t1"]},
        "expiry": {"kind": "days_from_first_use", "days": 30}}
MEMBERSHIP = {"title": "Gold", "description": "", "published": True,
              "price_options": [{"title": "Monthly", "amount_minor": 3000, "currency": "eur", "interval": "month"}]}


@pytest.fixture
def two(api):
    make_business("biz-a")
    make_business("biz-b")
    return {"api": api, "provider": local_stripe(), "queue": setup_queue_and_mail()}


def test_a_product_made_for_a_lives_in_as_account_and_is_not_found_in_bs(two):
    provider, connect = two["provider"], container().stripe_connect
    port_a, port_b = connect.for_business("biz-a"), connect.for_business("biz-b")
    product_id = port_a.create_product("biz-a", "m1", "Gold", "")
    assert provider.objects[product_id]["_account"] == "acct_biz-a"
    with pytest.raises(stripe.InvalidRequestError, match="No such product"):
        port_b.update_product(product_id, "Stolen", "", True)
    # The same request on B's account (same key material) makes B's own product: keys include the account.
    assert port_b.create_product("biz-a", "m1", "Gold", "") != product_id
    assert port_a.create_product("biz-a", "m1", "Gold", "") == product_id  # A's retry replays A's answer
    assert port_a.dashboard_url("products", product_id).endswith(f"/dashboard/acct_biz-a/products/{product_id}")


def test_an_event_of_as_account_never_touches_b_even_with_bs_ids_in_its_metadata(two):
    api, provider = two["api"], two["provider"]
    created = api.call("POST", "/v1/manage/memberships", staff_token("biz-b"), MEMBERSHIP)
    assert created.status_code == 201, created.body
    b_membership = MembershipRepository().get("biz-b", created.json["membership_id"])
    provider.account = "acct_biz-a"  # A's own Stripe account, with B's ids written into the metadata
    customer = provider.make("customer", "cus", email="mallory@example.com")
    price = provider.create_price({"product": provider.create_product({"name": "x"})["id"], "currency": "eur",
                                   "unit_amount": "100", "recurring": {"interval": "month"}})
    sub = provider._new_subscription(customer, price, {"business_id": "biz-b", "membership_id": b_membership.membership_id,
                                                       "customer_email": "mallory@example.com"})
    seen: list[str] = []
    container().stripe_events.checkout_handlers["membership"] = lambda done: seen.append(done.reference)
    session = resource("checkout.session", id="cs_x", payment_status="paid", metadata={
        "business_id": "biz-b", "purpose": "membership", "reference": "co_b", "customer_email": "mallory@example.com"})
    product = resource("product") | {"id": b_membership.provider_product_id, "name": "Renamed by A", "description": ""}
    since = len(provider.events)
    for evt in (event("customer.subscription.created", sub, "evt_x1"), event("checkout.session.completed", session, "evt_x2"),
                event("product.updated", product, "evt_x3")):
        assert post_webhook(api, *signed(evt)).status_code == 200
    deliver_new_events(api, provider, two["queue"], since)

    assert MemberRepository().find("biz-b", sub["id"]) is None and MemberRepository().find("biz-a", sub["id"]) is None
    assert seen == []
    assert MembershipRepository().get("biz-b", b_membership.membership_id) == b_membership
    assert all(container().processed_events.seen(f"acct_biz-a:evt_x{i}") for i in (1, 2, 3))  # acknowledged


def test_other_mode_and_unknown_accounts_are_acknowledged_and_ignored(two):
    consumer = container().stripe_events
    calls: list[str] = []
    consumer.dispatch["invoice.paid"] = lambda e, b: calls.append(f"{b.business_id}:{e.id}")
    live = event("invoice.paid", resource("invoice"), "evt_live") | {"livemode": True}
    consumer.handle(live)
    consumer.handle(event("invoice.paid", resource("invoice"), "evt_stranger", account="acct_nobody"))
    consumer.handle({k: v for k, v in event("invoice.paid", resource("invoice"), "evt_platform").items() if k != "account"})
    assert calls == []
    assert not consumer.processed.seen("acct_biz-a:evt_live") and not consumer.processed.seen("acct_nobody:evt_stranger")


def test_dedupe_is_per_account_and_event_id(two):
    consumer = container().stripe_events
    calls: list[str] = []
    consumer.dispatch["invoice.paid"] = lambda e, b: calls.append(f"{b.business_id}:{e.id}")
    for account in ("acct_biz-a", "acct_biz-b", "acct_biz-a", "acct_biz-b"):
        consumer.handle(event("invoice.paid", resource("invoice"), "evt_same", account=account))
    assert calls == ["biz-a:evt_same", "biz-b:evt_same"]


def test_deauthorisation_disconnects_mails_refuses_paid_features_and_keeps_everything(two):
    api, provider = two["api"], two["provider"]
    product = api.call("POST", "/v1/manage/pass-products", staff_token("biz-a"), PASS)
    assert product.status_code == 201, product.body
    membership = api.call("POST", "/v1/manage/memberships", staff_token("biz-a"), MEMBERSHIP)
    assert membership.status_code == 201, membership.body
    provider.connect.create("owner@biz-a.example", account_id="acct_biz-a")
    grant_staff("biz-a", "studio-owner", role="owner", email="studio-owner@example.com")  # told too (T2 records)
    grant_staff("biz-a", "plain-staff", role="staff", email="staff@example.com")  # not an owner: not told
    since = len(provider.events)
    provider.connect.deauthorize("acct_biz-a")  # the studio removed the platform in its Stripe dashboard
    assert provider.events[-1]["account"] == "acct_biz-a"
    deliver_new_events(api, provider, two["queue"], since)

    state = api.call("GET", CONNECTION, staff_token("biz-a")).json
    assert (state["state"], state["account_id"], state["charges_enabled"]) == ("disconnected", "acct_biz-a", False)
    mails = [m for m in sent_emails() if "disconnected" in m["subject"]]
    assert sorted(m["to"] for m in mails) == ["owner@biz-a.example", "studio-owner@example.com"]
    assert all("acct_biz-a" in m["text"] for m in mails)

    refused = [
        api.call("POST", "/v1/businesses/biz-a/me/passes/checkout", booker_token("jane@example.com"),
                 {"product_id": product.json["product_id"]}),
        api.call("POST", "/v1/manage/memberships", staff_token("biz-a"), MEMBERSHIP),
        api.call("POST", "/v1/businesses/biz-a/me/membership-checkouts", booker_token("jane@example.com"),
                 {"membership_id": membership.json["membership_id"], "option_id": membership.json["price_options"][0]["option_id"]}),
    ]
    for resp in refused:
        assert resp.status_code == 409, resp.body
        assert resp.json["error"]["code"] == "stripe_not_connected"
        assert "Connect a Stripe account" in resp.json["error"]["message"]
    # Nothing was deleted: the pass product and the membership are still there, links just go quiet.
    assert api.call("GET", f"/v1/manage/pass-products/{product.json['product_id']}", staff_token("biz-a")).status_code == 200
    kept = api.call("GET", f"/v1/manage/memberships/{membership.json['membership_id']}", staff_token("biz-a"))
    assert kept.status_code == 200 and kept.json["stripe_product_id"] and kept.json["stripe_dashboard_url"] is None
    # B is untouched.
    assert api.call("GET", CONNECTION, staff_token("biz-b")).json["state"] == "connected"


def test_a_business_never_connected_gets_the_missing_step(api):
    make_business("biz-n", stripe_account=None)
    assert api.call("GET", CONNECTION, staff_token("biz-n")).json == {
        "state": "not_connected", "account_id": None, "livemode": False, "charges_enabled": False, "dashboard_url": None}
    resp = api.call("POST", "/v1/manage/memberships", staff_token("biz-n"), MEMBERSHIP)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "stripe_not_connected"
    assert "Connect a Stripe account" in resp.json["error"]["message"]


def oauth_approve(provider, url: str) -> tuple[str, str]:
    """Press the provider's Connect button for this authorize URL; returns (code, state) from the redirect."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert urllib.request.urlopen(url).status == 200  # the connect page is served
    kind, location = provider.connect.approve({**query, "email": "owner@new.example"})
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert kind == "redirect" and location.startswith(query["redirect_uri"])
    return back["code"], back["state"]


def test_connecting_through_oauth_and_a_state_that_cannot_be_forged_or_moved(api):
    make_business("biz-n", stripe_account=None)
    make_business("biz-o", stripe_account=None)
    provider = local_stripe()
    start = api.call("POST", CONNECTION, staff_token("biz-n"))
    assert start.status_code == 200 and "/oauth/authorize?" in start.json["url"]
    code, state = oauth_approve(provider, start.json["url"])

    body, _, mac = state.partition(".")
    moved = container().stripe_connect.sign_state("biz-o", "x").partition(".")[0] + "." + mac  # B's claims, A's signature
    for forged in (moved, body + ".0" * 32, "nonsense", state[:-1] + ("0" if state[-1] != "0" else "1")):
        resp = api.call("GET", "/v1/stripe/connect/callback?" + urllib.parse.urlencode({"code": code, "state": forged}))
        assert resp.status_code == 400 and resp.json["error"]["code"] == "bad_state", resp.body
    assert BusinessRepository().get("biz-o").stripe_account_id is None

    done = api.call("GET", "/v1/stripe/connect/callback?" + urllib.parse.urlencode({"code": code, "state": state, "scope": "read_write"}))
    assert done.status_code == 200, done.body
    assert done.json["state"] == "connected" and done.json["account_id"].startswith("acct_") and done.json["charges_enabled"]
    assert api.call("GET", CONNECTION, staff_token("biz-n")).json == done.json
    # The same account cannot be connected to a second business.
    code2, state2 = oauth_approve(provider, api.call("POST", CONNECTION, staff_token("biz-o")).json["url"])
    provider.connect.codes[code2] = done.json["account_id"]
    taken = api.call("GET", "/v1/stripe/connect/callback?" + urllib.parse.urlencode({"code": code2, "state": state2}))
    assert taken.status_code == 409 and taken.json["error"]["code"] == "account_in_use"


def test_an_expired_state_is_refused(api, monkeypatch):
    make_business("biz-n", stripe_account=None)
    connect = container().stripe_connect
    state = connect.sign_state("biz-n", "x")
    monkeypatch.setattr(connect, "clock", lambda: 10**12)
    resp = api.call("GET", "/v1/stripe/connect/callback?" + urllib.parse.urlencode({"code": "ac_1", "state": state}))
    assert resp.status_code == 400 and "expired" in resp.json["error"]["message"]


@pytest.mark.parametrize(("plan", "fee"), [("standard", {"amount": "50", "percent": None}),
                                           ("premium", {"amount": None, "percent": None})])
def test_checkouts_are_made_on_the_business_account_with_its_plans_application_fee(api, plan, fee):
    make_business("biz-a", plan=plan)
    provider = local_stripe()
    product = api.call("POST", "/v1/manage/pass-products", staff_token("biz-a"), PASS)
    assert product.status_code == 201, product.body
    resp = api.call("POST", "/v1/businesses/biz-a/me/passes/checkout", booker_token("jane@example.com"),
                    {"product_id": product.json["product_id"]})
    assert resp.status_code in (200, 201), resp.body
    session = provider.objects[resp.json["session_id"]]
    assert session["_account"] == "acct_biz-a" and session["_application_fee"] == fee  # 100 bps of 50.00 on standard


def test_only_an_owner_may_start_connecting(api):
    from tests.conftest import grant_staff, mint

    make_business("biz-owners", stripe_account=None)
    local_stripe()
    grant_staff("biz-owners", "plain-staff", role="staff")
    refused = api.call("POST", CONNECTION, mint(sub="plain-staff"))
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "owner_required")
    assert api.call("POST", CONNECTION, staff_token("biz-owners")).status_code == 200
