"""A new business end to end (T1-T6): a person signs up (free plan), an operator upgrades the plan, the
owner connects the studio's own Stripe account through the OAuth round trip, creates a membership on
it, and a booker buys it through the local payment provider: the member joins, on that account only."""
from __future__ import annotations

import urllib.parse

from chalicelib.bootstrap import container
from tests.conftest import booker_token, mint, operator_token
from tests.e2e.test_stripe_connect import oauth_approve
from tests.stripe_support import deliver_new_events, local_stripe, setup_queue_and_mail

FOUNDER = "sub-founder"
BIZ = "river-yoga"
BOOKER = "jane@example.com"


def test_sign_up_upgrade_connect_and_sell_a_membership(api):
    queue_url, provider = setup_queue_and_mail(), local_stripe()
    owner = mint(sub=FOUNDER, email="founder@example.com", email_verified=True)
    signed_up = api.call("POST", "/v1/businesses", owner, {
        "business_id": BIZ, "name": "River Yoga", "timezone": "Europe/Berlin", "currency": "EUR"})
    assert signed_up.status_code == 201 and signed_up.json["plan"] == "free", signed_up.body
    membership = {"title": "Unlimited", "published": True,
                  "price_options": [{"title": "Monthly", "amount_minor": 4900, "currency": "EUR", "interval": "month"}]}
    gated = api.call("POST", "/v1/manage/memberships", owner, membership)
    assert (gated.status_code, gated.json["error"]["required_plan"]) == (402, "standard")

    upgraded = api.call("PATCH", f"/v1/operator/businesses/{BIZ}", operator_token(), {"plan": "standard"})
    assert upgraded.status_code == 200, upgraded.body
    not_yet = api.call("POST", "/v1/manage/memberships", owner, membership)
    assert (not_yet.status_code, not_yet.json["error"]["code"]) == (409, "stripe_not_connected")

    start = api.call("POST", "/v1/manage/stripe-connection", owner)
    code, state = oauth_approve(provider, start.json["url"])
    connected = api.call("GET", "/v1/stripe/connect/callback?" + urllib.parse.urlencode({"code": code, "state": state}))
    assert connected.status_code == 200 and connected.json["state"] == "connected", connected.body
    account = connected.json["account_id"]

    created = api.call("POST", "/v1/manage/memberships", owner, membership)
    assert created.status_code == 201, created.body
    m = created.json
    seen = len(provider.events)
    checkout = api.call("POST", f"/v1/businesses/{BIZ}/me/membership-checkouts", booker_token(BOOKER),
                        {"membership_id": m["membership_id"], "option_id": m["price_options"][0]["option_id"]})
    assert checkout.status_code == 201, checkout.body
    provider.pay_checkout(checkout.json["session_id"])
    assert {e["account"] for e in provider.events[seen:]} == {account}  # every object of the sale is the studio's
    deliver_new_events(api, provider, queue_url, seen)
    [mine] = api.call("GET", f"/v1/businesses/{BIZ}/me/memberships", booker_token(BOOKER)).json["items"]
    assert mine["status"] == "active" and mine["has_access"] is True
    assert [member.email for member in container().group_members.list(m["group_id"])] == [BOOKER]
