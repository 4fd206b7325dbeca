"""One way to do each thing (S5, S7): the generic booking and catalogue routes treat a course's sessions as the
course routes do. Uses the course fixture of ``test_courses`` (12 weekly sessions, the first tomorrow)."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import booker_token
from tests.e2e import test_courses
from tests.e2e.test_courses import BOOKER, MINE, OTHER, TODAY, booked, buy, course_path, deliver
from tests.stripe_support import sent_emails

course = test_courses.course  # the fixture, shared


def priced(c, *indexes: int) -> None:
    """Give these sessions' course ticket a drop-in price, so a card refund policy would have something to refund."""
    for i in indexes:
        s = c["sessions"][i]
        t = s["tickets"][0]
        put = c["api"].call("PUT", f"/v1/manage/entries/{s['entry_id']}/tickets/{t['ticket_id']}", c["staff"],
                            {"title": t["title"], "price_minor": 1500, "currency": "EUR"})
        assert put.status_code == 200, put.body


def bought(c) -> list[dict]:
    started = buy(c).json
    c["provider"].pay_checkout(started["session_id"])
    deliver(c)
    return c["api"].call("GET", f"{MINE}/bookings?limit=50", booker_token(BOOKER)).json["items"]


def refunds_of(c) -> list[dict]:
    return [o for o in c["provider"].objects.values() if o.get("object") == "refund"]


def test_leaving_a_session_through_either_route_gives_the_place_and_credit_back_and_refunds_nothing(course):
    c, api = course, course["api"]
    priced(c, 2, 3)
    mine = {b["entry_id"]: b for b in bought(c)}
    before = len(refunds_of(c))
    # the business refunds card bookings in full (the default policy): a course place is not one of them
    by_course = api.call("DELETE", f"{course_path(c)}/sessions/{c['sessions'][2]['entry_id']}", booker_token(BOOKER))
    generic = api.call("POST", f"{MINE}/bookings/{mine[c['sessions'][3]['entry_id']]['booking_id']}/cancel",
                       booker_token(BOOKER))
    assert by_course.status_code == 200 and generic.status_code == 200, (by_course.body, generic.body)
    left = {b["entry_id"]: b for b in api.call("GET", f"{MINE}/bookings?limit=50", booker_token(BOOKER)).json["items"]}
    outcomes = [(left[c["sessions"][i]["entry_id"]]["status"], left[c["sessions"][i]["entry_id"]]["use_returned"],
                 left[c["sessions"][i]["entry_id"]].get("refund")) for i in (2, 3)]
    assert outcomes == [("cancelled", True, None)] * 2
    assert generic.json["refund"] is None and generic.json["use_returned"] is True
    assert booked(c) == [1, 1, 0, 0] + [1] * 8
    assert len(refunds_of(c)) == before  # nothing went back through Stripe


def test_the_generic_entry_routes_move_and_delete_a_course_session_as_the_course_routes_do(course):
    c, api, staff = course, course["api"], course["staff"]
    assert api.call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster", staff, {"email": BOOKER}).status_code == 201
    first, second = c["sessions"][0]["entry_id"], c["sessions"][1]["entry_id"]
    renamed = api.call("PATCH", f"/v1/manage/entries/{first}", staff, {"title": "Pottery (room 2)"})
    assert renamed.status_code == 200 and not [m for m in sent_emails() if "has moved" in m["subject"]]  # same time
    moved_to = datetime.combine(TODAY + timedelta(days=2), datetime.min.time()).replace(hour=19)
    moved = api.call("PATCH", f"/v1/manage/entries/{first}", staff,
                     {"starts_at": moved_to.isoformat(), "ends_at": (moved_to + timedelta(hours=1)).isoformat()})
    assert moved.status_code == 200 and moved.json["booked"] == 1  # S7: the enrolment stays
    mails = [m for m in sent_emails() if m["subject"] == "Pottery term: a session has moved"]
    assert [m["to"] for m in mails] == [BOOKER] and "19:00" in mails[0]["text"]

    refused = api.call("DELETE", f"/v1/manage/entries/{second}", staff)
    assert refused.status_code == 409 and refused.json["error"]["reason"] == "session_has_enrolments"
    assert booked(c)[1] == 1 and not [m for m in sent_emails() if "cancelled" in m["subject"]]
    assert api.call("DELETE", f"/v1/manage/entries/{second}?cancel=true", staff).status_code == 204
    assert [m["to"] for m in sent_emails() if m["subject"] == "Pottery term: a session is cancelled"] == [BOOKER]
    assert api.call("GET", f"/v1/manage/entries/{second}", staff).status_code == 404
    place = [b for b in api.call("GET", f"{MINE}/bookings?limit=50", booker_token(BOOKER)).json["items"]
             if b["entry_id"] == second]
    assert [(b["status"], b["use_returned"]) for b in place] == [("cancelled", True)]  # place and credit back


