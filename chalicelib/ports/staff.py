"""Staff records and invitations: the source of who may act for which business (T1, T2)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..domain.paging import Page, PageRequest
    from ..domain.staff import Invitation, StaffMember
    from ..domain.tenancy import Business


class StaffStore(Protocol):
    def create_business(self, business: Business, owner: StaffMember) -> bool:
        """The business and its owner's record in one transaction; False when the id is taken."""
        ...

    def find(self, subject: str, business_id: str) -> StaffMember | None:
        """One key lookup, never cached: a removed member is refused on their next request."""
        ...

    def of_person(self, subject: str, limit: int) -> list[StaffMember]:
        """Up to ``limit`` businesses the person is staff of."""
        ...

    def of_person_page(self, subject: str, page: PageRequest) -> Page[StaffMember]:
        """One page of the businesses the person is staff of, by business id."""
        ...

    def of_business(self, business_id: str, page: PageRequest) -> Page[StaffMember]:
        """One page of a business's staff, by subject."""
        ...

    def add(self, member: StaffMember) -> None:
        """Grant directly (seeding a local stack); people join through invitations."""
        ...

    def remove(self, subject: str, business_id: str) -> bool:
        """Delete the record; False when there was none."""
        ...

    def save_invitation(self, invitation: Invitation) -> None: ...

    def find_invitation(self, business_id: str, email: str) -> Invitation | None: ...

    def invitations_of(self, business_id: str, page: PageRequest) -> Page[Invitation]: ...

    def accept(self, invitation: Invitation, member: StaffMember) -> bool:
        """Add the member and delete the invitation in one transaction; False if it was gone."""
        ...
