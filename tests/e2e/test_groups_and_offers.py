"""Customer groups, offers and exclusive bookings end to end (chalice.test.Client on moto)."""
from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from chalicelib.bootstrap import container
from tests.conftest import booker_token, make_business, staff_token

BIZ = "biz-a"
MINE = f"/v1/businesses/{BIZ}/me"


def setup_group(api, *, usage=None, attendees=None, plan="standard", capacity=10):
    """A page with an entry whose exclusive ticket belongs to a new group with one offer."""
    make_business(BIZ, plan=plan)
    staff = staff_token(BIZ)
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "Members"}).json
    group = api.call("POST", "/v1/manage/groups", staff, {"name": "Gold", "description": "Gold members"})
    assert group.status_code == 201, group.body
    gid = group.json["group_id"]
    entry = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "Members class", "starts_at": "2030-06-10T09:00:00",
        "ends_at": "2030-06-10T10:00:00", "capacity": capacity,
        "tickets": [{"title": "Members only", "exclusive_group_id": gid}]})
    assert entry.status_code == 201, entry.body
    offer = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {
        "scope": {"page_id": page["page_id"]},
        "usage": usage or {"mode": "per_period", "uses": 2, "period": "month"},
        "attendees": attendees or {"personal_use_only": True}})
    assert offer.status_code == 201, offer.body
    return staff, gid, offer.json, entry.json


def book(api, email, entry, participants=()):
    return api.call("POST", f"{MINE}/bookings", booker_token(email), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "participants": list(participants)})


def reason(resp):
    return resp.json["error"].get("reason") or resp.json["error"]["code"]


def test_group_crud_and_plan_gating(api):
    make_business("biz-free", plan="free")
    free = api.call("POST", "/v1/manage/groups", staff_token("biz-free"), {"name": "X"})
    assert free.status_code == 402 and free.json["error"]["required_plan"] == "standard"
    make_business(BIZ)
    staff = staff_token(BIZ)
    gid = api.call("POST", "/v1/manage/groups", staff, {"name": "Kids", "description": "Under 12"}).json["group_id"]
    renamed = api.call("PATCH", f"/v1/manage/groups/{gid}", staff, {"name": "Juniors"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Juniors" and renamed.json["description"] == "Under 12"
    assert [g["name"] for g in api.call("GET", "/v1/manage/groups", staff).json["items"]] == ["Juniors"]
    assert api.call("POST", "/v1/manage/groups", staff, {"name": ""}).status_code == 400
    assert api.call("DELETE", f"/v1/manage/groups/{gid}", staff).status_code == 204
    assert api.call("GET", f"/v1/manage/groups/{gid}", staff).status_code == 404


def test_membership_owned_group_cannot_be_deleted_until_released(api):
    make_business(BIZ)
    groups = container().groups
    group = groups.create_membership_group(BIZ, "mem1", "Gold membership", "")
    assert groups.create_membership_group(BIZ, "mem1", "Gold membership", "").group_id == group.group_id  # idempotent
    gone = api.call("DELETE", f"/v1/manage/groups/{group.group_id}", staff_token(BIZ))
    assert gone.status_code == 409 and gone.json["error"]["code"] == "group_owned_by_membership"
    groups.release_membership_group(BIZ, group.group_id)
    assert api.call("DELETE", f"/v1/manage/groups/{group.group_id}", staff_token(BIZ)).status_code == 204


def test_paste_emails_adds_valid_reports_invalid_and_readding_is_harmless(api):
    staff, gid, _, _ = setup_group(api)
    pasted = "Jane Doe <Jane@Example.com>, bob@x.org; not-an-email\n BOB@x.org carl@@y"
    resp = api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": pasted})
    assert resp.status_code == 200, resp.body
    assert [(r["input"], r["email"], r["status"]) for r in resp.json["results"]] == [
        ("Jane Doe <Jane@Example.com>", "jane@example.com", "added"),
        ("bob@x.org", "bob@x.org", "added"),
        ("not-an-email", None, "invalid"),
        ("BOB@x.org", "bob@x.org", "duplicate"),
        ("carl@@y", None, "invalid"),
    ]
    assert (resp.json["added"], resp.json["invalid"]) == (2, 2)
    again = api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": ["jane@example.com", "dan@z.org"]})
    assert [r["status"] for r in again.json["results"]] == ["already_member", "added"]
    members = api.call("GET", f"/v1/manage/groups/{gid}/members", staff).json["items"]
    assert sorted(m["email"] for m in members) == ["bob@x.org", "dan@z.org", "jane@example.com"]
    empty = api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": " , "})
    assert empty.status_code == 400 and empty.json["error"]["field"] == "emails"


def test_remove_manual_member_but_not_one_in_through_a_membership(api):
    staff, gid, _, entry = setup_group(api)
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "a@x.org"})
    container().groups.join_via_membership(BIZ, gid, "M@x.org", "sub_1", datetime(2030, 1, 5, tzinfo=UTC))
    assert api.call("DELETE", f"/v1/manage/groups/{gid}/members/A@x.org", staff).status_code == 204
    assert reason(book(api, "a@x.org", entry)) == "not_a_member"
    refused = api.call("DELETE", f"/v1/manage/groups/{gid}/members/m@x.org", staff)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "member_via_membership"
    assert "cancel the membership" in refused.json["error"]["message"]
    assert api.call("DELETE", f"/v1/manage/groups/{gid}/members/nobody@x.org", staff).status_code == 404
    # The membership ends: the member leaves (and a second, late 'leave' is harmless).
    container().groups.leave_via_membership(BIZ, gid, "m@x.org", "sub_1")
    container().groups.leave_via_membership(BIZ, gid, "m@x.org", "sub_1")
    assert api.call("GET", f"/v1/manage/groups/{gid}/members", staff).json["items"] == []


