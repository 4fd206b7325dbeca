"""Staff records (who may act for which business) and staff invitations.

``staff`` is keyed by person then business, so resolving a staff request is one key lookup (or a
query of the person's few businesses); the ``by_business`` index lists a business's staff. Nothing
here is cached: a removed member's next request is refused on every container.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ...domain.errors import TransactionContendedError
from ...domain.staff import Invitation, StaffMember, StaffRole
from .base import (
    failed_conditions,
    find,
    from_model,
    is_condition_failure,
    query_page,
    register,
    table_meta,
    to_model,
    transaction,
)
from .tenancy import BusinessModel

if TYPE_CHECKING:
    from ...domain.paging import Page, PageRequest
    from ...domain.tenancy import Business


class StaffByBusiness(GlobalSecondaryIndex["StaffModel"]):
    class Meta:
        index_name = "by_business"
        projection = AllProjection()

    business_id = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute(range_key=True)


@register
class StaffModel(Model):
    Meta = table_meta("staff")
    subject = UnicodeAttribute(hash_key=True)  # the token's ``sub``
    business_id = UnicodeAttribute(range_key=True)
    role = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    added_at = UTCDateTimeAttribute(null=True)
    by_business = StaffByBusiness()


@register
class InvitationModel(Model):
    Meta = table_meta("staff-invitations")
    business_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)  # normalised
    role = UnicodeAttribute()
    invited_by = UnicodeAttribute()
    invited_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()


def _member(m: StaffModel) -> StaffMember:
    return from_model(StaffMember, m, role=StaffRole(m.role))


def _invitation(m: InvitationModel) -> Invitation:
    return from_model(Invitation, m, role=StaffRole(m.role))


def _staff_item(member: StaffMember) -> StaffModel:
    return to_model(StaffModel, member, role=member.role.value)


class StaffRepository:
    def create_business(self, business: Business, owner: StaffMember) -> bool:
        item = to_model(BusinessModel, business, plan=business.plan.value)
        txn = transaction(BusinessModel)
        try:
            with txn:
                txn.save(item, condition=BusinessModel.business_id.does_not_exist())
                txn.save(_staff_item(owner))
        except TransactWriteError as exc:
            if BusinessModel.Meta.table_name in failed_conditions(txn, exc):
                return False
            raise TransactionContendedError("Another sign-up touched the same business id; try again.")
        return True

    def find(self, subject: str, business_id: str) -> StaffMember | None:
        m = find(StaffModel, subject, business_id, consistent_read=True)
        return _member(m) if m is not None else None

    def of_person(self, subject: str, limit: int) -> list[StaffMember]:
        return [_member(m) for m in StaffModel.query(subject, limit=limit, consistent_read=True)]

    def of_person_page(self, subject: str, page: PageRequest) -> Page[StaffMember]:
        return query_page(StaffModel, subject, _member, page)

    def of_business(self, business_id: str, page: PageRequest) -> Page[StaffMember]:
        return query_page(StaffModel.by_business, business_id, _member, page)

    def add(self, member: StaffMember) -> None:
        _staff_item(member).save()

    def remove(self, subject: str, business_id: str) -> bool:
        try:
            StaffModel(subject, business_id).delete(condition=StaffModel.subject.exists())
        except DeleteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def save_invitation(self, invitation: Invitation) -> None:
        to_model(InvitationModel, invitation, role=invitation.role.value).save()

    def find_invitation(self, business_id: str, email: str) -> Invitation | None:
        m = find(InvitationModel, business_id, email, consistent_read=True)
        return _invitation(m) if m is not None else None

    def invitations_of(self, business_id: str, page: PageRequest) -> Page[Invitation]:
        return query_page(InvitationModel, business_id, _invitation, page)

    def accept(self, invitation: Invitation, member: StaffMember) -> bool:
        txn = transaction(StaffModel)
        try:
            with txn:
                txn.delete(InvitationModel(invitation.business_id, invitation.email),
                           condition=InvitationModel.email.exists())
                txn.save(_staff_item(member))
        except TransactWriteError as exc:
            if failed_conditions(txn, exc):
                return False
            raise TransactionContendedError("The invitation changed at the same moment; try again.")
        return True
