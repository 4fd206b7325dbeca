"""In-memory staff records and invitations (``ports/staff.py``)."""
from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.paging import Page, PageRequest
from chalicelib.domain.staff import Invitation, StaffMember
from chalicelib.domain.tenancy import Business
from tests.fakes.core import page_of


class FakeStaffStore:
    def __init__(self, *members: StaffMember, businesses: dict[str, Business] | None = None) -> None:
        self.members = {(m.subject, m.business_id): m for m in members}
        self.invitations: dict[tuple[str, str], Invitation] = {}
        self.businesses = businesses if businesses is not None else {}

    def create_business(self, business: Business, owner: StaffMember) -> bool:
        if business.business_id in self.businesses:
            return False
        self.businesses[business.business_id] = business
        self.add(owner)
        return True

    def find(self, subject: str, business_id: str) -> StaffMember | None:
        return self.members.get((subject, business_id))

    def of_person(self, subject: str, limit: int) -> list[StaffMember]:
        return sorted((m for (s, _), m in self.members.items() if s == subject), key=lambda m: m.business_id)[:limit]

    def of_person_page(self, subject: str, page: PageRequest) -> Page[StaffMember]:
        return page_of(self.of_person(subject, len(self.members)), page)

    def of_business(self, business_id: str, page: PageRequest) -> Page[StaffMember]:
        members = sorted((m for m in self.members.values() if m.business_id == business_id), key=lambda m: m.subject)
        return page_of(members, page)

    def add(self, member: StaffMember) -> None:
        self.members[(member.subject, member.business_id)] = member

    def remove(self, subject: str, business_id: str) -> bool:
        return self.members.pop((subject, business_id), None) is not None

    def save_invitation(self, invitation: Invitation) -> None:
        self.invitations[(invitation.business_id, invitation.email)] = invitation

    def find_invitation(self, business_id: str, email: str) -> Invitation | None:
        return self.invitations.get((business_id, email))

    def invitations_of(self, business_id: str, page: PageRequest) -> Page[Invitation]:
        return page_of([i for (b, _), i in sorted(self.invitations.items()) if b == business_id], page)

    def accept(self, invitation: Invitation, member: StaffMember) -> bool:
        if self.invitations.pop((invitation.business_id, invitation.email), None) is None:
            return False
        self.add(replace(member))
        return True