def test_access_by_email_before_the_customer_has_an_account(api):
    staff, gid, _, entry = setup_group(api)
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "New.Person@Example.com"})
    # First ever sign-in, with the same (verified) address typed differently.
    first = book(api, "new.person@EXAMPLE.com", entry)
    assert first.status_code == 201, first.body
    assert first.json["paid_with"] == "offer" and first.json["payment"]["group_id"] == gid


@time_machine.travel(datetime(2030, 3, 20, 10, tzinfo=UTC), tick=False)
def test_exclusive_booking_refusals_in_order_and_uses_per_period(api):
    staff, gid, offer, entry = setup_group(api, usage={"mode": "per_period", "uses": 2, "period": "month"},
                                           attendees={"personal_use_only": False, "max_additional": 1})
    assert reason(book(api, "outsider@x.org", entry)) == "not_a_member"
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "m@x.org"})
    api.call("POST", f"/v1/manage/groups/{gid}/offers/{offer['offer_id']}/disable", staff)
    assert reason(book(api, "m@x.org", entry)) == "offer_disabled"
    api.call("POST", f"/v1/manage/groups/{gid}/offers/{offer['offer_id']}/enable", staff)
    assert reason(book(api, "m@x.org", entry, ["Kid", "Friend"])) == "too_many_attendees"
    two = book(api, "m@x.org", entry, ["Kid"])
    assert two.status_code == 201 and two.json["seats"] == 2
    refused = book(api, "m@x.org", entry)
    assert refused.status_code == 409 and reason(refused) == "no_uses_left"
    assert refused.json["error"]["uses_left"] == 0
    # Cancelling gives both the places and the uses back.
    cancel = api.call("POST", f"{MINE}/bookings/{two.json['booking_id']}/cancel", booker_token("m@x.org"))
    assert cancel.status_code == 200
    assert book(api, "m@x.org", entry).status_code == 201
    assert api.call("GET", f"/v1/manage/entries/{entry['entry_id']}", staff).json["booked"] == 1


def test_ticket_not_in_scope_and_uses_checked_before_places(api):
    staff, gid, offer, entry = setup_group(api, capacity=1, usage={"mode": "one_time_total", "uses": 1})
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "m@x.org, n@x.org"})
    assert book(api, "m@x.org", entry).status_code == 201
    # m has no use left AND the entry is full: the use rule is reported (O6 order), not the places.
    assert reason(book(api, "m@x.org", entry)) == "no_uses_left"
    assert reason(book(api, "n@x.org", entry)) == "no_places_left"
    other = api.call("POST", "/v1/manage/pages", staff, {"title": "Other"}).json
    api.call("PATCH", f"/v1/manage/groups/{gid}/offers/{offer['offer_id']}", staff, {"scope": {"page_id": other["page_id"]}})
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "late@x.org"})
    assert reason(book(api, "late@x.org", entry)) == "ticket_not_in_scope"  # joined under v2 (other page)


def test_terms_fixed_at_join_time(api):
    with time_machine.travel(datetime(2030, 1, 10, 12, tzinfo=UTC), tick=False):
        staff, gid, offer, entry = setup_group(api, usage={"mode": "per_period", "uses": 1, "period": "month"})
        api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "old@x.org"})
    with time_machine.travel(datetime(2030, 1, 11, 12, tzinfo=UTC), tick=False):
        staff = staff_token(BIZ)
        edited = api.call("PATCH", f"/v1/manage/groups/{gid}/offers/{offer['offer_id']}", staff,
                          {"usage": {"mode": "per_period", "uses": 5, "period": "month"}})
        assert edited.status_code == 200, edited.body
        assert [v["usage"]["uses"] for v in edited.json["versions"]] == [1, 5] and edited.json["current"]["version"] == 2
        api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "new@x.org"})
    with time_machine.travel(datetime(2030, 1, 12, 12, tzinfo=UTC), tick=False):
        staff = staff_token(BIZ)
        old = api.call("GET", f"/v1/manage/groups/{gid}/members/old@x.org/allowances", staff).json["items"][0]
        new = api.call("GET", f"/v1/manage/groups/{gid}/members/new@x.org/allowances", staff).json["items"][0]
        assert (old["terms_version"], old["uses_allowed"]) == (1, 1)
        assert (new["terms_version"], new["uses_allowed"]) == (2, 5)
        assert book(api, "old@x.org", entry).status_code == 201
        assert reason(book(api, "old@x.org", entry)) == "no_uses_left"
        for _ in range(2):
            assert book(api, "new@x.org", entry).status_code == 201


