"""C6 for courses: deleting an additional user moves their enrolments to the primary customer, erasure moves
them to the pseudonym; both through the queue's bounded stages, found by the enrolments' customer index."""
from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.courses import move_enrolments
from tests.conftest import booker_token
from tests.e2e import test_courses
from tests.e2e.test_courses import BIZ
from tests.fakes.memberships import FakeQueue
from tests.stripe_support import rewire

course = test_courses.course  # the fixture, shared
PAT, HAL = "pat@example.com", "hal@example.com"


def drain(queue: FakeQueue) -> None:
    handlers = bootstrap.container().queue_handlers
    while queue.sent:
        kind, body = queue.sent.pop(0)
        handlers[kind](body)
        handlers[kind](body)  # delivered twice: the second finds nothing (more) to do


def roster(c) -> list[tuple[str, str, str]]:
    items = c["api"].call("GET", f"/v1/manage/courses/{c['course']['course_id']}/roster?limit=50", c["staff"]).json["items"]
    return sorted((r["email"], r["source"], r["state"]) for r in items)


def enrol(c, email: str) -> None:
    made = c["api"].call("POST", f"/v1/manage/courses/{c['course']['course_id']}/roster", c["staff"], {"email": email})
    assert made.status_code == 201, made.body


def test_deleting_an_additional_user_moves_their_enrolment_to_the_primary(course):
    c, api = course, course["api"]
    queue = FakeQueue()
    rewire(event_queue=queue)
    api.call("GET", f"/v1/businesses/{BIZ}/me/bookings", booker_token(HAL))  # HAL's own record first
    assert api.call("POST", "/v1/manage/customers", c["staff"], {"email": PAT}).status_code == 201  # a primary
    assert api.call("POST", f"/v1/businesses/{BIZ}/me/additional-users", booker_token(PAT), {"email": HAL}).status_code == 201
    enrol(c, PAT)
    enrol(c, HAL)  # both on the course: the moved enrolment is kept beside PAT's own
    deleted = api.call("DELETE", f"/v1/manage/customers/{HAL}", c["staff"])
    assert (deleted.status_code, deleted.json["state"]) == (202, "moving_history"), deleted.body
    drain(queue)
    assert api.call("GET", f"/v1/manage/customers/{HAL}", c["staff"]).status_code == 404
    assert roster(c) == [(PAT, "staff", "enrolled")] * 2


def test_erasure_moves_the_enrolment_to_the_pseudonym(course):
    c, api = course, course["api"]
    queue = FakeQueue()
    rewire(event_queue=queue)
    api.call("GET", f"/v1/businesses/{BIZ}/me/bookings", booker_token(PAT))
    enrol(c, PAT)
    erased = api.call("POST", f"/v1/manage/customers/{PAT}/erasure", c["staff"])
    assert erased.status_code in (200, 202), erased.body
    drain(queue)
    as_id = erased.json["erased_as"]
    assert roster(c) == [(as_id, "staff", "enrolled")]
    assert move_enrolments(BIZ, PAT, "x@example.com", 25) == 0  # nothing is left under the email