def test_a_left_session_is_booked_again_with_its_credit_through_either_route_once(course):
    c, api, staff = course, course["api"], course["staff"]
    course_id = c["course"]["course_id"]
    priced(c, 3)  # bought on its own, session 3 would be paid by card
    assert api.call("POST", f"/v1/manage/courses/{course_id}/roster", staff, {"email": BOOKER}).status_code == 201
    token = booker_token(BOOKER)
    third, fourth = c["sessions"][2], c["sessions"][3]
    never_left = api.call("POST", f"{course_path(c)}/sessions/{third['entry_id']}", token)
    assert never_left.status_code == 409 and never_left.json["error"]["reason"] == "no_course_credit"

    assert api.call("DELETE", f"{course_path(c)}/sessions/{third['entry_id']}", token).status_code == 200
    assert booked(c)[2] == 0
    again = api.call("POST", f"{course_path(c)}/sessions/{third['entry_id']}", token)
    assert again.status_code == 201 and again.json["status"] == "confirmed" and booked(c)[2] == 1
    twice = api.call("POST", f"{course_path(c)}/sessions/{third['entry_id']}", token)
    assert twice.status_code == 409 and twice.json["error"]["reason"] == "no_course_credit"  # the credit is spent

    assert api.call("DELETE", f"{course_path(c)}/sessions/{fourth['entry_id']}", token).status_code == 200
    generic = api.call("POST", f"{MINE}/bookings", token, {"entry_id": fourth["entry_id"],
                                                          "ticket_id": fourth["tickets"][0]["ticket_id"]})
    assert generic.status_code == 201, generic.body
    assert generic.json["status"] == "confirmed" and generic.json.get("checkout_url") is None  # the course's credit paid
    assert booked(c)[3] == 1
    # the credit is spent: a second booking of the priced ticket would be paid by card, held for a checkout
    extra = api.call("POST", f"{MINE}/bookings", token, {"entry_id": fourth["entry_id"],
                                                        "ticket_id": fourth["tickets"][0]["ticket_id"]})
    assert extra.status_code in (201, 409) and extra.json.get("status") != "confirmed"


def test_a_rejoined_session_is_confirmed_by_email_once_through_either_route(course):
    c, api, staff = course, course["api"], course["staff"]
    course_id = c["course"]["course_id"]
    assert api.call("POST", f"/v1/manage/courses/{course_id}/roster", staff, {"email": BOOKER}).status_code == 201
    token = booker_token(BOOKER)
    third, fourth = c["sessions"][2], c["sessions"][3]
    subject = f"Your booking at Studio {test_courses.BIZ} is confirmed"

    def confirmations() -> list[str]:
        deliver(c)
        deliver(c)  # a second run of the consumer sends nothing new
        return [m["text"] for m in sent_emails() if m["to"] == BOOKER and m["subject"] == subject]

    before = len(confirmations())
    assert api.call("DELETE", f"{course_path(c)}/sessions/{third['entry_id']}", token).status_code == 200
    assert api.call("POST", f"{course_path(c)}/sessions/{third['entry_id']}", token).status_code == 201
    assert api.call("POST", f"{course_path(c)}/sessions/{third['entry_id']}", token).status_code == 409  # spent
    assert len(confirmations()) == before + 1

    assert api.call("DELETE", f"{course_path(c)}/sessions/{fourth['entry_id']}", token).status_code == 200
    generic = api.call("POST", f"{MINE}/bookings", token, {"entry_id": fourth["entry_id"],
                                                          "ticket_id": fourth["tickets"][0]["ticket_id"]})
    assert generic.status_code == 201 and generic.json["status"] == "confirmed", generic.body
    mails = confirmations()
    assert len(mails) == before + 2 and "Pottery" in mails[-1], mails


def test_bookings_say_which_course_a_session_place_belongs_to(course):
    c, api, staff = course, course["api"], course["staff"]
    course_id = c["course"]["course_id"]
    assert api.call("POST", f"/v1/manage/courses/{course_id}/roster", staff, {"email": BOOKER}).status_code == 201
    token = booker_token(BOOKER)
    mine = api.call("GET", f"{MINE}/bookings?limit=50", token).json["items"]
    assert mine and {b["course_id"] for b in mine} == {course_id}
    first = c["sessions"][0]
    drop_in = api.call("POST", f"{MINE}/bookings", booker_token(OTHER), {
        "entry_id": first["entry_id"], "ticket_id": first["tickets"][0]["ticket_id"]})
    assert drop_in.status_code == 201 and drop_in.json["course_id"] is None, drop_in.body  # booked on its own
    roster = api.call("GET", f"/v1/manage/entries/{first['entry_id']}/bookings", staff).json["items"]
    assert sorted((b["booker_email"], b["course_id"]) for b in roster) == [(BOOKER, course_id), (OTHER, None)]
    left = api.call("DELETE", f"{course_path(c)}/sessions/{first['entry_id']}", token)
    assert left.status_code == 200 and left.json["course_id"] == course_id, left.body
    again = api.call("POST", f"{course_path(c)}/sessions/{first['entry_id']}", token)
    assert again.status_code == 201 and again.json["course_id"] == course_id, again.body