def test_offer_validation_names_fields(api):
    staff, gid, offer, _ = setup_group(api)
    bad = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {
        "scope": {"page_id": "p"}, "usage": {"mode": "per_period", "uses": 3}})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "usage.period"
    both = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {"scope": {"page_id": "p", "ticket_ids": ["t"]}})
    assert both.status_code == 400 and both.json["error"]["field"] == "scope"
    unknown_page = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {"scope": {"page_id": "nope"}})
    assert unknown_page.status_code == 404
    typo = api.call("POST", f"/v1/manage/groups/{gid}/offers", staff, {"scope": {"ticket_ids": ["t"]}, "usgae": {}})
    assert typo.status_code == 400


def test_exclusive_ticket_must_name_a_group_of_the_same_business(api):
    make_business("biz-b")
    other_gid = api.call("POST", "/v1/manage/groups", staff_token("biz-b"), {"name": "B's"}).json["group_id"]
    make_business(BIZ)
    staff = staff_token(BIZ)
    page = api.call("POST", "/v1/manage/pages", staff, {"title": "P"}).json
    resp = api.call("POST", "/v1/manage/entries", staff, {
        "page_id": page["page_id"], "title": "C", "starts_at": "2030-06-10T09:00:00", "ends_at": "2030-06-10T10:00:00",
        "capacity": 3, "tickets": [{"title": "Members", "exclusive_group_id": other_gid}]})
    assert resp.status_code == 400 and resp.json["error"]["field"] == "tickets.0.exclusive_group_id"


def test_allowance_view_for_booker_and_staff(api):
    with time_machine.travel(datetime(2030, 1, 31, 10, tzinfo=UTC), tick=False):  # 11:00 in Berlin, 31 Jan
        staff, gid, _, entry = setup_group(api, usage={"mode": "per_period", "uses": 3, "period": "month"})
        api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "m@x.org"})
    with time_machine.travel(datetime(2030, 2, 10, 10, tzinfo=UTC), tick=False):
        staff = staff_token(BIZ)
        assert book(api, "m@x.org", entry).status_code == 201
        mine = api.call("GET", f"{MINE}/allowances", booker_token("m@x.org"))
        assert mine.status_code == 200, mine.body
        [a] = mine.json["items"]
        assert (a["group_id"], a["uses_allowed"], a["uses_taken"], a["uses_left"]) == (gid, 3, 1, 2)
        assert a["anchor"] == "member_start_date" and a["anchor_date"] == "2030-01-31"
        # Started 31 Jan: renews 28 Feb at midnight Berlin (23:00 UTC on the 27th).
        assert a["resets_at"].startswith("2030-02-27T23:00:00")
        staff_view = api.call("GET", f"/v1/manage/groups/{gid}/members/M@x.org/allowances", staff).json["items"]
        assert staff_view == mine.json["items"]
        assert api.call("GET", f"{MINE}/allowances", booker_token("stranger@x.org")).json["items"] == []
    with time_machine.travel(datetime(2030, 2, 28, 10, tzinfo=UTC), tick=False):
        [after] = api.call("GET", f"{MINE}/allowances", booker_token("m@x.org")).json["items"]
        # Next renewal 31 March 00:00 Berlin; summer time starts later that night in 2030, so still UTC+1.
        assert (after["uses_left"], after["resets_at"][:16]) == (3, "2030-03-30T23:00")


def test_keep_use_on_cancel_setting(api):
    staff, gid, _, entry = setup_group(api, usage={"mode": "one_time_total", "uses": 1})
    api.call("PATCH", "/v1/manage/business", staff, {"return_use_on_cancel": False})  # saved: the cache is dropped
    api.call("POST", f"/v1/manage/groups/{gid}/members", staff, {"emails": "m@x.org"})
    first = book(api, "m@x.org", entry)
    api.call("POST", f"{MINE}/bookings/{first.json['booking_id']}/cancel", booker_token("m@x.org"))
    assert reason(book(api, "m@x.org", entry)) == "no_uses_left"
    assert api.call("GET", f"/v1/manage/entries/{entry['entry_id']}", staff).json["booked"] == 0
