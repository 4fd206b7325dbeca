"""Courses (S1–S7): staff make a course on a series and manage its roster and sessions; a booker buys it
(enrolled in every remaining session) and leaves single sessions; anyone can see what joining now costs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.tenancy import Feature
from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.catalogue import Entry
    from ..domain.context import BookerContext, PublicContext, StaffContext
    from ..domain.courses import CourseBilling, Enrolment
    from ..domain.memberships import Membership
    from ..domain.paging import Page, PageRequest
    from ..schemas.courses import CourseCheckoutIn, CourseIn, DeleteSessionQuery, EnrolIn, RemoveIn, SessionIn
    from ..services.course_enrolment import AddedSession, Removal
    from ..services.courses import CourseCheckoutStarted

api = ApiBlueprint(__name__, tag="courses", schemas="chalicelib.schemas.courses")
MANAGE = "/v1/manage/courses"
PUBLIC_BASE = "/v1/businesses/{business_id}/courses"
MINE = "/v1/businesses/{business_id}/me/courses"
GATE = Feature.MEMBERSHIPS  # a course is a membership product


def course_view(m: Membership, staff: bool) -> dict[str, Any]:
    option = m.options[0]
    return {"course_id": m.membership_id, "title": m.title, "description": m.description,
            "amount_minor": option.amount_minor, "currency": option.currency, "interval": option.interval,
            "interval_count": option.interval_count, "course": m.course,
            "stripe_product_id": m.provider_product_id if staff else None,
            "stripe_price_id": option.provider_price_id if staff else None}


def billing_view(b: CourseBilling) -> dict[str, Any]:
    return {**vars(b), "total_minor": b.total_minor}


@api.op("POST", MANAGE, summary="Create a course: a subscription linked to a series, sold only through booking",
        role=STAFF, feature=GATE, body="CourseIn", response="CourseOut", status=201)
def create(ctx: StaffContext, body: CourseIn) -> dict[str, Any]:
    from ..services.courses import NewCourse

    return course_view(container().course_catalogue.create(ctx, command(NewCourse, body)), staff=True)


@api.op("GET", f"{MANAGE}/{{course_id}}", summary="A course", role=STAFF, feature=GATE, response="CourseOut")
def get(ctx: StaffContext, course_id: str) -> dict[str, Any]:
    return course_view(container().course_catalogue.get(ctx.business_id, course_id), staff=True)


@api.op("GET", f"{MANAGE}/{{course_id}}/roster", summary="Everyone enrolled in the course (and who left)",
        role=STAFF, feature=GATE, response="EnrolmentOut", paginated=True)
def roster(ctx: StaffContext, course_id: str, page: PageRequest) -> Page[Enrolment]:
    return container().course_enrolment.roster(ctx, course_id, page)


@api.op("POST", f"{MANAGE}/{{course_id}}/roster", summary="Enrol someone by hand in every remaining session (no payment)",
        role=STAFF, feature=GATE, body="EnrolIn", response="EnrolmentOut", status=201)
def enrol(ctx: StaffContext, course_id: str, body: EnrolIn) -> Enrolment:
    return container().course_enrolment.enrol_by_hand(ctx, course_id, body.email.lower())


@api.op("POST", f"{MANAGE}/{{course_id}}/roster/remove",
        summary="Take someone off the course (places back; a bought course ends, optionally refunded pro rata)",
        role=STAFF, feature=GATE, body="RemoveIn", response="RemovalOut")
def remove(ctx: StaffContext, course_id: str, body: RemoveIn) -> Removal:
    return container().course_enrolment.remove(ctx, course_id, body.email.lower(), body.refund)


@api.op("POST", f"{MANAGE}/{{course_id}}/sessions", summary="Add a session to the course's series (enrols everyone enrolled)",
        role=STAFF, feature=GATE, body="SessionIn", response="AddedSessionOut", status=201)
def add_session(ctx: StaffContext, course_id: str, body: SessionIn) -> AddedSession:
    from ..services.course_enrolment import SessionMove

    return container().course_enrolment.add_session(ctx, course_id, command(SessionMove, body))


@api.op("PATCH", f"{MANAGE}/{{course_id}}/sessions/{{entry_id}}",
        summary="Move one session (its enrolments stay; the enrolled are emailed)", role=STAFF, feature=GATE,
        body="SessionIn", response="SessionOut")
def move_session(ctx: StaffContext, course_id: str, entry_id: str, body: SessionIn) -> Entry:
    from ..services.course_enrolment import SessionMove

    return container().course_enrolment.move_session(ctx, course_id, entry_id, command(SessionMove, body))


@api.op("DELETE", f"{MANAGE}/{{course_id}}/sessions/{{entry_id}}",
        summary="Delete a session; one with enrolments only with cancel=true (places and credits back, emailed)",
        role=STAFF, feature=GATE, query="DeleteSessionQuery", response="CancelledOut")
def delete_session(ctx: StaffContext, course_id: str, entry_id: str, query: DeleteSessionQuery) -> dict[str, int]:
    return {"cancelled": container().course_enrolment.delete_session(ctx, course_id, entry_id, query.cancel)}


@api.op("GET", f"{PUBLIC_BASE}/{{course_id}}/quote", summary="What joining the course now costs, charge by charge",
        role=PUBLIC, feature=GATE, response="CourseBillingOut")
def quote(ctx: PublicContext, course_id: str) -> dict[str, Any]:
    return billing_view(container().course_checkout.quote(ctx.business_id, course_id))


@api.op("POST", f"{MINE}/{{course_id}}/checkout",
        summary="Buy a course: every remaining session held, then a Stripe checkout (409 names full sessions)",
        role=BOOKER, feature=GATE, body="CourseCheckoutIn", response="CourseCheckoutOut", status=201)
def checkout(ctx: BookerContext, course_id: str, body: CourseCheckoutIn) -> dict[str, Any]:
    from ..services.courses import CoursePurchase

    started: CourseCheckoutStarted = container().course_checkout.start(ctx, course_id, command(CoursePurchase, body))
    return {**vars(started), "billing": billing_view(started.billing) if started.billing else None}


@api.op("DELETE", f"{MINE}/{{course_id}}/sessions/{{entry_id}}",
        summary="Leave one session of my course (its place and credit come back)", role=BOOKER, feature=GATE,
        response="LeftSessionOut")
def leave_session(ctx: BookerContext, course_id: str, entry_id: str) -> dict[str, str | None]:
    left = container().course_enrolment.leave_session(ctx, course_id, entry_id)
    return {"booking_id": left.booking_id, "entry_id": left.entry_id, "status": left.status.value,
            "course_id": left.course_id}


@api.op("POST", f"{MINE}/{{course_id}}/sessions/{{entry_id}}",
        summary="Book again a session of my course I left, with the credit leaving gave back", role=BOOKER,
        feature=GATE, response="LeftSessionOut", status=201)
def rejoin_session(ctx: BookerContext, course_id: str, entry_id: str) -> dict[str, str | None]:
    place = container().course_enrolment.rejoin_session(ctx, course_id, entry_id)
    return {"booking_id": place.booking_id, "entry_id": place.entry_id, "status": place.status.value,
            "course_id": place.course_id}
