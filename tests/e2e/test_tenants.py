"""Real tenants through the API (T1-T3): sign-up, invitations and staff records, the X-Business-Id
header, operator-only plan changes with 402 after a downgrade, and the token holes."""
from __future__ import annotations

import boto3

from tests.conftest import booker_token, mint, operator_token
from tests.stripe_support import sent_emails

OWNER, FRIEND, STRANGER = "sub-owner", "sub-friend", "sub-stranger"
FRIEND_EMAIL = "friend@example.com"


def person(sub: str, email: str | None = None, verified: bool = True) -> str:
    return mint(sub=sub, **({"email": email, "email_verified": verified} if email else {}))


def sign_up(api, business_id: str = "yoga-loft", sub: str = OWNER, **changes):
    body = {"business_id": business_id, "name": "Yoga Loft", "timezone": "Europe/Berlin", "currency": "eur", **changes}
    return api.call("POST", "/v1/businesses", person(sub), body)


def invite_and_accept(api, email: str = FRIEND_EMAIL, sub: str = FRIEND, business_id: str = "yoga-loft"):
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")
    invited = api.call("POST", "/v1/manage/staff/invitations", person(OWNER), {"email": email},
                       headers={"X-Business-Id": business_id})
    assert invited.status_code == 201, invited.body
    return api.call("POST", f"/v1/me/invitations/{business_id}/accept", person(sub, email))


def test_sign_up_makes_the_person_owner_of_a_free_business(api):
    created = sign_up(api)
    assert created.status_code == 201, created.body
    assert created.json == {"business_id": "yoga-loft", "name": "Yoga Loft", "plan": "free",
                            "timezone": "Europe/Berlin", "currency": "EUR"}
    mine = api.call("GET", "/v1/me/businesses", person(OWNER)).json["items"]
    assert [(m["business_id"], m["role"]) for m in mine] == [("yoga-loft", "owner")]
    assert api.call("GET", "/v1/manage/business", person(OWNER)).json["name"] == "Yoga Loft"
    # Customer groups are not in the free plan.
    refused = api.call("GET", "/v1/manage/groups", person(OWNER))
    assert refused.status_code == 402 and refused.json["error"]["required_plan"] == "standard"


def test_a_taken_id_is_409_and_bad_fields_are_400(api):
    assert sign_up(api).status_code == 201
    taken = sign_up(api, sub=STRANGER)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "business_id_taken", taken.body
    assert api.call("GET", "/v1/me/businesses", person(STRANGER)).json["items"] == []  # the loser became nobody's owner
    for field, value in (("timezone", "Mars/Olympus"), ("business_id", "Bad Id!"), ("currency", "EURO")):
        bad = sign_up(api, **{"business_id": "other-id", field: value})
        assert bad.status_code == 400 and field in bad.body.decode(), (field, bad.body)


def test_invited_staff_accept_with_the_invited_email_only(api):
    sign_up(api)
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")
    invited = api.call("POST", "/v1/manage/staff/invitations", person(OWNER), {"email": FRIEND_EMAIL})
    assert invited.status_code == 201 and invited.json["role"] == "staff", invited.body
    [mail] = [m for m in sent_emails() if m["to"] == FRIEND_EMAIL]
    assert "Yoga Loft" in mail["subject"] and "/v1/me/invitations/yoga-loft/accept" in mail["text"]
    pending = api.call("GET", "/v1/manage/staff/invitations", person(OWNER)).json["items"]
    assert [i["email"] for i in pending] == [FRIEND_EMAIL]

    # Another email, an unverified one, or a display-name trick: nothing.
    assert api.call("POST", "/v1/me/invitations/yoga-loft/accept", person(STRANGER, "mallory@example.com")).status_code == 404
    unverified = api.call("POST", "/v1/me/invitations/yoga-loft/accept", person(STRANGER, FRIEND_EMAIL, verified=False))
    assert unverified.status_code == 403 and unverified.json["error"]["code"] == "email_not_verified"
    tricked = api.call("POST", "/v1/me/invitations/yoga-loft/accept", person(STRANGER, f"Mallory <{FRIEND_EMAIL}>"))
    assert tricked.status_code == 401
    assert api.call("GET", "/v1/manage/business", person(FRIEND)).status_code == 403  # not staff before accepting

    accepted = api.call("POST", "/v1/me/invitations/yoga-loft/accept", person(FRIEND, FRIEND_EMAIL))
    assert accepted.status_code == 200 and accepted.json["role"] == "staff", accepted.body
    assert api.call("GET", "/v1/manage/business", person(FRIEND)).json["business_id"] == "yoga-loft"
    again = api.call("POST", "/v1/me/invitations/yoga-loft/accept", person(STRANGER, FRIEND_EMAIL))
    assert again.status_code == 404  # an invitation is used once
    assert api.call("GET", "/v1/manage/staff/invitations", person(OWNER)).json["items"] == []


