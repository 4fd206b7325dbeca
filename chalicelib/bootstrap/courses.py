"""The composition root's pieces for courses (S): a course is a membership product, so most pieces are the
membership's; these add the roster, the one-transaction session holds and the course services."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .pieces import Pieces

if TYPE_CHECKING:
    from ..ports.courses import EnrolmentStore, SessionHolds
    from ..services.course_enrolment import CourseEnrolment
    from ..services.courses import CourseCatalogue, CourseCheckout, CourseCompletion


class CoursePieces(Pieces):
    @cached_property
    def enrolment_store(self) -> EnrolmentStore:
        from ..adapters.dynamodb.courses import EnrolmentRepository

        return EnrolmentRepository()

    @cached_property
    def session_holds(self) -> SessionHolds:
        from ..adapters.dynamodb.courses import CourseHolds

        return CourseHolds()

    @cached_property
    def course_catalogue(self) -> CourseCatalogue:
        from ..services.courses import CourseCatalogue

        return CourseCatalogue(self.membership_store, lambda: self.membership_catalogue, self.catalogue_store)

    @cached_property
    def course_checkout(self) -> CourseCheckout:
        from ..services.courses import CourseCheckout

        return CourseCheckout(self.membership_store, self.enrolment_store, self.checkout_store, self.catalogue_store,
                              self.booking_store, self.session_holds, self.stripe_connect, self.settings.public_base_url)

    @cached_property
    def course_completion(self) -> CourseCompletion:
        from ..services.courses import CourseCompletion

        return CourseCompletion(self.checkout_completion.complete, self.checkout_store, self.membership_store,
                                self.enrolment_store, self.booking_store, self.stripe_connect)

    @cached_property
    def course_enrolment(self) -> CourseEnrolment:
        from ..services.course_enrolment import CourseEnrolment

        return CourseEnrolment(self.membership_store, self.enrolment_store, self.catalogue_store, self.booking_store,
                               self.session_holds, self.stripe_connect, lambda: self.mailer,
                               cancel_place=lambda business, booking: self.bookings.cancel_place(business, booking),
                               notify=lambda kind, booking: self.booking_notices.enqueue(kind, booking))
