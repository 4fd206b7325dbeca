"""Courses (S): the roster of each course, and the one transaction that holds every remaining session."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from ..domain.bookings import Booking
    from ..domain.courses import Enrolment
    from ..domain.paging import Page, PageRequest


class SessionHolds(Protocol):
    def take_all(self, bookings: list[Booking], capacities: dict[str, int], booker_cap: int | None) -> None:
        """Take a place on every session in ONE transaction (all or none); ``SessionsFullError`` names the
        sessions with no place left, ``TransactionContendedError`` when another write got in the way."""
        ...


class EnrolmentStore(Protocol):
    def find(self, business_id: str, course_id: str, email: str) -> Enrolment | None: ...

    def enrol(self, enrolment: Enrolment) -> bool:
        """Write it unless the person is already enrolled; False when they were (S4: never twice)."""
        ...

    def leave(self, business_id: str, course_id: str, email: str, at: datetime) -> bool:
        """Mark them as left; False when they were not enrolled."""
        ...

    def roster_page(self, business_id: str, course_id: str, page: PageRequest) -> Page[Enrolment]: ...

    def roster(self, business_id: str, course_id: str) -> list[Enrolment]:
        """Everyone enrolled (for a session added later, S7)."""
        ...
