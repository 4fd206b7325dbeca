"""Sign-up (T1) and staff management (T2): who may act for a business, kept in the product's records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from ..domain.emails import normalise_email
from ..domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from ..domain.staff import INVITATION_DAYS, Invitation, StaffMember, StaffRole, validate_business_id
from ..domain.tenancy import Business, Plan, validate_timezone
from ..logs import logger
from ..ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.context import PersonContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..ports.messaging import MailerPort
    from ..ports.staff import StaffStore



@dataclass(frozen=True)
class NewBusiness:
    business_id: str
    name: str
    timezone: str
    currency: str


@dataclass(frozen=True)
class NewInvitation:
    email: str
    role: StaffRole = StaffRole.STAFF


def require_owner(ctx: StaffContext) -> None:
    """Only an owner manages staff, the Stripe connection and the plan's billing (T2)."""
    if not ctx.is_owner:
        raise ForbiddenError("Only an owner of this business may do this.", code="owner_required")


class StaffService:
    def __init__(self, staff: StaffStore, mailer: Callable[[], MailerPort], public_base_url: str,
                 clock: Clock = utc_now) -> None:
        self.staff = staff
        self.mailer = mailer
        self.public_base_url = public_base_url
        self.clock = clock

    def sign_up(self, person: PersonContext, new: NewBusiness) -> Business:
        """The person creates a business on the free plan and becomes its owner (one transaction)."""
        validate_business_id(new.business_id)
        validate_timezone(new.timezone)
        if len(new.currency) != 3 or not new.currency.isalpha():
            raise InvalidInputError("The currency must be an ISO 4217 code such as 'EUR'.", field="currency")
        business = Business(new.business_id, new.name, Plan.FREE, new.timezone, currency=new.currency.upper())
        owner = StaffMember(new.business_id, person.subject, StaffRole.OWNER, person.email, self.clock())
        if not self.staff.create_business(business, owner):
            raise ConflictError(f"The business id '{new.business_id}' is taken; choose another.",
                                code="business_id_taken", details={"field": "business_id"})
        logger.info("business created", extra={"business_id": new.business_id})
        return business

    def my_businesses(self, person: PersonContext, page: PageRequest) -> Page[StaffMember]:
        return self.staff.of_person_page(person.subject, page)

    def invite(self, ctx: StaffContext, new: NewInvitation) -> Invitation:
        require_owner(ctx)
        email = normalise_email(new.email)
        if email is None or email != new.email.strip().lower():
            raise InvalidInputError(f"'{new.email}' is not an email address.", field="email")
        now = self.clock()
        invitation = Invitation(ctx.business_id, email, new.role, ctx.subject, now,
                                now + timedelta(days=INVITATION_DAYS))
        self.staff.save_invitation(invitation)
        link = f"{self.public_base_url}/v1/me/invitations/{ctx.business_id}/accept"
        self.mailer().send_once(f"invitation#{ctx.business_id}#{now.isoformat()}", "staff_invitation", email, {
            "business_name": ctx.business.name, "role": new.role.value, "accept_url": link,
            "expires_at": invitation.expires_at.date().isoformat()})
        return invitation

    def invitations(self, ctx: StaffContext, page: PageRequest) -> Page[Invitation]:
        require_owner(ctx)
        return self.staff.invitations_of(ctx.business_id, page)

    def accept(self, person: PersonContext, business_id: str) -> StaffMember:
        """The invitee, signed in with the invited (verified) email, becomes staff."""
        if not person.email:
            raise ForbiddenError("Accepting an invitation needs a verified email in your sign-in.",
                                 code="email_not_verified")
        invitation = self.staff.find_invitation(business_id, person.email)
        if invitation is None or not invitation.open_at(self.clock()):
            raise NotFoundError("There is no open invitation to this business for your email.")
        member = StaffMember(business_id, person.subject, invitation.role, person.email, self.clock())
        if not self.staff.accept(invitation, member):
            raise NotFoundError("There is no open invitation to this business for your email.")
        return member

    def list(self, ctx: StaffContext, page: PageRequest) -> Page[StaffMember]:
        require_owner(ctx)
        return self.staff.of_business(ctx.business_id, page)

    def remove(self, ctx: StaffContext, subject: str) -> None:
        require_owner(ctx)
        if subject == ctx.subject:
            raise ConflictError("An owner cannot remove themself; another owner can.", code="cannot_remove_self")
        if not self.staff.remove(subject, ctx.business_id):
            raise NotFoundError(f"'{subject}' is not staff of this business.")