def test_owner_lists_a_page_at_a_time_and_removes_staff_who_are_refused_at_once(api):
    sign_up(api)
    assert invite_and_accept(api).status_code == 200
    assert invite_and_accept(api, "second@example.com", "sub-second").status_code == 200
    first = api.call("GET", "/v1/manage/staff?limit=2", person(OWNER)).json
    assert [m["subject"] for m in first["items"]] == ["sub-friend", "sub-owner"] and first["next"]
    rest = api.call("GET", f"/v1/manage/staff?limit=2&cursor={first['next']}", person(OWNER)).json
    assert [m["subject"] for m in rest["items"]] == ["sub-second"] and rest["next"] is None

    assert api.call("GET", "/v1/manage/pages", person(FRIEND)).status_code == 200
    assert api.call("DELETE", f"/v1/manage/staff/{FRIEND}", person(OWNER)).status_code == 204
    refused = api.call("GET", "/v1/manage/pages", person(FRIEND))  # the very next request
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_staff"
    assert api.call("DELETE", f"/v1/manage/staff/{FRIEND}", person(OWNER)).status_code == 404
    assert api.call("DELETE", f"/v1/manage/staff/{OWNER}", person(OWNER)).status_code == 409


def test_only_owners_manage_staff(api):
    sign_up(api)
    invite_and_accept(api)
    for method, path, body in (("POST", "/v1/manage/staff/invitations", {"email": "x@example.com"}),
                               ("GET", "/v1/manage/staff", None), ("GET", "/v1/manage/staff/invitations", None),
                               ("DELETE", f"/v1/manage/staff/{OWNER}", None)):
        resp = api.call(method, path, person(FRIEND), body)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "owner_required", (path, resp.body)
    assert api.call("GET", "/v1/manage/staff", person(OWNER)).status_code == 200


def test_staff_of_several_businesses_name_one_with_the_header(api):
    sign_up(api)
    sign_up(api, business_id="climb-hall", sub=FRIEND, name="Climb Hall")
    assert invite_and_accept(api).status_code == 200  # FRIEND: owner of climb-hall, staff of yoga-loft
    ambiguous = api.call("GET", "/v1/manage/business", person(FRIEND))
    assert ambiguous.status_code == 400 and ambiguous.json["error"]["field"] == "X-Business-Id", ambiguous.body
    for business_id in ("yoga-loft", "climb-hall"):
        named = api.call("GET", "/v1/manage/business", person(FRIEND), headers={"X-Business-Id": business_id})
        assert named.json["business_id"] == business_id
    assert api.call("GET", "/v1/manage/staff", person(FRIEND), headers={"X-Business-Id": "yoga-loft"}).status_code == 403
    foreign = api.call("GET", "/v1/manage/business", person(OWNER), headers={"X-Business-Id": "climb-hall"})
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "not_staff"
    # The same person books elsewhere as a booker with their verified email.
    booked = api.call("GET", "/v1/businesses/yoga-loft/me/bookings", person(FRIEND, FRIEND_EMAIL))
    assert booked.status_code == 200


def test_only_an_operator_changes_the_plan_and_a_downgrade_keeps_data(api):
    sign_up(api)
    for token in (person(OWNER), mint(sub=OWNER, role="operator"), booker_token("a@example.com")):
        assert api.call("PATCH", "/v1/operator/businesses/yoga-loft", token, {"plan": "premium"}).status_code == 403
    assert api.call("PATCH", "/v1/manage/business", person(OWNER), {"plan": "premium"}).status_code == 400
    up = api.call("PATCH", "/v1/operator/businesses/yoga-loft", operator_token(), {"plan": "standard"})
    assert up.status_code == 200 and up.json["plan"] == "standard", up.body
    group = api.call("POST", "/v1/manage/groups", person(OWNER), {"name": "Members"})
    assert group.status_code == 201, group.body

    down = api.call("PATCH", "/v1/operator/businesses/yoga-loft", operator_token(), {"plan": "free"})
    assert down.status_code == 200 and down.json["plan"] == "free"
    refused = api.call("GET", "/v1/manage/groups", person(OWNER))
    assert refused.status_code == 402 and refused.json["error"]["current_plan"] == "free"
    assert "standard" in refused.json["error"]["message"]
    api.call("PATCH", "/v1/operator/businesses/yoga-loft", operator_token(), {"plan": "standard"})
    kept = api.call("GET", "/v1/manage/groups", person(OWNER)).json["items"]
    assert [g["group_id"] for g in kept] == [group.json["group_id"]]  # the downgrade kept the group
    assert api.call("PATCH", "/v1/operator/businesses/nope", operator_token(), {"plan": "free"}).status_code == 404
    bad = api.call("PATCH", "/v1/operator/businesses/yoga-loft", operator_token(), {"plan": "gold"})
    assert bad.status_code == 400 and "plan" in bad.body.decode()


def test_token_holes_are_closed(api):
    sign_up(api)
    # A booker who edits role/business claims is still nobody's staff.
    edited = mint(sub="mallory", email="m@example.com", email_verified=True, role="staff", business_id="yoga-loft",
                  **{"custom:role": "staff", "custom:business_id": "yoga-loft"})
    assert api.call("GET", "/v1/manage/business", edited).status_code == 403
    # A display-name email is refused outright; an unverified email books nothing.
    tricked = mint(sub="mallory", email="Mallory <victim@example.com>", email_verified=True)
    assert api.call("GET", "/v1/businesses/yoga-loft/me/bookings", tricked).status_code == 401
    unverified = person("mallory", "victim@example.com", verified=False)
    assert api.call("GET", "/v1/businesses/yoga-loft/me/bookings", unverified).status_code == 403
